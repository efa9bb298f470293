import CLinux
import Cgroups
import Glibc
import Kernel
import OCI

/// /dev inside the container: the default devices every container gets, the config's devices, and the
/// usual symlinks. Device nodes are made with mknod(2); in a new user namespace, where mknod is not allowed,
/// the host's node at the same path is bind-mounted instead.
struct DeviceSetup {
    let spec: Spec
    let newUserNamespace: Bool

    static let defaults: [Linux.Device] = [
        Linux.Device(type: "c", path: "/dev/null", major: 1, minor: 3, fileMode: 0o666),
        Linux.Device(type: "c", path: "/dev/zero", major: 1, minor: 5, fileMode: 0o666),
        Linux.Device(type: "c", path: "/dev/full", major: 1, minor: 7, fileMode: 0o666),
        Linux.Device(type: "c", path: "/dev/random", major: 1, minor: 8, fileMode: 0o666),
        Linux.Device(type: "c", path: "/dev/urandom", major: 1, minor: 9, fileMode: 0o666),
        Linux.Device(type: "c", path: "/dev/tty", major: 5, minor: 0, fileMode: 0o666),
    ]

    var devices: [Linux.Device] {
        let custom = spec.linux?.devices ?? []
        return DeviceSetup.defaults.filter { d in !custom.contains { $0.path == d.path } } + custom
    }

    func create(root: Int32) throws {
        // One open of each directory the nodes go in (all of them in /dev, usually), not one per node.
        var dirs: [String: Directory] = [:]
        defer { for d in dirs.values { close(d.fd) } }
        for d in devices {
            try step("device \(d.path)") { try make(d, root: root, dirs: &dirs) }
        }
        let dev = try RootfsPaths.create(root: root, "/dev")
        defer { close(dev) }
        var links = [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")]
        if FileIO.exists("/proc/kcore") { links.append(("core", "/proc/kcore")) }
        if (try? RootfsPaths.open(root: root, "/dev/ptmx")).map({ close($0); return true }) != true {
            links.append(("ptmx", "pts/ptmx"))
        }
        for (name, target) in links {
            if symlinkat(target, dev, name) != 0 && cove_errno() != EEXIST {
                throw SyscallError.last("symlink", "/dev/\(name)")
            }
        }
    }

    /// A directory device nodes are made in, and the group a new node in it gets.
    struct Directory {
        let fd: Int32
        let newNodeGroup: gid_t
    }

    func make(_ d: Linux.Device, root: Int32, dirs: inout [String: Directory]) throws {
        let rel = RootfsPaths.relative(d.path)
        let parts = Text.pathComponents(rel)
        let parentPath = Text.join(parts.dropLast(), separator: "/")
        let name = parts.last ?? ""
        if newUserNamespace {
            let target = try RootfsPaths.create(root: root, d.path, file: true)
            defer { close(target) }
            try Mounts.mount(source: d.path, target: RootfsPaths.procPath(target), type: nil, flags: .bind)
            return
        }
        let dir: Directory
        if let known = dirs[parentPath] {
            dir = known
        } else {
            let parent = try RootfsPaths.create(root: root, "/" + parentPath)
            defer { close(parent) }
            // parent is an O_PATH descriptor: name the directory through /proc for the *at calls.
            let fd = try syscallCheck("open", d.path) { cove_open(RootfsPaths.procPath(parent), O_DIRECTORY | O_RDONLY | O_CLOEXEC, 0) }
            var st = stat()
            if fstat(fd, &st) != 0 {
                close(fd)
                throw SyscallError.last("stat", "/" + parentPath)
            }
            // A set-group-ID directory gives new files its own group.
            dir = Directory(fd: fd, newNodeGroup: st.st_mode & S_ISGID != 0 ? st.st_gid : getegid())
            dirs[parentPath] = dir
        }
        let kind: mode_t = switch d.type {
        case "b": S_IFBLK
        case "p": S_IFIFO
        default: S_IFCHR
        }
        let mode = mode_t(d.fileMode ?? 0o666)
        let dev = cove_makedev(UInt32(d.major ?? 0), UInt32(d.minor ?? 0))
        if mknodat(dir.fd, name, kind | mode, dev) != 0 {
            guard cove_errno() == EEXIST else { throw SyscallError.last("mknod", d.path) }
            try syscallCheck("unlink", d.path) { unlinkat(dir.fd, name, 0) }
            try syscallCheck("mknod", d.path) { mknodat(dir.fd, name, kind | mode, dev) }
        }
        // mknod's mode went through the umask.
        try syscallCheck("chmod", d.path) { fchmodat(dir.fd, name, mode, 0) }
        let (uid, gid) = (d.uid ?? 0, d.gid ?? 0)
        if uid != geteuid() || gid != dir.newNodeGroup {
            try syscallCheck("chown", d.path) { fchownat(dir.fd, name, uid, gid, Int32(AT_SYMLINK_NOFOLLOW)) }
        }
    }
}

/// Masks a path with an empty read-only tmpfs (directories) or the null device (files) — after checking
/// that the container's /dev/null really is the null device, so a planted file or symlink cannot turn
/// masking into exposing something (runc CVE-2025-31133).
enum Masking {
    static func mask(_ path: String, root: Int32) throws {
        let fd: Int32
        do {
            fd = try RootfsPaths.open(root: root, path)
        } catch let e as SyscallError where e.errno.rawValue == ENOENT {
            return
        }
        defer { close(fd) }
        let st = try RootfsPaths.stat(fd: fd, what: path)
        if (st.st_mode & S_IFMT) == S_IFDIR {
            try Mounts.mount(source: "tmpfs", target: RootfsPaths.procPath(fd), type: "tmpfs", flags: .readOnly)
            return
        }
        let null = try RootfsPaths.open(root: root, "/dev/null")
        defer { close(null) }
        let ns = try RootfsPaths.stat(fd: null, what: "/dev/null")
        guard (ns.st_mode & S_IFMT) == S_IFCHR, cove_major(ns.st_rdev) == 1, cove_minor(ns.st_rdev) == 3 else {
            throw CoveError("/dev/null in the container is not the null device (char 1:3); refusing to mask with it")
        }
        try Mounts.mount(source: RootfsPaths.procPath(null), target: RootfsPaths.procPath(fd), type: nil, flags: .bind)
    }
}

/// A `cgroup` mount: cgroup2 on a unified host; on a v1 or hybrid host a tmpfs holding one entry per
/// hierarchy, as runc does. With a cgroup namespace each entry is that hierarchy mounted (seen through the
/// namespace); without one (`bindFrom`) it is a bind mount of the container's own cgroup directory, so the
/// host's tree stays hidden — and no cgroup file system is mounted, which would wait on the kernel's cgroup
/// mutex while `create` moves the init into its cgroup at the same time.
enum CgroupMount {
    /// Where the init's cgroups are on the host: the directories `create` made (controller → path), and
    /// for other hierarchies the mount point of each (`CgroupLayout`).
    struct HostDirs {
        var made: [String: String]
        var layout: CgroupLayout?

        /// The host directory for a /proc/self/cgroup line's controllers and path.
        func directory(controllers: String, path: String) -> String? {
            let names = controllers.isEmpty ? [""] : controllers.split(separator: ",").map(String.init)
            for n in names { if let d = made[n] { return d } }
            var mountPoint = controllers.isEmpty ? layout?.unifiedMount : nil
            if !controllers.isEmpty {
                for n in names { if let m = layout?.v1Mounts[n] { mountPoint = m; break } }
            }
            guard let mountPoint else { return nil }
            return path == "/" ? mountPoint : mountPoint + path
        }
    }

    static func mount(_ m: OCI.Mount, options: MountOptions, root: Int32, bindFrom host: HostDirs?) throws {
        let flags = options.flags.subtracting([.bind, .recursive, .remount])
        let target = try RootfsPaths.create(root: root, m.destination)
        defer { close(target) }
        if FileIO.exists("/sys/fs/cgroup/cgroup.controllers") || m.type == "cgroup2" {
            try Mounts.mount(source: "cgroup2", target: RootfsPaths.procPath(target), type: "cgroup2", flags: flags)
            return
        }
        try Mounts.mount(source: "tmpfs", target: RootfsPaths.procPath(target), type: "tmpfs",
                         flags: flags.subtracting(.readOnly), data: "mode=755")
        let top = try RootfsPaths.open(root: root, m.destination)
        defer { close(top) }
        let topDir = try syscallCheck("open", m.destination) { cove_open(RootfsPaths.procPath(top), O_DIRECTORY | O_RDONLY | O_CLOEXEC, 0) }
        defer { close(topDir) }
        let text = try FileIO.readString("/proc/self/cgroup")
        let restrict = flags.intersection([.readOnly, .noSuid, .noDev, .noExec])
        var bound: [String] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            let ctrls = String(f[1])
            let (dir, type, data): (String, String, String?) =
                if ctrls.isEmpty { ("unified", "cgroup2", nil) }
                else if ctrls.hasPrefix("name=") { (String(ctrls.dropFirst(5)), "cgroup", "none,\(ctrls)") }
                else { (ctrls, "cgroup", ctrls) }
            // In the tmpfs just mounted: nothing else has had a chance to put anything there.
            let shown = m.destination + "/" + dir
            try syscallCheck("mkdir", shown) { mkdirat(topDir, dir, 0o755) }
            let sub = try RootfsPaths.openBeneath(topDir, dir, shown: shown)
            defer { close(sub) }
            if let source = host?.directory(controllers: ctrls, path: String(f[2])) {
                try Mounts.mount(source: source, target: RootfsPaths.procPath(sub), type: nil, flags: .bind)
                bound.append(dir)
            } else {
                try Mounts.mount(source: "cgroup", target: RootfsPaths.procPath(sub), type: type, flags: flags, data: data)
            }
            for c in ctrls.split(separator: ",") where ctrls.contains(",") { _ = symlinkat(dir, topDir, String(c)) }
        }
        // One mount_setattr for the tmpfs and every bind mount in it; before Linux 5.12, a remount each.
        do {
            try Mounts.setAttributes(of: topDir, adding: restrict, recursive: true, what: m.destination)
            return
        } catch let e as SyscallError where e.errno.rawValue == ENOSYS {}
        for dir in bound {
            // `topDir` names the tmpfs; the bind mount's root is what opening the name finds now.
            let mounted = try RootfsPaths.openBeneath(topDir, dir, shown: m.destination + "/" + dir)
            defer { close(mounted) }
            try Remount.bind(RootfsPaths.procPath(mounted), adding: restrict, removing: [], what: "\(m.destination)/\(dir)")
        }
        if flags.contains(.readOnly) {
            try Remount.bind(RootfsPaths.procPath(top), adding: .readOnly, removing: [], what: m.destination)
        }
    }
}
