import CLinux
import Glibc

/// Paths inside a container's root resolved by the kernel as if that directory were `/` (openat2 with
/// RESOLVE_IN_ROOT): `..` and absolute symlinks cannot lead out of it (runc CVE-2021-30465). Mounts then go
/// onto `/proc/self/fd/N` of the resolved handle, so nothing can swap the path in between.
public enum RootfsPaths {
    /// O_PATH (a GNU extension Swift's Glibc module hides).
    public static let oPath: Int32 = 0o10000000

    /// Opens `path` (relative to the root or absolute-in-root) with openat2 RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS.
    public static func open(root: Int32, _ path: String, flags: Int32 = RootfsPaths.oPath | O_CLOEXEC) throws -> Int32 {
        var how = cove_open_how(flags: UInt64(UInt32(bitPattern: flags | O_CLOEXEC)), mode: 0,
                                resolve: UInt64(COVE_RESOLVE_IN_ROOT | COVE_RESOLVE_NO_MAGICLINKS))
        let rel = relative(path)
        return try syscallCheck("openat2", path) { cove_openat2(root, rel.isEmpty ? "." : rel, &how) }
    }

    /// Opens `path` inside the root, creating missing directories (and, with `file`, the last component as
    /// an empty file) without ever following a symlink out of the root. Returns an O_PATH descriptor.
    ///
    /// One openat2 when the path exists (the usual case for a mount target). Otherwise the deepest existing
    /// ancestor is found from the bottom up, and each missing component is made in the directory opened
    /// before it and opened from there with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS: a symlink swapped in by
    /// the container's processes meanwhile fails the open instead of being followed.
    public static func create(root: Int32, _ path: String, file: Bool = false, mode: mode_t = 0o755) throws -> Int32 {
        let parts = Text.pathComponents(path)
        if parts.isEmpty { return try open(root: root, "/") }
        do {
            return try open(root: root, Text.join(parts[...], separator: "/"))
        } catch let e as SyscallError where e.errno.rawValue == ENOENT {}
        // parts[0..<existing] resolves to a directory; parts[existing...] are made below it.
        var existing = parts.count - 1
        var dir: Int32 = -1
        while dir < 0 {
            do {
                dir = try open(root: root, Text.join(parts[0..<existing], separator: "/"), flags: RootfsPaths.oPath | O_DIRECTORY)
            } catch let e as SyscallError where e.errno.rawValue == ENOENT && existing > 0 {
                existing -= 1
            }
        }
        defer { if dir >= 0 { close(dir) } }
        for i in existing..<parts.count {
            let name = parts[i]
            let shown = "/" + Text.join(parts[0...i], separator: "/")
            let last = i == parts.count - 1
            if last && file {
                let fd = cove_openat(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o644)
                if fd < 0 && cove_errno() != EEXIST { throw SyscallError.last("create", shown) }
                if fd >= 0 { close(fd) }
            } else if mkdirat(dir, name, mode) != 0 {
                if cove_errno() == EEXIST {
                    // Not found by the in-root open above, yet there: a symlink that leads nowhere.
                    throw CoveError("\(shown): is a symlink that points nowhere inside the container root")
                }
                throw SyscallError.last("mkdir", shown)
            }
            let next = try openBeneath(dir, name, directory: !(last && file), shown: shown)
            close(dir)
            dir = next
        }
        let made = dir
        dir = -1
        return made
    }

    /// O_PATH descriptor of `name` right inside `dir`, which must not be a symlink (RESOLVE_BENEATH |
    /// RESOLVE_NO_SYMLINKS): for what the runtime has just made there. `shown` names it in errors.
    public static func openBeneath(_ dir: Int32, _ name: String, directory: Bool = true, shown: String) throws -> Int32 {
        var how = cove_open_how(flags: UInt64(UInt32(bitPattern: RootfsPaths.oPath | O_CLOEXEC | (directory ? O_DIRECTORY : 0))), mode: 0,
                                resolve: UInt64(COVE_RESOLVE_BENEATH | COVE_RESOLVE_NO_SYMLINKS | COVE_RESOLVE_NO_MAGICLINKS))
        return try syscallCheck("openat2", shown) { cove_openat2(dir, name, &how) }
    }

    /// The magic-link path that names an open descriptor for mount(2) and friends.
    public static func procPath(_ fd: Int32) -> String { "/proc/self/fd/\(fd)" }

    /// `a/b` for `/a/b`, `a/b/`, `//a//b`.
    public static func relative(_ path: String) -> String { Text.relativePath(path) }

    /// fstat of a descriptor.
    public static func stat(fd: Int32, what: String) throws -> stat {
        var st = Glibc.stat()
        try syscallCheck("fstat", what) { fstat(fd, &st) }
        return st
    }
}
