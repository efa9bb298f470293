import CLinux
import Glibc

/// `cove run`/`exec` with a terminal and no console socket: Cove itself sits between the user's terminal and
/// the container's pty master — raw mode on our side (restored on exit), bytes both ways, window size changes
/// passed on, other signals forwarded. One poll(2) loop over stdin, the master and a signalfd keeps Cove
/// single-threaded.
public enum TerminalProxy {
    /// Runs until `child` exits. The forwarded signals and SIGCHLD must already be blocked
    /// (`SignalForwarder.blockForwarded()` before the fork).
    public static func run(master: Int32, child: pid_t, forwardingTo target: pid_t? = nil) throws -> ExitStatus {
        let set = SignalSet(SignalForwarder.forwarded + [SIGCHLD])
        let sigfd = try withUnsafePointer(to: set.raw) { p in
            try syscallCheck("signalfd") { cove_signalfd(-1, p) }
        }
        defer { close(sigfd) }
        let interactive = isatty(0) == 1
        let saved = interactive ? try? Terminal.makeRaw(0) : nil
        defer { if let saved { Terminal.restore(0, saved) } }
        if interactive { Terminal.copyWindowSize(from: 0, to: master) }

        var stdinOpen = true
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            if let status = try ProcessControl.poll(child) {
                drain(master, &buffer)
                return status
            }
            var fds = [pollfd(fd: sigfd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: master, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stdinOpen ? 0 : -1, events: Int16(POLLIN), revents: 0)]
            let n = poll(&fds, nfds_t(fds.count), -1)
            if n < 0 {
                if cove_errno() == EINTR { continue }
                throw SyscallError.last("poll")
            }
            if fds[0].revents != 0 {
                var info = [UInt8](repeating: 0, count: 128) // struct signalfd_siginfo
                if read(sigfd, &info, 128) == 128 {
                    let sig = Int32(info.withUnsafeBytes { $0.load(as: UInt32.self) })
                    if sig == SIGWINCH { Terminal.copyWindowSize(from: 0, to: master) }
                    else if sig != SIGCHLD { _ = Glibc.kill(target ?? child, sig) }
                }
            }
            if fds[1].revents != 0 {
                let got = read(master, &buffer, buffer.count)
                // EIO: every slave fd is closed; the child's exit follows on the signalfd.
                if got > 0 { writeAll(1, buffer, got) } else if got <= 0 && cove_errno() != EINTR && cove_errno() != EAGAIN {
                    return try ProcessControl.wait(child)
                }
            }
            if stdinOpen && fds[2].revents != 0 {
                let got = read(0, &buffer, buffer.count)
                if got > 0 { writeAll(master, buffer, got) } else if got == 0 || cove_errno() != EINTR {
                    stdinOpen = false
                }
            }
        }
    }

    /// What the container wrote just before exiting is still in the master: copy it out without blocking.
    private static func drain(_ master: Int32, _ buffer: inout [UInt8]) {
        let flags = cove_fcntl(master, F_GETFL, 0)
        _ = cove_fcntl(master, F_SETFL, Int(flags | O_NONBLOCK))
        while true {
            let got = read(master, &buffer, buffer.count)
            if got <= 0 { break }
            writeAll(1, buffer, got)
        }
    }

    static func writeAll(_ fd: Int32, _ buffer: [UInt8], _ count: Int) {
        var off = 0
        while off < count {
            let w = buffer[off..<count].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if w < 0 { if cove_errno() == EINTR { continue }; return }
            off += w
        }
    }
}
