import CLinux
import Glibc
import Kernel
import OCI

/// Runs OCI hooks: each gets the container state JSON on stdin, its own args and env, and is killed
/// when it outlives its timeout.
enum HookRunner {
    static func run(_ hooks: [Hook]?, kind: String, state: State) throws {
        for (i, hook) in (hooks ?? []).enumerated() {
            try run(hook, name: "hook \(kind)[\(i)] \(hook.path)", state: state)
        }
    }

    static func run(_ hook: Hook, name: String, state: State) throws {
        let input = try state.forHooks.json()
        let pipe = try Kernel.Pipe()
        let pid = try ProcessControl.fork()
        if pid == 0 {
            pipe.closeWrite()
            dup2(pipe.readEnd, 0)
            try? SignalSet([]).setAsMask()
            let argv = (hook.args?.isEmpty == false ? hook.args! : [hook.path]).map { strdup($0) } + [nil]
            let env = (hook.env ?? []).map { strdup($0) } + [nil]
            execve(hook.path, argv, env)
            fputs("cove: \(name): exec: \(String(cString: strerror(cove_errno())))\n", stderr)
            ProcessControl.exitChild(127)
        }
        pipe.closeRead()
        // A hook that does not read its stdin must not block us: the state is small, and EPIPE is ignored.
        input.withUnsafeBytes { buf in _ = Glibc.write(pipe.writeEnd, buf.baseAddress, buf.count) }
        pipe.closeWrite()
        let status = try waitWithTimeout(pid, seconds: hook.timeout, name: name)
        if status != .exited(0) { throw CoveError("\(name): \(status)") }
    }

    /// Waits for `pid`, killing it after `seconds` (pidfd + poll: no signals, no threads).
    static func waitWithTimeout(_ pid: pid_t, seconds: Int?, name: String) throws -> ExitStatus {
        if let seconds {
            let pidfd = try ProcessControl.pidfdOpen(pid)
            defer { close(pidfd) }
            var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            let deadline = monotonicMillis() + Int64(seconds) * 1000
            while true {
                let left = deadline - monotonicMillis()
                if left <= 0 {
                    _ = cove_pidfd_send_signal(pidfd, SIGKILL, 0)
                    _ = try ProcessControl.wait(pid)
                    throw CoveError("\(name): timed out after \(seconds)s")
                }
                let r = poll(&p, 1, Int32(min(left, 60_000)))
                if r > 0 { break }
                if r < 0 && cove_errno() != EINTR { throw SyscallError.last("poll", name) }
            }
        }
        return try ProcessControl.wait(pid)
    }

    static func monotonicMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
