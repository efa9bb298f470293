import CLinux
import Glibc
import Kernel
import OCI

/// `process.terminal`, the container side: runc's `setupConsole`. The pty comes from the container's own
/// devpts instance (after pivot_root, or after joining the mount namespace for `exec`), so the slave is
/// /dev/pts/N inside the container. The master goes back to `cove` over the sync channel with SCM_RIGHTS;
/// `cove` either hands it to the console socket (podman's conmon, containerd's shim) or proxies it
/// itself (`TerminalProxy`). The slave becomes the controlling terminal and stdin, stdout and stderr.
enum ContainerConsole {
    /// The message that carries the master over the sync channel.
    static let message = "console"

    /// `mountConsole`: the slave is also bind-mounted over /dev/console (the init, as runc does; not exec).
    /// `owner`: the process's uid, given the slave as runc's fixStdioPermissions does, so `tty` and a
    /// reopened /dev/tty work after the process drops root.
    static func setup(channel: SyncChannel, size: OCI.Process.ConsoleSize?, mountConsole: Bool, owner: UInt32?) throws {
        let pty = try step("opening a terminal in the container") {
            // /dev/ptmx is usually a symlink to pts/ptmx; a container without the symlink still has its devpts.
            do { return try PseudoTerminal.open(ptmx: "/dev/pts/ptmx") } catch { return try PseudoTerminal.open(ptmx: "/dev/ptmx") }
        }
        defer { close(pty.master) }
        var slave = pty.slave
        defer { if slave > 2 { close(slave) } }
        if let size, size.height > 0 || size.width > 0 {
            var ws = winsize(ws_row: UInt16(clamping: size.height), ws_col: UInt16(clamping: size.width), ws_xpixel: 0, ws_ypixel: 0)
            _ = cove_ioctl_ptr(pty.master, UInt(TIOCSWINSZ), &ws)
        }
        if mountConsole {
            try step("bind-mounting the terminal onto /dev/console") { try bindOnDevConsole(slave: pty.slave) }
        }
        if let owner {
            // Only the uid changes (the group stays devpts' tty group); refused changes are ignored, as by runc.
            var st = stat()
            if fstat(slave, &st) == 0 && st.st_uid != owner { _ = fchown(slave, owner, st.st_gid) }
        }
        try step("sending the terminal to cove") { try channel.send(message, fd: pty.master) }
        try step("making the terminal the controlling terminal") {
            // The init is a session leader already (setsid after clone); an exec'd process is not yet.
            if getsid(0) != getpid() { try syscallCheck("setsid") { setsid() } }
            try syscallCheck("ioctl TIOCSCTTY") { cove_ioctl(slave, UInt(TIOCSCTTY), 0) }
            for target in Int32(0)...2 {
                try syscallCheck("dup2", String(target)) { dup2(slave, target) }
            }
        }
        if slave > 2 {
            close(slave)
            slave = -1
        }
    }

    /// /dev/console as a file (made if missing, never followed if a symlink), the slave bound on top.
    static func bindOnDevConsole(slave: Int32) throws {
        let root = try syscallCheck("open", "/") { cove_open("/", RootfsPaths.oPath | O_DIRECTORY | O_CLOEXEC, 0) }
        defer { close(root) }
        let target = try RootfsPaths.create(root: root, "/dev/console", file: true, mode: 0o666)
        defer { close(target) }
        try Mounts.mount(source: RootfsPaths.procPath(slave), target: RootfsPaths.procPath(target), type: nil, flags: .bind)
    }
}

extension SyncChannel {
    /// Sends `message` with `fd` attached (SCM_RIGHTS).
    func send(_ message: String, fd: Int32) throws {
        let sent = message.withCString { cove_send_fd(self.fd, fd, $0, strlen($0)) }
        if sent < 0 { throw SyscallError.last("sendmsg SCM_RIGHTS", "init sync") }
    }

    /// Waits for `expected` carrying a descriptor; an `error …` message or a closed channel is thrown.
    func expectFD(_ expected: String, during step: String) throws -> Int32 {
        var received: Int32 = -1
        let bytes = try SyncChannel.message { b in
            try syscallCheck("recvmsg", "init sync") { cove_recv_fd(self.fd, &received, b.baseAddress, b.count) }
        }
        let n = bytes.count
        let msg = String(decoding: bytes, as: UTF8.self)
        if n == 0 || msg != expected || received < 0 {
            if received >= 0 { Glibc.close(received) }
            if n == 0 { throw CoveError("\(step): container process exited without reporting why") }
            if msg.hasPrefix("error ") { throw CoveError(String(msg.dropFirst(6))) }
            throw CoveError("\(step): unexpected message from the container process: \(msg)")
        }
        return received
    }
}

/// The runtime side: where the master goes, with runc's rules about when a terminal can be had at all.
public enum ConsoleMode {
    /// No terminal: stdio passes through untouched.
    case none
    /// The master goes to the unix socket at this path (engines), and cove closes its copy.
    case socket(String)
    /// cove proxies its own stdio to the master in the foreground.
    case proxy

    /// runc's checkTerminal: a detached process with a terminal needs a console socket, and a console
    /// socket needs both a terminal and a detached cove.
    static func choose(terminal: Bool, detach: Bool, consoleSocket: String?) throws -> ConsoleMode {
        if terminal && detach && consoleSocket == nil {
            throw CoveError("process.terminal: cannot allocate tty if cove will detach without setting console socket")
        }
        if let path = consoleSocket {
            if !terminal || !detach { throw CoveError("--console-socket \(path): cannot use console socket if cove will not detach or allocate tty") }
            try checkSocket(path)
            return .socket(path)
        }
        return terminal ? .proxy : .none
    }

    /// A missing socket is reported before anything is made.
    static func checkSocket(_ path: String) throws {
        var st = stat()
        if stat(path, &st) != 0 { throw CoveError("--console-socket \(path): \(SyscallError.last("stat").errno)") }
        if st.st_mode & S_IFMT != S_IFSOCK { throw CoveError("--console-socket \(path): not a unix socket") }
    }

    /// Hands `master` on: to the console socket (then closed), or back to the caller for the proxy.
    func deliver(_ master: Int32) throws -> Int32? {
        switch self {
        case .socket(let path):
            defer { close(master) }
            try step("--console-socket \(path)") { try Terminal.sendToConsoleSocket(master, path: path) }
            return nil
        case .proxy:
            // Our window size now, before the process can ask for it (the proxy follows later changes).
            if isatty(0) == 1 { Terminal.copyWindowSize(from: 0, to: master) }
            return master
        case .none:
            close(master)
            return nil
        }
    }
}
