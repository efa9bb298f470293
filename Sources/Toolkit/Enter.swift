import CLinux
import Glibc
import Kernel

/// What `cove enter` was asked to do.
public struct EnterOptions {
    public var target: pid_t?
    /// Namespaces to join; a non-nil value is a namespace file to join instead of the target's.
    public var namespaces = NamespaceSelection()
    public var all = false
    /// .some(nil): the target's root (or cwd); .some(path): that directory.
    public var root: String??
    public var workingDirectory: String??
    public var preserveCredentials = false
    public var uid: UInt32?
    public var gid: UInt32?
    public var fork = true
    public var command: [String] = []

    public init() {}
}

/// `cove enter`: nsenter(1) semantics. Everything is opened before the first setns(2) — after joining a
/// mount or user namespace, the target's /proc paths may no longer resolve or be permitted.
public enum Enter {
    public static func run(_ o: EnterOptions) throws -> Int32 {
        let plan = try Plan(o)
        defer { plan.close() }

        try plan.join()
        try plan.changeRootAndDirectory()
        try plan.setCredentials()

        // setns(2) into a PID or time namespace applies to children only: fork so the command is inside.
        guard plan.mustFork else { try exec(o.command) }
        let oldMask = try SignalForwarder.blockForwarded()
        let inChild: () -> Never = {
            do {
                try oldMask.setAsMask()
                try exec(o.command)
            } catch {
                fputs("cove enter: \(error)\n", stderr)
                ProcessControl.exitChild((error as? ExecError)?.exitCode ?? 1)
            }
        }
        // The child only execs: no copy of cove's memory (vfork), unless a time namespace was joined, which
        // the kernel does not let a child share memory across.
        let child: pid_t
        if plan.joins.contains(where: { $0.kind == .time }) {
            child = try ProcessControl.fork()
            if child == 0 { inChild() }
        } else {
            child = try ProcessControl.vfork(inChild)
        }
        return try SignalForwarder.wait(for: child).shellCode
    }

    static func exec(_ command: [String]) throws -> Never {
        let argv = command.isEmpty ? [Unshare.defaultShell()] : command
        do {
            try ProcessControl.exec(argv)
        } catch let error as SyscallError {
            throw ExecError(command: argv[0], errno: error.errno.rawValue)
        }
    }
}

extension Enter {
    struct Plan {
        var pidfd: Int32 = -1
        /// Namespace fds in join order, with what they are for error messages.
        var joins: [(kind: NamespaceKind, fd: Int32, what: String)] = []
        var rootFD: Int32 = -1
        var cwdFD: Int32 = -1
        var options: EnterOptions

        var mustFork: Bool { options.fork && joins.contains { $0.kind == .pid || $0.kind == .time } }
        var joinsUser: Bool { joins.contains { $0.kind == .user } }

        init(_ o: EnterOptions) throws {
            options = o
            var wanted = o.namespaces
            if let pid = o.target {
                // A pidfd pins the target: if it dies and its PID is reused while we open its files,
                // the liveness check below catches it.
                pidfd = try ProcessControl.pidfdOpen(pid)
                if o.all {
                    for kind in NamespaceKind.allCases where wanted[kind] == nil {
                        if try Self.differs(kind, pid) { wanted[kind] = .some(nil) }
                    }
                }
            } else if o.all || wanted.files.contains(where: { $0 == nil }) || o.root == .some(nil) || o.workingDirectory == .some(nil) {
                throw CoveError("no target process specified: use --target PID or a namespace file (--net=FILE)")
            }
            if wanted.isEmpty && o.root == nil && o.workingDirectory == nil {
                throw CoveError("no namespace specified: use --all or one of --mount --uts --ipc --net --pid --user --cgroup --time")
            }
            do {
                for kind in NamespaceKind.joinOrder {
                    guard let entry = wanted[kind] else { continue }
                    let path = entry ?? "/proc/\(o.target!)/ns/\(kind.procName)"
                    let fd = try syscallCheck("open", path) { cove_open(path, O_RDONLY | O_CLOEXEC, 0) }
                    joins.append((kind, fd, path))
                    let actual = try Namespaces.kind(ofFD: fd, path: path)
                    if actual != kind { throw CoveError("\(path): is a \(actual.procName) namespace, not \(kind.procName)") }
                }
                if let root = o.root { rootFD = try Self.openDirectory(root ?? "/proc/\(o.target!)/root") }
                if let wd = o.workingDirectory { cwdFD = try Self.openDirectory(wd ?? "/proc/\(o.target!)/cwd") }
                if pidfd >= 0, cove_pidfd_send_signal(pidfd, 0, 0) != 0 {
                    throw CoveError("target process \(o.target!) exited")
                }
            } catch {
                close()
                throw error
            }
        }

        /// --all joins only namespaces that differ from ours: setns(2) into one's own user namespace fails.
        static func differs(_ kind: NamespaceKind, _ pid: pid_t) throws -> Bool {
            let theirs = "/proc/\(pid)/ns/\(kind.procName)"
            guard FileIO.exists(theirs) else { return false }
            return try Namespaces.inode(path: theirs) != Namespaces.inode(path: "/proc/self/ns/\(kind.procName)")
        }

        static func openDirectory(_ path: String) throws -> Int32 {
            try syscallCheck("open", path) { cove_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) }
        }

        func join() throws {
            for j in joins {
                try Namespaces.setns(j.fd, j.kind.cloneFlag, j.what)
            }
        }

        func changeRootAndDirectory() throws {
            if rootFD >= 0 {
                try syscallCheck("fchdir", "root") { fchdir(rootFD) }
                try syscallCheck("chroot", ".") { chroot(".") }
            }
            if cwdFD >= 0 {
                try syscallCheck("fchdir", "working directory") { fchdir(cwdFD) }
            } else if rootFD >= 0 {
                try syscallCheck("chdir", "/") { chdir("/") }
            }
        }

        /// In a joined user namespace become root there (nsenter's default) unless asked to keep ids;
        /// setgroups first, then gid, then uid — setuid drops the right to change the others.
        func setCredentials() throws {
            let becomeRoot = joinsUser && !options.preserveCredentials
            let gid = options.gid ?? (becomeRoot ? 0 : nil)
            let uid = options.uid ?? (becomeRoot ? 0 : nil)
            if let gid {
                // setgroups may be denied in the namespace (/proc/PID/setgroups "deny"): that is fine.
                if setgroups(0, nil) != 0 && cove_errno() != EPERM { throw SyscallError.last("setgroups") }
                try syscallCheck("setgid", String(gid)) { setgid(gid) }
            }
            if let uid { try syscallCheck("setuid", String(uid)) { setuid(uid) } }
        }

        func close() {
            for j in joins { Glibc.close(j.fd) }
            if pidfd >= 0 { Glibc.close(pidfd) }
            if rootFD >= 0 { Glibc.close(rootFD) }
            if cwdFD >= 0 { Glibc.close(cwdFD) }
        }
    }
}
