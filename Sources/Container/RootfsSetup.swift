import CLinux
import Glibc
import Kernel
import OCI

/// Builds the container's root filesystem inside its new mount namespace. Every mount target is resolved
/// inside the root with openat2(RESOLVE_IN_ROOT) and mounted through /proc/self/fd/N, so a symlink in the
/// image cannot redirect a mount onto the host (runc CVE-2021-30465).
struct RootfsSetup {
    let spec: Spec
    let rootfs: String
    let newUserNamespace: Bool
    let noPivot: Bool
    var idmapUserNamespaces: [Int: Int32] = [:]
    /// The init's way into its cgroup, entered before the first `cgroup` mount (which, without a cgroup
    /// namespace, binds the directories it names: see `CgroupMount`). nil in tests that mount no cgroup.
    var cgroup: InitCgroup? = nil

    var mounts: [OCI.Mount] { spec.mounts ?? [] }

    /// Before the createRuntime hooks: propagation, the root as a mount point, the config's mounts, devices.
    func prepare() throws {
        try step("making / a slave mount") {
            var flags: MountFlags = [.slave, .recursive]
            if spec.linux?.rootfsPropagation == .private { flags = [.private, .recursive] }
            try Mounts.mount(source: nil, target: "/", type: nil, flags: flags)
        }
        try step("bind-mounting the root \(rootfs) onto itself") { try Mounts.bind(rootfs, on: rootfs, recursive: true) }
        let root = try step("opening the root \(rootfs)") {
            try syscallCheck("open", rootfs) { cove_open(rootfs, RootfsPaths.oPath | O_DIRECTORY | O_CLOEXEC, 0) }
        }
        defer { close(root) }
        for (i, m) in mounts.enumerated() {
            try step("mounts[\(i)] (\(m.destination))") { try mount(m, root: root, field: "mounts[\(i)]", idmap: idmapUserNamespaces[i]) }
        }
        let devBind = mounts.contains { RootfsPaths.relative($0.destination) == "dev" && (try? MountOptions($0.options, field: ""))?.isBind == true }
        if !devBind {
            try step("creating devices") { try DeviceSetup(spec: spec, newUserNamespace: newUserNamespace).create(root: root) }
        }
    }

    func mount(_ m: OCI.Mount, root: Int32, field: String, idmap: Int32? = nil) throws {
        let opts = try MountOptions(m.options, field: "\(field).options")
        let type = m.type ?? (opts.isBind ? "none" : nil)
        if type == "cgroup" || type == "cgroup2" {
            return try CgroupMount.mount(m, options: opts, root: root, bindFrom: try cgroup?.enter())
        }
        var isFile = false
        if opts.isBind {
            guard let src = m.source else { throw CoveError("a bind mount needs a source") }
            var st = stat()
            try syscallCheck("stat", src) { stat(src, &st) }
            isFile = (st.st_mode & S_IFMT) != S_IFDIR
        }
        let target = try RootfsPaths.create(root: root, m.destination, file: isFile)
        defer { close(target) }
        let at = RootfsPaths.procPath(target)
        if opts.isBind {
            if let idmap {
                try IDMappedMounts.bind(source: m.source!, target: target, what: m.destination, userNamespace: idmap, recursive: opts.flags.contains(.recursive),
                                        recursiveIDMap: m.options?.contains("ridmap") == true)
            } else {
                try Mounts.mount(source: m.source, target: at, type: nil, flags: opts.flags.intersection([.bind, .recursive]))
            }
            // Bind mounts take their other flags only on a remount of the new mount itself.
            let rest = opts.flags.subtracting([.bind, .recursive, .remount])
            if !rest.isEmpty || !opts.cleared.isEmpty {
                let top = try RootfsPaths.open(root: root, m.destination)
                defer { close(top) }
                try Remount.bind(RootfsPaths.procPath(top), adding: rest, removing: opts.cleared, what: m.destination)
            }
        } else {
            do {
                try Mounts.mount(source: m.source ?? type, target: at, type: type, flags: opts.flags, data: opts.dataString)
            } catch let e as SyscallError where type == "sysfs" && e.errno.rawValue == EPERM {
                // sysfs needs a network namespace owned by our user namespace; runc falls back to /sys.
                try Mounts.mount(source: "/sys", target: at, type: nil, flags: [.bind, .recursive])
                let top = try RootfsPaths.open(root: root, m.destination)
                defer { close(top) }
                try Remount.bind(RootfsPaths.procPath(top), adding: opts.flags, removing: [], what: m.destination)
            }
        }
        if !opts.propagation.isEmpty {
            let top = try RootfsPaths.open(root: root, m.destination)
            defer { close(top) }
            for p in opts.propagation {
                try Mounts.mount(source: nil, target: RootfsPaths.procPath(top), type: nil, flags: p)
            }
        }
    }

    /// pivot_root into the root and detach the old one — or, with --no-pivot, move the root over / and chroot.
    func enter() throws {
        if noPivot {
            try step("moving the root onto / (--no-pivot)") {
                try syscallCheck("chdir", rootfs) { chdir(rootfs) }
                try Mounts.mount(source: rootfs, target: "/", type: nil, flags: .move)
                try syscallCheck("chroot", ".") { chroot(".") }
                try syscallCheck("chdir", "/") { chdir("/") }
            }
            return
        }
        try step("pivot_root to \(rootfs)") {
            let oldRoot = try syscallCheck("open", "/") { cove_open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC, 0) }
            defer { close(oldRoot) }
            try syscallCheck("chdir", rootfs) { chdir(rootfs) }
            try syscallCheck("pivot_root", rootfs) { cove_pivot_root(".", ".") }
            // The old root now sits on top of the new one: make it a slave so its unmount stays here, detach it.
            try syscallCheck("fchdir", "old root") { fchdir(oldRoot) }
            try Mounts.mount(source: nil, target: ".", type: nil, flags: [.slave, .recursive])
            try Mounts.unmount(".", detach: true)
            try syscallCheck("chdir", "/") { chdir("/") }
        }
    }

    /// After pivot_root: sysctls (before /proc/sys turns read-only), masked and read-only paths, a read-only
    /// root, and the requested root propagation.
    func finish() throws {
        for (key, value) in (spec.linux?.sysctl ?? [:]).sorted(by: { $0.key < $1.key }) {
            try step("linux.sysctl \(key)") {
                try FileIO.write("/proc/sys/" + key.replacingDots(), value)
            }
        }
        let root = try syscallCheck("open", "/") { cove_open("/", RootfsPaths.oPath | O_DIRECTORY | O_CLOEXEC, 0) }
        defer { close(root) }
        for (i, path) in (spec.linux?.maskedPaths ?? []).enumerated() {
            try step("linux.maskedPaths[\(i)] (\(path))") { try Masking.mask(path, root: root) }
        }
        for (i, path) in (spec.linux?.readonlyPaths ?? []).enumerated() {
            try step("linux.readonlyPaths[\(i)] (\(path))") {
                guard let fd = try? RootfsPaths.open(root: root, path) else { return }
                defer { close(fd) }
                try Mounts.mount(source: RootfsPaths.procPath(fd), target: RootfsPaths.procPath(fd), type: nil, flags: [.bind, .recursive])
                let top = try RootfsPaths.open(root: root, path)
                defer { close(top) }
                try Remount.bind(RootfsPaths.procPath(top), adding: .readOnly, removing: [], what: path)
            }
        }
        if spec.root?.readonly == true {
            try step("root.readonly") { try Remount.bind("/", adding: .readOnly, removing: [], what: "/") }
        }
        if let p = spec.linux?.rootfsPropagation {
            try step("linux.rootfsPropagation \(p.rawValue)") {
                let flags: MountFlags = switch p {
                case .private: .private
                case .shared: .shared
                case .slave: .slave
                case .unbindable: .unbindable
                }
                try Mounts.mount(source: nil, target: "/", type: nil, flags: flags)
            }
        }
    }
}

/// Runs a setup step, prefixing its error with what was being done (once).
@discardableResult
func step<T>(_ what: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as StepError {
        throw e
    } catch {
        throw StepError("\(what): \(error)")
    }
}

/// An error that already names its step.
struct StepError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

extension String {
    func replacingDots() -> String { String(map { $0 == "." ? "/" : $0 }) }
}

enum Remount {
    /// MS_REMOUNT|MS_BIND with `adding` set and `removing` cleared, keeping the flags the kernel locks on
    /// mounts inherited into a user namespace (nosuid, nodev, noexec, ro, atime) so the remount is allowed.
    static func bind(_ target: String, adding: MountFlags, removing: MountFlags, what: String) throws {
        var sv = statvfs()
        try syscallCheck("statvfs", what) { statvfs(target, &sv) }
        var current: MountFlags = []
        let map: [(UInt, MountFlags)] = [(1, .readOnly), (2, .noSuid), (4, .noDev), (8, .noExec), (1024, .noAtime), (2048, .noDirAtime), (4096, .relAtime), (256, .noSymFollow)]
        for (bit, flag) in map where UInt(sv.f_flag) & bit != 0 { current.insert(flag) }
        var flags = current.union(adding).subtracting(removing)
        flags.formUnion([.remount, .bind])
        do {
            try Mounts.mount(source: nil, target: target, type: nil, flags: flags)
        } catch let e as SyscallError where e.errno.rawValue == EPERM {
            // A locked flag was cleared: keep what the kernel insists on.
            try Mounts.mount(source: nil, target: target, type: nil, flags: flags.union(current))
        }
    }
}
