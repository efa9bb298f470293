import CLinux
import Glibc

/// How a child ended.
public enum ExitStatus: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public init(waitStatus s: Int32) {
        if cove_WIFSIGNALED(s) != 0 { self = .signaled(cove_WTERMSIG(s)) } else { self = .exited(cove_WEXITSTATUS(s)) }
    }

    /// The shell convention: the exit code, or 128+N for a death by signal N.
    public var shellCode: Int32 {
        switch self {
        case .exited(let c): c
        case .signaled(let s): 128 + s
        }
    }

    public var description: String {
        switch self {
        case .exited(let c): "exited with status \(c)"
        case .signaled(let s): "killed by signal \(s) (\(Signal.name(of: s) ?? "?"))"
        }
    }
}

public enum ProcessControl {
    /// fork(2), after flushing stdio so buffered output is not written twice. `cove` is single-threaded,
    /// so the child may run any Swift code.
    public static func fork() throws -> pid_t {
        fflush(nil)
        return try syscallCheck("fork") { cove_fork() }
    }

    /// clone(2) with CLONE_VM | CLONE_VFORK, as posix_spawn does: the child runs `body` on a stack of its own,
    /// in this process's memory, while this process is suspended until the child execs or exits; then this
    /// process resumes with the child's PID. Nothing is copied, and the child's exec has no copy of cove's
    /// address space to tear down (a fork and exec cost ~0.4 ms more here). `body` must end in an exec or
    /// `exitChild`; what it allocates stays allocated in this process. The kernel refuses CLONE_VM after
    /// unshare(CLONE_NEWTIME) (EINVAL): use `fork` then.
    public static func vfork(_ body: @escaping () -> Never) throws -> pid_t {
        final class Entry {
            let body: () -> Never
            init(_ body: @escaping () -> Never) { self.body = body }
        }
        // As large as a main thread's default stack (only touched pages cost anything), with a guard page
        // below it: a process the child clones before it execs (exec's stage 2) lives on this stack too.
        let size = 8 << 20, guardSize = 4096
        guard let stack = mmap(nil, size + guardSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0),
              stack != MAP_FAILED else { throw SyscallError.last("mmap", "stack for the child") }
        // After clone returns here the child has exec'd or exited: its stack is free here.
        defer { munmap(stack, size + guardSize) }
        try syscallCheck("mprotect", "stack guard page") { mprotect(stack, guardSize, PROT_NONE) }
        let entry = Entry(body)
        fflush(nil)
        let pid = withExtendedLifetime(entry) {
            cove_clone_fn({ Unmanaged<Entry>.fromOpaque($0!).takeUnretainedValue().body() }, stack + guardSize + size,
                          Int32(CLONE_VM | CLONE_VFORK) | SIGCHLD, Unmanaged.passUnretained(entry).toOpaque())
        }
        if pid < 0 { throw SyscallError.last("clone", "CLONE_VM|CLONE_VFORK") }
        return pid
    }

    /// waitpid(2) until `pid` ends (stops are ignored); retries on EINTR.
    public static func wait(_ pid: pid_t) throws -> ExitStatus {
        var status: Int32 = 0
        try syscallCheck("waitpid", String(pid)) { waitpid(pid, &status, 0) }
        return ExitStatus(waitStatus: status)
    }

    /// waitpid(2) with WNOHANG: nil while `pid` still runs.
    public static func poll(_ pid: pid_t) throws -> ExitStatus? {
        var status: Int32 = 0
        let r = try syscallCheck("waitpid", String(pid)) { waitpid(pid, &status, WNOHANG) }
        return r == 0 ? nil : ExitStatus(waitStatus: status)
    }

    /// execvp(3): searches PATH, replaces the process; returns only by throwing.
    public static func exec(_ argv: [String]) throws -> Never {
        precondition(!argv.isEmpty)
        let cargs = argv.map { strdup($0) } + [nil]
        execvp(argv[0], cargs)
        let err = SyscallError.last("exec", argv[0])
        throw err
    }

    /// execve(2) with an explicit environment; `path` is used as given.
    public static func exec(path: String, _ argv: [String], environment: [String]) throws -> Never {
        let cargs = argv.map { strdup($0) } + [nil]
        let cenv = environment.map { strdup($0) } + [nil]
        execve(path, cargs, cenv)
        throw SyscallError.last("exec", path)
    }

    /// _exit(2): ends a forked child without running atexit handlers or flushing the parent's buffers twice.
    public static func exitChild(_ code: Int32) -> Never {
        fflush(nil)
        _exit(code)
    }

    /// Asks the kernel to send `signal` to this process when its parent dies (prctl PR_SET_PDEATHSIG).
    public static func setParentDeathSignal(_ signal: Int32) throws {
        try syscallCheck("prctl", "PR_SET_PDEATHSIG") { cove_prctl(PR_SET_PDEATHSIG, UInt(signal), 0, 0, 0) }
    }

    /// pidfd_open(2): a handle that stays tied to this very process even after its PID is reused.
    public static func pidfdOpen(_ pid: pid_t) throws -> Int32 {
        try syscallCheck("pidfd_open", String(pid)) { cove_pidfd_open(pid, 0) }
    }

    /// kill(2).
    public static func kill(_ pid: pid_t, _ signal: Int32) throws {
        try syscallCheck("kill", String(pid)) { Glibc.kill(pid, signal) }
    }

    /// True while a process with this PID exists (kill(pid, 0)).
    public static func exists(_ pid: pid_t) -> Bool {
        Glibc.kill(pid, 0) == 0 || cove_errno() == EPERM
    }
}

/// A pipe(2) pair, both ends close-on-exec, used to order a parent and its child.
public struct Pipe {
    public var readEnd: Int32
    public var writeEnd: Int32

    public init() throws {
        var fds: [Int32] = [0, 0]
        try syscallCheck("pipe2") { cove_pipe2(&fds, O_CLOEXEC) }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    /// Writes one byte: "go on".
    public func signal(_ byte: UInt8 = 0) throws {
        var b = byte
        try syscallCheck("write", "sync pipe") { Glibc.write(writeEnd, &b, 1) }
    }

    /// Reads one byte; nil when the other side closed its end without writing.
    public func wait() throws -> UInt8? {
        var b: UInt8 = 0
        let n = try syscallCheck("read", "sync pipe") { Glibc.read(readEnd, &b, 1) }
        return n == 0 ? nil : b
    }

    public func closeRead() { close(readEnd) }
    public func closeWrite() { close(writeEnd) }
}
