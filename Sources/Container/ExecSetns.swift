import Cgroups
import CLinux
import Glibc
import Kernel
import OCI

/// The container an exec'd process enters: a pidfd on its init (checked against the recorded start time)
/// and the init's namespaces, opened from /proc/INIT/ns while `cove` still sees the host's /proc.
struct ExecTarget {
    let initPID: pid_t
    let pidfd: Int32
    /// The container's namespaces, in the order they are joined (`joinOrder`).
    let namespaces: [(kind: NamespaceKind, fd: Int32, path: String)]

    static func open(_ record: ContainerRecord) throws -> ExecTarget {
        guard let pidfd = try InitProcess.openChecked(pid: record.pid, startTime: record.initStartTime) else {
            throw CoveError("cannot exec in container '\(record.id)': it is stopped")
        }
        var opened: [(kind: NamespaceKind, fd: Int32, path: String)] = []
        do {
            let kinds = Set(try record.namespaces().compactMap { NamespaceKind(name: $0.type.rawValue) })
            for kind in NamespaceKind.joinOrder where kinds.contains(kind) {
                let path = "/proc/\(record.pid)/ns/\(kind.procName)"
                // Joining the namespace one is already in fails for a user namespace (EINVAL) and is a no-op
                // for the rest: skip it (a config may name the host's namespaces by path).
                if let mine = try? Namespaces.inode(path: "/proc/self/ns/\(kind.procName)"),
                   let theirs = try? Namespaces.inode(path: path), mine == theirs { continue }
                let fd = cove_open(path, O_RDONLY | O_CLOEXEC, 0)
                if fd < 0 {
                    // An init on its way out has no namespaces left to open.
                    let error = SyscallError.last("open", path)
                    if error.errno.rawValue == ENOENT { throw CoveError("cannot exec in container '\(record.id)': it is stopped (its init is exiting)") }
                    throw error
                }
                opened.append((kind, fd, path))
            }
            opened = joinOrder(opened)
            // The descriptors are of the very init the record describes, not of a process that took its PID.
            guard InitProcess.isAlive(pid: record.pid, startTime: record.initStartTime) else {
                throw CoveError("cannot exec in container '\(record.id)': it is stopped")
            }
        } catch {
            for ns in opened { Glibc.close(ns.fd) }
            Glibc.close(pidfd)
            throw error
        }
        return ExecTarget(initPID: record.pid, pidfd: pidfd, namespaces: opened)
    }

    func close() {
        for ns in namespaces { Glibc.close(ns.fd) }
        Glibc.close(pidfd)
    }

    /// User namespace first, so the rest are joined with the capabilities it grants (all an unprivileged
    /// `cove` has) — except namespaces the container's user namespace does not own: those need the
    /// privileges we still have outside it, so they go before it. The init's time namespace is such a
    /// one: it is unshared before the clone that makes the user namespace, so the host's user namespace
    /// owns it.
    static func joinOrder(_ opened: [(kind: NamespaceKind, fd: Int32, path: String)]) -> [(kind: NamespaceKind, fd: Int32, path: String)] {
        guard let user = opened.first(where: { $0.kind == .user }) else { return opened }
        func inode(_ fd: Int32) -> UInt64? {
            var st = stat()
            return fstat(fd, &st) == 0 ? UInt64(st.st_ino) : nil
        }
        let userInode = inode(user.fd)
        func ownedByContainer(_ fd: Int32) -> Bool {
            let owner = cove_ioctl(fd, COVE_NS_GET_USERNS, 0)
            // Unknown (EPERM when the owner is outside our reach): keep the usual order.
            guard owner >= 0 else { return true }
            defer { Glibc.close(owner) }
            return inode(owner) == userInode
        }
        let rest = opened.filter { $0.kind != .user }
        let before = rest.filter { !ownedByContainer($0.fd) }
        let after = rest.filter { ns in !before.contains { $0.fd == ns.fd } }
        return before + [user] + after
    }
}

struct ExecConfig {
    var process: OCI.Process
    var linux: Linux
    var target: ExecTarget
    var preserveFDs: Int
    var terminal: Bool
    /// The process's seccomp filter (the container's `linux.seccomp`), and the socket `cove exec` connected
    /// to its listenerPath for SCMP_ACT_NOTIFY.
    var seccomp: ContainerSeccomp?
    var state: State
    var seccompListener: Int32? = nil
    /// Written by the process itself to join the container's cgroup (`CgroupJoinFiles`).
    var cgroupJoin = CgroupJoinFiles()
}

/// How the exec'd process comes to be:
///
///   cove exec ──fork──▶ stage 1 (a vfork unless it joins a user or time namespace): rlimits (still with
///                       the host's privileges, so hard limits can rise), setns into each namespace (user
///                       first, mount last), clone3(CLONE_PARENT) ──▶ stage 2, a child of `cove exec` inside
///                       the container's PID namespace; stage 1 reports its PID and exits.
///
/// `cove exec` says "go"; stage 2 moves itself into the container's cgroup through the files `cove exec`
/// opened, drops inherited descriptors, makes its terminal, becomes the configured user with the configured capabilities, sends
/// "ready" and execs; its sync channel closes on exec, or carries the exec error.
enum ExecSetns {
    static func spawn(_ cfg: ExecConfig, channel: (parent: SyncChannel, child: SyncChannel)) throws -> pid_t {
        let inStage1: () -> Never = {
            channel.parent.close()
            runStage1(cfg, channel.child)
        }
        // Stage 1 lives only to setns and clone: it shares cove's memory (vfork) while cove waits for it,
        // unless it joins a user or time namespace, which the kernel allows only a process that shares its
        // memory with no other (EINVAL, EUSERS).
        let stage1: pid_t
        if cfg.target.namespaces.contains(where: { $0.kind == .user || $0.kind == .time }) {
            stage1 = try ProcessControl.fork()
            if stage1 == 0 { inStage1() }
        } else {
            stage1 = try ProcessControl.vfork(inStage1)
        }
        channel.child.close()
        let reply: String
        do {
            reply = try channel.parent.expect("pid", during: "joining the container's namespaces")
        } catch {
            _ = try? ProcessControl.wait(stage1)
            throw error
        }
        _ = try ProcessControl.wait(stage1)
        guard let pid = pid_t(reply), pid > 0 else { throw CoveError("joining the container's namespaces: bad reply '\(reply)'") }
        return pid
    }

    static func runStage1(_ cfg: ExecConfig, _ ch: SyncChannel) -> Never {
        do {
            let setup = ProcessSetup(process: cfg.process, preserveFDs: cfg.preserveFDs)
            try step("process.rlimits") { try setup.rlimits() }
            for ns in cfg.target.namespaces {
                try step("joining the container's \(ns.kind.rawValue) namespace") {
                    try Namespaces.setns(ns.fd, ns.kind.cloneFlag, ns.path)
                }
            }
            var args = clone_args()
            args.flags = UInt64(CLONE_PARENT)
            args.exit_signal = 0
            fflush(nil)
            let pid = cove_clone3(&args, MemoryLayout<clone_args>.size)
            if pid == 0 { runStage2(cfg, ch) }
            if pid < 0 { throw SyscallError.last("clone3", "CLONE_PARENT") }
            try ch.send("pid \(pid)")
            ProcessControl.exitChild(0)
        } catch {
            try? ch.send("error \(error)")
            ProcessControl.exitChild(1)
        }
    }

    static func runStage2(_ cfg: ExecConfig, _ ch: SyncChannel) -> Never {
        var reported = false
        do {
            _ = try ch.expect("go", during: "waiting for cove exec")
            try step("joining the container's cgroup") { try cfg.cgroupJoin.joinCaller() }
            // Nothing of the host stays open (runc CVE-2024-21626): only stdio, the preserved descriptors,
            // the channel and a seccomp listener.
            let keep = [ch.fd] + (cfg.seccompListener.map { [$0] } ?? [])
            try step("closing inherited descriptors") { try InitProcess.closeInherited(keeping: keep, preserved: cfg.preserveFDs) }
            let setup = ProcessSetup(process: cfg.process, preserveFDs: cfg.preserveFDs)
            if cfg.terminal {
                try ContainerConsole.setup(channel: ch, size: cfg.process.consoleSize, mountConsole: false,
                                           owner: cfg.process.user?.uid ?? 0)
            }
            let exe = try step("process.args") { try setup.resolveExecutable() }
            try step("process.scheduler") { try setup.scheduler() }
            try step("process.ioPriority") { try setup.ioPriority() }
            try step("linux.personality") { try ProcessSetup.personality(cfg.linux.personality) }
            try step("linux.seccomp") { try cfg.seccomp?.load(in: .beforeIdentity, listener: cfg.seccompListener, state: cfg.state) }
            try step("process.user and process.capabilities") { try setup.identity() }
            try step("process.noNewPrivileges") { try setup.noNewPrivileges() }
            try step("process.cwd") { try setup.changeDirectory() }
            setup.umask()
            try step("closing runtime descriptors") { try setup.closeDescriptorsOnExec() }
            // The channel may sit among the preserved numbers when the caller left them unused: it must still
            // close on exec, or `cove exec` would wait for it.
            _ = cove_fcntl(ch.fd, F_SETFD, Int(FD_CLOEXEC))
            try ch.send("ready")
            reported = true
            // Last, after the "ready" above: everything before execve must be allowed by the filter.
            try step("linux.seccomp") { try cfg.seccomp?.load(in: .beforeExec, listener: cfg.seccompListener, state: cfg.state) }
            try setup.exec(exe)
        } catch {
            if (try? ch.send("error \(error)")) != nil { ProcessControl.exitChild(reported ? 127 : 1) }
            fputs("cove: exec: \(error)\n", stderr)
            ProcessControl.exitChild(127)
        }
    }
}
