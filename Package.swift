// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: CLinux ← Kernel ← {OCI, Netlink, Cgroups} ← Container ← CoveCLI ← cove.
let package = Package(
    name: "Cove",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cove", targets: ["cove"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        .target(name: "CLinux"),
        // The executable's entry point: the CVE-2019-5736 re-exec of create/run/exec before glibc starts (entry.c).
        .target(name: "CoveEntry", dependencies: ["CLinux"], cSettings: [.unsafeFlags(["-fno-stack-protector"])]),
        .target(name: "Kernel", dependencies: [
            "CLinux",
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        .target(name: "OCI"),
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        // seccomp filters through libseccomp: own types, no OCI; Container converts linux.seccomp.
        .target(name: "Seccomp", dependencies: ["Kernel", "CSeccomp"]),
        .target(name: "Netlink", dependencies: ["Kernel", "CLinux"]),
        .target(name: "Cgroups", dependencies: ["Kernel", "CLinux"]),
        // The namespace toolkit's logic (unshare, enter, ns list): util-linux behaviour over the Kernel layer.
        .target(name: "Toolkit", dependencies: ["Kernel", "CLinux"]),
        .target(name: "Container", dependencies: ["Kernel", "OCI", "Netlink", "Cgroups", "Seccomp", "CLinux"]),
        .target(name: "CoveCLI", dependencies: [
            "Kernel", "OCI", "Netlink", "Cgroups", "Container", "Toolkit", "CLinux",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "cove", dependencies: ["CoveCLI", "CoveEntry"],
                         linkerSettings: [.unsafeFlags(["-Xlinker", "--entry=cove_entry"])]),
        .testTarget(name: "KernelTests", dependencies: ["Kernel", "Toolkit", "CLinux"]),
        .testTarget(name: "SeccompTests", dependencies: ["Seccomp", "Kernel", "CLinux"]),
        .testTarget(name: "OCITests", dependencies: ["OCI"]),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink"]),
        .testTarget(name: "CgroupsTests", dependencies: ["Cgroups", "Kernel"]),
        .testTarget(name: "ContainerTests", dependencies: ["Container", "Cgroups", "OCI"]),
        .testTarget(name: "IntegrationTests", dependencies: ["cove"]),
    ],
    // cove is single-threaded by design (unshare(CLONE_NEWUSER) and setns need it): Swift 6's data-race
    // checking has nothing to protect and would only force `nonisolated(unsafe)` onto C globals like stderr.
    swiftLanguageModes: [.v5]
)
