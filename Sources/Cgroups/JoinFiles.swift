import Glibc
import Kernel

/// Files through which a process moves itself into a container's cgroup(s): opened by the runtime, written
/// "0" ("the caller") by the process that joins — the container's init, or an exec'd process.
///
/// Why from the inside: writing a PID to cgroup.procs takes the kernel's global threadgroup rwsem for
/// writing, and taking it after a quiet spell waits for an RCU grace period (5-20 ms, most of a `create`
/// on a v1 host; runc and crun pay it). On v1 "0" written to a hierarchy's `tasks` moves the calling
/// thread alone, which the kernel does under cgroup_mutex only. The joining process must therefore be
/// single-threaded (cove's are). v2 has no per-thread move between domains: its file is cgroup.procs.
///
/// The kernel checks the credentials the file was opened with, so a process that has since entered a new
/// user namespace (or given up privileges) still joins with the runtime's permission.
public struct CgroupJoinFiles {
    public struct File {
        public let path: String
        public let fd: Int32
        public init(path: String, fd: Int32) {
            self.path = path
            self.fd = fd
        }
    }
    public let files: [File]

    public init(files: [File] = []) { self.files = files }

    public var descriptors: [Int32] { files.map(\.fd) }

    /// Opens `name` in each of `dirs` for writing (close-on-exec: the joining process closes them before
    /// it execs anyway). With `rootless`, a directory the user may not write is skipped with a warning, and
    /// one that does not exist without.
    public static func open(_ name: String, in dirs: [String], rootless: Bool) throws -> (CgroupJoinFiles, [CgroupWarning]) {
        var files: [File] = []
        var warnings: [CgroupWarning] = []
        do {
            for d in dirs {
                let path = "\(d)/\(name)"
                let fd = Glibc.open(path, O_WRONLY | O_CLOEXEC)
                if fd >= 0 {
                    files.append(File(path: path, fd: fd))
                    continue
                }
                let error = SyscallError.last("open", path)
                // A directory `create` could not make was reported then.
                if rootless && error.errno == .noSuchFileOrDirectory { continue }
                guard rootless && CgroupFile.isPermission(error) else { throw error }
                warnings.append(CgroupWarning("rootless: cannot join cgroup \(d) (\(error))"))
            }
        } catch {
            CgroupJoinFiles(files: files).close()
            throw error
        }
        return (CgroupJoinFiles(files: files), warnings)
    }

    /// Moves the calling process (v1: the calling thread, which must be its only one) into every cgroup.
    public func joinCaller() throws {
        for f in files {
            var zero: UInt8 = 0x30
            while Glibc.write(f.fd, &zero, 1) < 0 {
                if errno == EINTR { continue }
                throw SyscallError.last("write", "\(f.path) (\"0\")")
            }
        }
    }

    public func close() {
        for f in files { Glibc.close(f.fd) }
    }
}
