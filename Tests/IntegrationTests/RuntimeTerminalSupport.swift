import Foundation
import Testing

/// The other end of `--console-socket`, as conmon and containerd's shim are: a unix socket listening at
/// `path`; `receive` accepts one connection and takes the descriptor off it with recvmsg(SCM_RIGHTS).
final class ConsoleReceiver {
    let path: String
    let fd: Int32

    init(path: String) throws {
        self.path = path
        // Close-on-exec here, on the connection and on the received descriptor: a daemon another test starts
        // meanwhile must not keep a copy (a terminal held open by it would never hang up).
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, c) in path.utf8.enumerated() { buf[i] = c }
        }
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard ok == 0, listen(fd, 1) == 0 else {
            close(fd)
            throw TestFailure("bind/listen \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// The name sent along (runc sends "/dev/ptmx") and the received descriptor.
    func receive(timeout: Int32 = 10_000) throws -> (name: String, fd: Int32) {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, timeout) == 1 else { throw TestFailure("no connection on the console socket") }
        let conn = accept(fd, nil, nil)
        guard conn >= 0 else { throw TestFailure("accept: \(String(cString: strerror(errno)))") }
        _ = fcntl(conn, F_SETFD, FD_CLOEXEC)
        defer { close(conn) }
        var data = [UInt8](repeating: 0, count: 4096)
        // struct cmsghdr (len: size_t, level: int, type: int) then one int: CMSG_SPACE(sizeof(int)) is 24.
        var control = [UInt8](repeating: 0, count: 64)
        let n = data.withUnsafeMutableBytes { dataBuf in
            control.withUnsafeMutableBytes { ctlBuf in
                var iov = iovec(iov_base: dataBuf.baseAddress, iov_len: dataBuf.count)
                return withUnsafeMutablePointer(to: &iov) { iovp in
                    var msg = msghdr()
                    msg.msg_iov = iovp
                    msg.msg_iovlen = 1
                    msg.msg_control = ctlBuf.baseAddress
                    msg.msg_controllen = ctlBuf.count
                    let r = recvmsg(conn, &msg, 0x4000_0000 /* MSG_CMSG_CLOEXEC */)
                    return r < 0 ? -1 : (msg.msg_controllen >= 20 ? r : -2)
                }
            }
        }
        guard n >= 0 else { throw TestFailure(n == -2 ? "no descriptor came with the message" : "recvmsg: \(String(cString: strerror(errno)))") }
        let (level, type, passed) = control.withUnsafeBytes {
            ($0.load(fromByteOffset: 8, as: Int32.self), $0.load(fromByteOffset: 12, as: Int32.self), $0.load(fromByteOffset: 16, as: Int32.self))
        }
        guard level == SOL_SOCKET, type == 1 /* SCM_RIGHTS */ else { throw TestFailure("unexpected control message \(level)/\(type)") }
        return (String(decoding: data[0..<n], as: UTF8.self), passed)
    }
}

/// Reads a terminal master (or any descriptor) until `done` holds for what came so far, or `timeout`.
enum TerminalIO {
    static func read(_ fd: Int32, timeout: TimeInterval = 10, until done: (String) -> Bool) -> String {
        var out = [UInt8]()
        let end = Date().addingTimeInterval(timeout)
        var buf = [UInt8](repeating: 0, count: 4096)
        while !done(String(decoding: out, as: UTF8.self)) && Date() < end {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 200) <= 0 { continue }
            let n = Glibc.read(fd, &buf, buf.count)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func write(_ fd: Int32, _ text: String) {
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
    }

    static func setSize(_ fd: Int32, rows: UInt16, cols: UInt16) {
        var ws = winsize(ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(fd, UInt(TIOCSWINSZ), &ws)
    }
}

/// `cove` started in a session of its own with a test-made pty as its controlling terminal and stdio, the
/// way a user's shell starts it. The test holds the master: it types, reads, and resizes the window.
final class PtySession {
    let master: Int32
    let slavePath: String
    let pid: pid_t

    init(_ argv: [String], rows: UInt16, cols: UInt16) throws {
        // posix_openpt and friends are hidden from Swift's Glibc: /dev/ptmx, TIOCSPTLCK and TIOCGPTN by hand.
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, 0x4004_5431 /* TIOCSPTLCK */, &unlock) == 0,
              ioctl(master, 0x8004_5430 /* TIOCGPTN */, &number) == 0 else {
            throw TestFailure("/dev/ptmx: \(String(cString: strerror(errno)))")
        }
        slavePath = "/dev/pts/\(number)"
        TerminalIO.setSize(master, rows: rows, cols: cols)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Opened after setsid without O_NOCTTY: the pty becomes the controlling terminal.
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        var attr = posix_spawnattr_t()
        Spawned.cleanSignals(&attr, extraFlags: 0x80 /* POSIX_SPAWN_SETSID */)
        defer { posix_spawnattr_destroy(&attr) }
        let cargv = argv.map { strdup($0) } + [nil]
        let cenv = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cargv + cenv).forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, argv[0], &actions, &attr, cargv, cenv)
        guard rc == 0 else {
            close(master)
            throw TestFailure("posix_spawn \(argv[0]): \(String(cString: strerror(rc)))")
        }
        pid = child
    }

    deinit { close(master) }

    /// Exit status (128+N for a signal), after reading what is left on the master.
    func wait(timeout: TimeInterval = 20) -> (status: Int32, rest: String) {
        var rest = ""
        let end = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            rest += TerminalIO.read(master, timeout: 0.2) { _ in false }
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if Date() > end {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
        }
        rest += TerminalIO.read(master, timeout: 0.3) { _ in false }
        let signaled = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f
        return (signaled ? 128 + (status & 0x7f) : (status >> 8) & 0xff, rest)
    }

    /// The terminal's settings as the test's side of it sees them now (cove restores them on exit).
    func localFlags() -> tcflag_t? {
        let fd = open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var t = termios()
        return tcgetattr(fd, &t) == 0 ? t.c_lflag : nil
    }
}
