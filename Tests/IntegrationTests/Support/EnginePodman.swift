import Foundation
import Testing

/// podman with everything private to one test: storage, run and tmp directories, network config, a
/// containers.conf and storage.conf of its own (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF), cgroupfs under a
/// unique --cgroup-parent, and `--runtime` set to the runtime under test. podman has no daemon; `finish`
/// removes its containers and checks that conmon, the runtime and podman's cleanup processes left nothing.
final class PodmanEngine {
    let runtime: EngineRuntime
    let runtimePath: String
    let podmanPath: String
    let tmp: TempDir
    let rootfs: String
    let cgroupParent: String
    let footprint = HostFootprint()

    static let missing = EngineTools.missing(["podman", "conmon"], package: "podman")

    init(_ runtime: EngineRuntime) throws {
        self.runtime = runtime
        runtimePath = try runtime.path()
        podmanPath = EngineTools.find("podman")!
        tmp = try TempDir("cove-eng-podman")
        rootfs = tmp.file("rootfs")
        try BusyboxRootfs.make(at: rootfs)
        cgroupParent = UniqueName.make("coveengp")
        try """
        [engine]
        cgroup_manager = "cgroupfs"
        events_logger = "file"
        runtime = "\(runtime.rawValue)"
        [engine.runtimes]
        \(runtime.rawValue) = ["\(runtimePath)"]
        """.write(toFile: tmp.file("containers.conf"), atomically: true, encoding: .utf8)
        try """
        [storage]
        driver = "vfs"
        runroot = "\(tmp.file("runroot"))"
        graphroot = "\(tmp.file("root"))"
        """.write(toFile: tmp.file("storage.conf"), atomically: true, encoding: .utf8)
    }

    /// The runtime's own log (`--log`, via --runtime-flag): where cove's warnings land.
    var runtimeLog: String { (try? String(contentsOfFile: tmp.file("runtime.log"), encoding: .utf8)) ?? "" }

    var globalArgs: [String] {
        ["--root", tmp.file("root"), "--runroot", tmp.file("runroot"), "--tmpdir", tmp.file("libpod"),
         "--network-config-dir", tmp.file("networks"), "--volumepath", tmp.file("volumes"),
         "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--storage-driver", "vfs",
         "--runtime", runtimePath, "--runtime-flag", "log=\(tmp.file("runtime.log"))"]
    }

    @discardableResult
    func podman(_ args: [String], timeout: TimeInterval = 180) throws -> RunResult {
        try EngineShell.run([podmanPath] + globalArgs + args, env: [
            "CONTAINERS_CONF": tmp.file("containers.conf"), "CONTAINERS_STORAGE_CONF": tmp.file("storage.conf"),
        ], timeout: timeout)
    }

    /// Flags every container gets: no network, the test's cgroup parent, rlimits this host allows (no
    /// CAP_SYS_RESOURCE), and no seccomp filter unless `seccomp` (cove's seccomp is issue 6; its own test
    /// covers the default profile).
    func containerFlags(seccomp: Bool = false) -> [String] {
        ["--network", "none", "--cgroup-parent", "/" + cgroupParent,
         "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
            + (seccomp ? [] : ["--security-opt", "seccomp=unconfined"])
    }

    /// `podman run FLAGS --rootfs ROOTFS CMD`.
    @discardableResult
    func run(_ flags: [String], _ command: [String], seccomp: Bool = false, timeout: TimeInterval = 180) throws -> RunResult {
        try podman(["run"] + containerFlags(seccomp: seccomp) + flags + ["--rootfs", rootfs] + command, timeout: timeout)
    }

    /// `sh -c SCRIPT`, with the test's directory as $0 so the container's init is found by its command line.
    func sh(_ script: String) -> [String] { ["sh", "-c", script, tmp.path] }

    /// `podman ps -a` status of one container ("Up 2 seconds", "Exited (7) ...", "Paused", "Created").
    func status(_ name: String) throws -> String {
        let r = try podman(["ps", "-a", "--filter", "name=^\(name)$", "--format", "{{.Status}}"])
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func inspect(_ name: String, _ format: String) throws -> String {
        try podman(["inspect", "--format", format, name]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `body`, then removes every container and checks what is left; rethrows `body`'s error
    /// (a cancellation included) after the check.
    func session(_ body: (PodmanEngine) throws -> Void) throws {
        var failure: Error?
        do { try body(self) } catch { failure = error }
        let rm = try? podman(["rm", "--all", "--force", "--time", "0"])
        if let rm, rm.status != 0 { Issue.record("podman rm --all --force failed: \(rm)") }
        let problems = EngineAftermath(tmp: tmp, cgroupParent: cgroupParent, engineCgroups: ["conmon"], footprint: footprint).check()
        #expect(problems.isEmpty, "podman with \(runtime) left behind:\n\(problems.joined(separator: "\n"))")
        if let failure { throw failure }
    }
}
