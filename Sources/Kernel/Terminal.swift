import CLinux
import Glibc

/// A pseudo-terminal pair from /dev/ptmx (or a devpts instance's ptmx inside a container's root).
public struct PseudoTerminal {
    public var master: Int32
    public var slave: Int32

    /// open(2) of `ptmx`, unlock (TIOCSPTLCK), then TIOCGPTPEER for the slave: no path lookup of
    /// /dev/pts/N, which a container could have replaced with a symlink.
    public static func open(ptmx: String = "/dev/ptmx") throws -> PseudoTerminal {
        let master = try syscallCheck("open", ptmx) { cove_open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC, 0) }
        do {
            var unlock: Int32 = 0
            try syscallCheck("ioctl TIOCSPTLCK", ptmx) { cove_ioctl_ptr(master, cove_tiocsptlck(), &unlock) }
            let slave = try syscallCheck("ioctl TIOCGPTPEER", ptmx) {
                cove_ioctl(master, cove_tiocgptpeer(), UInt(O_RDWR | O_NOCTTY | O_CLOEXEC))
            }
            return PseudoTerminal(master: master, slave: slave)
        } catch {
            close(master)
            throw error
        }
    }

    /// The slave's name, /dev/pts/N (TIOCGPTN on the master).
    public func slaveName() throws -> String {
        var n: UInt32 = 0
        try syscallCheck("ioctl TIOCGPTN") { cove_ioctl_ptr(master, cove_tiocgptn(), &n) }
        return "/dev/pts/\(n)"
    }
}

public enum Terminal {
    /// In the process that will exec: a new session with `fd` as controlling terminal and as stdio.
    /// setsid first — only a session leader may acquire a controlling terminal.
    public static func makeControlling(_ fd: Int32) throws {
        try syscallCheck("setsid") { setsid() }
        try syscallCheck("ioctl TIOCSCTTY") { cove_ioctl(fd, UInt(TIOCSCTTY), 0) }
        for target in Int32(0)...2 {
            try syscallCheck("dup2", String(target)) { dup2(fd, target) }
        }
        if fd > 2 { close(fd) }
    }

    /// Sends `fd` over the unix socket at `path` with SCM_RIGHTS, as runc does for `--console-socket`
    /// (podman's conmon and containerd's shim wait on the other end).
    public static func sendToConsoleSocket(_ fd: Int32, path: String, name: String = "/dev/ptmx") throws {
        let sock = try UnixSocket.connect(path: path)
        defer { close(sock) }
        let sent = name.withCString { cove_send_fd(sock, fd, $0, strlen($0)) }
        if sent < 0 { throw SyscallError.last("sendmsg SCM_RIGHTS", path) }
    }

    /// TIOCGWINSZ on `from`, TIOCSWINSZ on `to`.
    public static func copyWindowSize(from: Int32, to: Int32) {
        var ws = winsize()
        if cove_ioctl_ptr(from, UInt(TIOCGWINSZ), &ws) == 0 { _ = cove_ioctl_ptr(to, UInt(TIOCSWINSZ), &ws) }
    }

    /// Puts a terminal into raw mode; returns the previous settings to restore.
    public static func makeRaw(_ fd: Int32) throws -> termios {
        var saved = termios()
        try syscallCheck("tcgetattr") { tcgetattr(fd, &saved) }
        var raw = saved
        cfmakeraw(&raw)
        try syscallCheck("tcsetattr") { tcsetattr(fd, TCSANOW, &raw) }
        return saved
    }

    public static func restore(_ fd: Int32, _ settings: termios) {
        var s = settings
        _ = tcsetattr(fd, TCSANOW, &s)
    }
}

public enum UnixSocket {
    /// socket(AF_UNIX, SOCK_STREAM) + connect(2) to `path`.
    public static func connect(path: String) throws -> Int32 {
        let fd = try syscallCheck("socket", "AF_UNIX") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var addr = try address(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 {
            let e = SyscallError.last("connect", path)
            close(fd)
            throw e
        }
        return fd
    }

    /// socket + bind + listen on `path`.
    public static func listen(path: String) throws -> Int32 {
        let fd = try syscallCheck("socket", "AF_UNIX") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var addr = try address(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 || Glibc.listen(fd, 4) != 0 {
            let e = SyscallError.last(rc != 0 ? "bind" : "listen", path)
            close(fd)
            throw e
        }
        return fd
    }

    static func address(_ path: String) throws -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw CoveError("\(path): socket path too long (at most 107 bytes)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, b) in bytes.enumerated() { buf[i] = b }
        }
        return addr
    }
}
