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
    public static func create(root: Int32, _ path: String, file: Bool = false, mode: mode_t = 0o755) throws -> Int32 {
        let parts = relative(path).split(separator: "/").map(String.init)
        if parts.isEmpty { return try open(root: root, "/") }
        for i in 1...parts.count {
            let prefix = parts[0..<i].joined(separator: "/")
            do {
                let fd = try open(root: root, prefix)
                if i == parts.count { return fd }
                close(fd)
                continue
            } catch let e as SyscallError where e.errno.rawValue == ENOENT {
                let parent = try open(root: root, parts[0..<(i - 1)].joined(separator: "/"), flags: RootfsPaths.oPath | O_DIRECTORY)
                defer { close(parent) }
                let name = parts[i - 1]
                let last = i == parts.count
                if last && file {
                    let fd = cove_openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o644)
                    if fd < 0 && cove_errno() != EEXIST { throw SyscallError.last("create", "/" + prefix) }
                    if fd >= 0 { close(fd) }
                } else if mkdirat(parent, name, mode) != 0 {
                    if cove_errno() == EEXIST {
                        throw CoveError("/\(prefix): is a symlink that points nowhere inside the container root")
                    }
                    throw SyscallError.last("mkdir", "/" + prefix)
                }
                let fd = try open(root: root, prefix)
                if last { return fd }
                close(fd)
            }
        }
        fatalError("unreachable")
    }

    /// The magic-link path that names an open descriptor for mount(2) and friends.
    public static func procPath(_ fd: Int32) -> String { "/proc/self/fd/\(fd)" }

    /// `a/b` for `/a/b`, `a/b/`, `//a//b`.
    public static func relative(_ path: String) -> String {
        path.split(separator: "/").joined(separator: "/")
    }

    /// fstat of a descriptor.
    public static func stat(fd: Int32, what: String) throws -> stat {
        var st = Glibc.stat()
        try syscallCheck("fstat", what) { fstat(fd, &st) }
        return st
    }
}
