import CLinux
import Glibc

/// setrlimit(2)/getrlimit(2) by resource number (the RLIMIT_* value).
public enum Rlimits {
    public static func set(_ resource: Int32, soft: UInt64, hard: UInt64, name: String) throws {
        var lim = rlimit(rlim_cur: rlim_t(soft), rlim_max: rlim_t(hard))
        try syscallCheck("setrlimit", name) { setrlimit(__rlimit_resource_t(UInt32(resource)), &lim) }
    }

    public static func get(_ resource: Int32) throws -> (soft: UInt64, hard: UInt64) {
        var lim = rlimit()
        try syscallCheck("getrlimit") { getrlimit(__rlimit_resource_t(UInt32(resource)), &lim) }
        return (UInt64(lim.rlim_cur), UInt64(lim.rlim_max))
    }
}

/// flock(2) on a directory or file: serialises commands on one container.
public struct FileLock {
    public let fd: Int32

    /// Opens `path` and takes an exclusive lock, waiting for any other holder.
    public init(path: String) throws {
        fd = try syscallCheck("open", path) { cove_open(path, O_RDONLY | O_CLOEXEC, 0) }
        do {
            try syscallCheck("flock", path) { flock(fd, LOCK_EX) }
        } catch {
            close(fd)
            throw error
        }
    }

    public func release() { close(fd) }
}
