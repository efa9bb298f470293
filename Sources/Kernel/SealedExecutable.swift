import CLinux
import Glibc

/// Runs `cove` from a copy of itself that nothing can write (runc CVE-2019-5736): a container that reaches
/// /proc/PID/exe of a runtime process — or executes it, with `#!/proc/self/exe` — must never get the host
/// binary open for writing.
///
/// First choice: a read-only bind mount of the binary that is attached nowhere (open_tree OPEN_TREE_CLONE +
/// mount_setattr MOUNT_ATTR_RDONLY, Linux 5.12): three syscalls, no helper process, no mount any namespace
/// can see, nothing to undo. The mount lives as long as its descriptor and then as long as the process
/// images executed from it. No bytes are copied; the re-exec'd process pages in from the page cache.
/// Before 5.12, the same read-only bind mount made by a forked helper in a mount namespace of its own (as
/// runc 1.2 does); without the right to mount (rootless), a sealed memfd copy of the whole binary.
///
/// On x86_64 the `cove` executable's entry point (Sources/CoveEntry) has usually made the first choice's
/// re-exec already, before glibc and the Swift runtime started — a process start saved. This type stays the
/// authority: it checks what it runs from and re-executes itself whenever the entry point did not.
public enum SealedExecutable {
    static let marker = "_COVE_SEALED_EXE"

    /// True when this process runs from a memfd or from a read-only mount.
    public static var isSealed: Bool {
        let link = (try? FileIO.readLink("/proc/self/exe")) ?? ""
        if link.hasPrefix("/memfd:") { return true }
        var fs = statvfs()
        return statvfs("/proc/self/exe", &fs) == 0 && (fs.f_flag & UInt(ST_RDONLY)) != 0
    }

    /// Re-executes the current command line from a protected copy of /proc/self/exe, unless already
    /// there. Returns only when no re-exec was needed (or throws when it failed).
    public static func ensure() throws {
        if getenv(marker) != nil {
            unsetenv(marker)
            if isSealed { return }
            throw CoveError("re-exec from a protected copy of cove did not run from a read-only file")
        }
        if isSealed { return }
        let fd = try (try? detachedReadOnlyMount()) ?? (try? readOnlyMount()) ?? memfdCopy()
        setenv(marker, "1", 1)
        let argv = CommandLine.arguments.map { strdup($0) } + [nil]
        fflush(nil)
        cove_execveat(fd, "", argv, environ, Int32(COVE_AT_EMPTY_PATH))
        let err = SyscallError.last("execveat", "protected copy of cove")
        unsetenv(marker)
        close(fd)
        throw err
    }

    /// An O_PATH descriptor of the binary on a read-only clone of its mount that is attached nowhere.
    static func detachedReadOnlyMount() throws -> Int32 {
        let flags = UInt32(COVE_OPEN_TREE_CLONE) | UInt32(O_CLOEXEC)
        let tree = try syscallCheck("open_tree", "/proc/self/exe") { cove_open_tree(AT_FDCWD, "/proc/self/exe", flags) }
        var attr = cove_mount_attr(attr_set: COVE_MOUNT_ATTR_RDONLY, attr_clr: 0, propagation: 0, userns_fd: 0)
        do {
            try syscallCheck("mount_setattr MOUNT_ATTR_RDONLY", "/proc/self/exe") {
                cove_mount_setattr(tree, "", UInt32(COVE_AT_EMPTY_PATH), &attr)
            }
        } catch {
            close(tree)
            throw error
        }
        return tree
    }

    /// The helper unshares a mount namespace (so the caller's, which the container's will be copied from,
    /// stays untouched), bind-mounts the binary on itself read-only, opens it and passes the descriptor back.
    static func readOnlyMount() throws -> Int32 {
        var pair: [Int32] = [0, 0]
        try syscallCheck("socketpair") { socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) }
        defer { close(pair[0]) }
        let pid = try ProcessControl.fork()
        if pid == 0 {
            close(pair[0])
            do {
                let exe = try FileIO.readLink("/proc/self/exe")
                try Namespaces.unshare(.newMount)
                try Mounts.setPropagation(.private, of: "/")
                try Mounts.bind(exe, on: exe)
                try Mounts.mount(source: nil, target: exe, type: nil, flags: [.remount, .bind, .readOnly])
                let fd = try syscallCheck("open", exe) { cove_open(exe, O_RDONLY | O_CLOEXEC, 0) }
                var byte: UInt8 = 0
                if cove_send_fd(pair[1], fd, &byte, 1) < 0 { ProcessControl.exitChild(1) }
                ProcessControl.exitChild(0)
            } catch {
                ProcessControl.exitChild(1)
            }
        }
        close(pair[1])
        var fd: Int32 = -1
        var byte: UInt8 = 0
        let n = cove_recv_fd(pair[0], &fd, &byte, 1)
        let status = try ProcessControl.wait(pid)
        guard n == 1, fd >= 0, status == .exited(0) else {
            if fd >= 0 { close(fd) }
            throw CoveError("read-only mount of the cove binary failed")
        }
        return fd
    }

    /// memfd_create + sendfile of the whole binary + seals against any later write.
    static func memfdCopy() throws -> Int32 {
        let src = try syscallCheck("open", "/proc/self/exe") { cove_open("/proc/self/exe", O_RDONLY | O_CLOEXEC, 0) }
        defer { close(src) }
        let mfd = try syscallCheck("memfd_create", "cove") { cove_memfd_create("cove", COVE_MFD_CLOEXEC | COVE_MFD_ALLOW_SEALING) }
        do {
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
            return mfd
        } catch {
            close(mfd)
            throw error
        }
    }
}
