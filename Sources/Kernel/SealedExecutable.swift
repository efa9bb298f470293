import CLinux
import Glibc

/// Runs `cove` from a sealed in-memory copy of itself (runc CVE-2019-5736): container processes that can
/// reach /proc/PID/exe of a runtime process then find a memfd that cannot be written, never the host binary.
public enum SealedExecutable {
    static let marker = "_COVE_SEALED_EXE"

    /// True when this process already runs from a sealed memfd.
    public static var isSealed: Bool {
        let link = (try? FileIO.readLink("/proc/self/exe")) ?? ""
        return link.hasPrefix("/memfd:")
    }

    /// Re-executes the current command line from a sealed memfd copy of /proc/self/exe, unless already
    /// there. Returns only when no re-exec was needed (or throws when it failed).
    public static func ensure() throws {
        if getenv(marker) != nil {
            unsetenv(marker)
            if isSealed { return }
            throw CoveError("re-exec from a sealed copy of cove did not run from a memfd")
        }
        let src = try syscallCheck("open", "/proc/self/exe") { cove_open("/proc/self/exe", O_RDONLY | O_CLOEXEC, 0) }
        defer { close(src) }
        let mfd = try syscallCheck("memfd_create", "cove") { cove_memfd_create("cove", COVE_MFD_CLOEXEC | COVE_MFD_ALLOW_SEALING) }
        var st = Glibc.stat()
        try syscallCheck("fstat", "/proc/self/exe") { fstat(src, &st) }
        var left = Int(st.st_size)
        while left > 0 {
            let n = try syscallCheck("sendfile", "/proc/self/exe") { cove_sendfile(mfd, src, left) }
            if n == 0 { break }
            left -= n
        }
        let seals = COVE_F_SEAL_SEAL | COVE_F_SEAL_SHRINK | COVE_F_SEAL_GROW | COVE_F_SEAL_WRITE
        try syscallCheck("fcntl F_ADD_SEALS", "memfd") { cove_fcntl(mfd, COVE_F_ADD_SEALS, Int(seals)) }
        setenv(marker, "1", 1)
        let argv = CommandLine.arguments.map { strdup($0) } + [nil]
        fflush(nil)
        fexecve(mfd, argv, environ)
        let err = SyscallError.last("fexecve", "sealed copy of cove")
        unsetenv(marker)
        throw err
    }
}
