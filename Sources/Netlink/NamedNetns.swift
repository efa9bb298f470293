import CLinux
import Glibc
import Kernel

/// Persistent named network namespaces kept exactly as iproute2 keeps them, so `ip netns` and `cove netns`
/// see and manage the same ones: /run/netns is a shared mount (bind-mounted on itself if it is not a mount
/// point yet) and each namespace is bind-mounted on an empty file /run/netns/NAME.
public enum NamedNetns {
    public static let runDir = "/run/netns"

    /// Names as iproute2 accepts them: a single path component, not "." or "..", shorter than NAME_MAX.
    public static func validate(_ name: String) throws {
        if name.isEmpty { throw CoveError("invalid network namespace name: empty") }
        if name.contains("/") || name == "." || name == ".." {
            throw CoveError("invalid network namespace name \"\(name)\": must not contain / or be . or ..")
        }
        if name.utf8.count >= 255 { throw CoveError("invalid network namespace name \"\(name)\": too long") }
        if name.utf8.contains(0) { throw CoveError("invalid network namespace name: contains a NUL byte") }
    }

    public static func path(_ name: String) throws -> String {
        try validate(name)
        return "\(runDir)/\(name)"
    }

    /// The path of an existing named namespace, or a clear error.
    public static func existing(_ name: String) throws -> String {
        let p = try path(name)
        var st = stat()
        if lstat(p, &st) != 0 { throw CoveError("network namespace \"\(name)\" not found") }
        return p
    }

    /// Creates the namespace. On any failure nothing is left: no file, no mount.
    public static func add(_ name: String) throws {
        let file = try path(name)
        try FileIO.makeDirectories(runDir)
        // flock on the directory serializes concurrent adds while /run/netns is made a shared mount, so two
        // of them never stack two bind mounts on it. No lock file: anything in /run/netns would be listed.
        let dirFD = try syscallCheck("open", runDir) { cove_open(runDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) }
        defer { close(dirFD) }
        try syscallCheck("flock", runDir) { flock(dirFD, LOCK_EX) }
        try makeRunDirShared()

        let created = cove_open(file, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0)
        if created < 0 {
            if cove_errno() == EEXIST { throw CoveError("network namespace \"\(name)\" already exists") }
            throw SyscallError.last("create", file)
        }
        close(created)
        do {
            // A new namespace for this process only while it is bind-mounted; then back to the original.
            let home = try syscallCheck("open", "/proc/thread-self/ns/net") { cove_open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC, 0) }
            defer { close(home) }
            try Namespaces.unshare(.newNet)
            defer {
                if cove_setns(home, Int32(CLONE_NEWNET)) != 0 {
                    fputs("cove: setns back to the original network namespace failed\n", stderr)
                    abort()
                }
            }
            try Mounts.bind("/proc/thread-self/ns/net", on: file)
        } catch {
            unlink(file)
            throw error
        }
    }

    /// iproute2's dance: make /run/netns shared; if it is not a mount point yet (EINVAL), bind it on itself first.
    static func makeRunDirShared() throws {
        var bound = false
        while true {
            if Glibc.mount("", runDir, "none", UInt(MS_SHARED | MS_REC), nil) == 0 { return }
            let e = cove_errno()
            if e != EINVAL || bound { throw SyscallError("mount --make-rshared", runDir, errno: .init(rawValue: e)) }
            try Mounts.bind(runDir, on: runDir, recursive: true)
            bound = true
        }
    }

    /// Deletes namespaces: all names are checked first, so a bad one deletes none. The namespace itself lives
    /// on while processes are in it or devices refer to it; the name is gone at once, as with `ip netns delete`.
    public static func delete(_ names: [String]) throws {
        let paths = try names.map(existing)
        for p in paths {
            if umount2(p, Int32(MNT_DETACH)) != 0 && cove_errno() != EINVAL {
                throw SyscallError.last("umount", p)
            }
            try syscallCheck("unlink", p) { unlink(p) }
        }
    }

    /// Names in /run/netns (empty if it does not exist), sorted.
    public static func list() throws -> [String] {
        guard FileIO.isDirectory(runDir) else { return [] }
        return try FileIO.list(runDir).sorted()
    }

    /// Names whose namespace is the one of process `pid` (`ip netns identify`).
    public static func identify(pid: Int32) throws -> [String] {
        let target = try nsIdentity("/proc/\(pid)/ns/net")
        return try list().filter { (try? nsIdentity("\(runDir)/\($0)")) == target }
    }

    /// Processes in the named namespace (`ip netns pids`).
    public static func pids(_ name: String) throws -> [Int32] {
        let target = try nsIdentity(try existing(name))
        return try FileIO.list("/proc").compactMap { Int32($0) }.sorted()
            .filter { (try? nsIdentity("/proc/\($0)/ns/net")) == target }
    }

    static func nsIdentity(_ path: String) throws -> [UInt64] {
        var st = stat()
        try syscallCheck("stat", path) { stat(path, &st) }
        return [UInt64(st.st_dev), UInt64(st.st_ino)]
    }
}
