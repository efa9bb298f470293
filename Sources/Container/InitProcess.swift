import Cgroups
import CLinux
import FoundationEssentials
import Glibc
import Kernel
import OCI

/// Everything the container's init needs, prepared by `cove create` before it forks.
struct InitConfig {
    var id: String
    var spec: Spec
    var rootfs: String
    var noPivot: Bool
    var noNewKeyring: Bool
    var preserveFDs: Int
    /// O_PATH descriptor of the state directory: after pivot_root the init still reaches exec.fifo through it.
    var stateDirFD: Int32
    /// mounts index → user namespace descriptor for idmapped mounts, made by `create` in the host's namespaces.
    var idmapUserNamespaces: [Int: Int32] = [:]
    /// linux.seccomp, checked; and with SCMP_ACT_NOTIFY the socket `create` connected to listenerPath.
    var seccomp: ContainerSeccomp?
    var seccompListener: Int32?
    /// Descriptors of `cove create` the init must drop at once (the state lock, or `start` would wait on it).
    var closeInChild: [Int32]
    /// `cove run`: after "ready" the init waits for "start" on the channel, not on exec.fifo (there is none).
    var startsOnChannel = false

    var linux: Linux { spec.linux ?? Linux() }
    /// Read through `spec.linux?` rather than `linux`, which copies the whole section each time.
    var newNamespaces: [Linux.NamespaceType] { (spec.linux?.namespaces ?? []).compactMap { $0.path == nil ? $0.type : nil } }
    var newUserNamespace: Bool { newNamespaces.contains(.user) }
    /// A new network namespace is made by the init itself (after "go"), while `create` makes the cgroup: the
    /// kernel's work for it (loopback, per-namespace tables) is the largest part of the clone. Only
    /// linux.netDevices needs it at the clone, for `create` moves them in before "go".
    var initUnsharesNetwork: Bool { newNamespaces.contains(.network) && (spec.linux?.netDevices ?? [:]).isEmpty }
    /// The init waits for "go" only when `create` must act on it first: write its id maps (it becomes root
    /// in its user namespace after "go"), move linux.netDevices into its network namespace, or set its
    /// oom_score_adj. Otherwise it starts at once: a wake-up across CPUs is ~0.1 ms here, on the critical path.
    var waitsForGo: Bool {
        newUserNamespace || !(spec.linux?.netDevices ?? [:]).isEmpty || spec.process?.oomScoreAdj != nil
    }
    /// "continue" can only follow "mounted" when hooks run between them (prestart, createRuntime: after the
    /// mounts, before pivot_root); without them `create` sends it as soon as exec.fifo and the state exist, and
    /// the init, having sent "mounted", finds it waiting.
    var continuesAfterHooks: Bool {
        !(spec.hooks?.prestart ?? []).isEmpty || !(spec.hooks?.createRuntime ?? []).isEmpty
    }
    /// The init reads the container's state only for createContainer and startContainer hooks and for a
    /// seccomp listener: without them `create` sends "continue" alone.
    var needsState: Bool {
        !(spec.hooks?.createContainer ?? []).isEmpty || !(spec.hooks?.startContainer ?? []).isEmpty || seccompListener != nil
    }
}

/// The container's init and how it comes to be:
///
///   cove create ──fork──▶ stage 1: joins the namespaces given by path, then clone3(new namespaces |
///                         CLONE_PARENT) ──▶ stage 2 (the init, a child of `cove create` itself), writes its
///                         id maps, reports its PID and exits.
///
/// Stage 1 exists for what must not touch `create` itself: setns into namespaces given by path, and
/// unsharing a time namespace to write its offsets. Without either, `create` clones the init directly
/// (one process fewer to fork and reap) and writes the id maps itself.
///
/// The init then follows `create` step by step over a SOCK_SEQPACKET pair (go → cgroup → mounted → continue
/// → ready; "go" and the wait for "continue" only when needed: `waitsForGo`, `continuesAfterHooks`), and waits
/// on exec.fifo until `cove start` opens it. `create` exits; the init is re-parented (to
/// the caller's subreaper or PID 1), just as runc's init outlives `runc create`. `cove run` keeps it as its
/// child and, having no `start` to wait for, says "start" on the same channel (no exec.fifo).
public enum InitProcess {
    /// Starts the init; returns its PID (after stage 1, if there is one, has reported it and been reaped).
    static func spawn(_ cfg: InitConfig, channel: (parent: SyncChannel, child: SyncChannel)) throws -> pid_t {
        let needsStage1 = cfg.newNamespaces.contains(.time) || (cfg.spec.linux?.namespaces ?? []).contains { $0.path != nil }
        if !needsStage1 { return try cloneDirectly(cfg, channel: channel) }
        let stage1 = try ProcessControl.fork()
        if stage1 == 0 {
            channel.parent.close()
            for fd in cfg.closeInChild { close(fd) }
            runStage1(cfg, channel.child)
        }
        channel.child.close()
        let reply: String
        do {
            reply = try channel.parent.expect("pid", during: "starting the container init")
        } catch {
            _ = try? ProcessControl.wait(stage1)
            throw error
        }
        _ = try ProcessControl.wait(stage1)
        guard let pid = pid_t(reply), pid > 0 else { throw CoveError("starting the container init: bad reply '\(reply)'") }
        return pid
    }

    /// clone3 with the new namespaces from `create` itself; the child drops what stage 1 would have dropped.
    static func cloneDirectly(_ cfg: InitConfig, channel: (parent: SyncChannel, child: SyncChannel)) throws -> pid_t {
        var args = clone_args()
        args.flags = cloneFlags(cfg).rawValue
        // SIGCHLD, as the init cloned by stage 1 gets (CLONE_PARENT passes on stage 1's own exit signal):
        // `cove run` waits for it with a plain waitpid.
        args.exit_signal = UInt64(SIGCHLD)
        fflush(nil)
        let pid = cove_clone3(&args, MemoryLayout<clone_args>.size)
        if pid == 0 {
            channel.parent.close()
            for fd in cfg.closeInChild { close(fd) }
            do {
                try closeInherited(keeping: inheritedByInit(cfg, channel.child), preserved: cfg.preserveFDs)
            } catch {
                try? channel.child.send("error \(error)")
                ProcessControl.exitChild(1)
            }
            runStage2(cfg, channel.child)
        }
        channel.child.close()
        if pid < 0 { throw SyscallError.last("clone3", cloneFlags(cfg).description) }
        do {
            try writeIDMaps(cfg, pid: pid_t(pid))
        } catch {
            _ = Glibc.kill(pid_t(pid), SIGKILL)
            _ = try? ProcessControl.wait(pid_t(pid))
            throw error
        }
        return pid_t(pid)
    }

    static func inheritedByInit(_ cfg: InitConfig, _ ch: SyncChannel) -> [Int32] {
        var keep: [Int32] = [ch.fd, cfg.stateDirFD] + cfg.idmapUserNamespaces.values
        if let fd = cfg.seccompListener { keep.append(fd) }
        return keep
    }

    /// The new namespaces but time (stage 1 unshares it to write offsets), cgroup (the init unshares it
    /// once it has moved itself into the container's cgroup, so the namespace is rooted there: InitCgroup)
    /// and, usually, network (`InitConfig.initUnsharesNetwork`).
    static func cloneFlags(_ cfg: InitConfig) -> CloneFlags {
        var flags = CloneFlags()
        for kind in cfg.newNamespaces where kind != .time && kind != .cgroup {
            if kind == .network && cfg.initUnsharesNetwork { continue }
            flags.insert(NamespaceKind(name: kind.rawValue)!.cloneFlag)
        }
        return flags
    }

    static func writeIDMaps(_ cfg: InitConfig, pid: pid_t) throws {
        guard cfg.newUserNamespace else { return }
        try step("writing id maps (linux.uidMappings, linux.gidMappings)") {
            let uid = (cfg.linux.uidMappings ?? []).map { IDMapping(inner: $0.containerID, outer: $0.hostID, count: $0.size) }
            let gid = (cfg.linux.gidMappings ?? []).map { IDMapping(inner: $0.containerID, outer: $0.hostID, count: $0.size) }
            try UserNamespaceMaps.write(pid: pid, uid: uid, gid: gid)
        }
    }

    static func runStage1(_ cfg: InitConfig, _ ch: SyncChannel) -> Never {
        do {
            try closeInherited(keeping: inheritedByInit(cfg, ch), preserved: cfg.preserveFDs)
            try joinNamespaces(cfg)
            let flags = cloneFlags(cfg)
            if cfg.newNamespaces.contains(.time) {
                // Offsets can only be written before any process lives in the new time namespace: unshare it
                // here (it applies to our children), write them, then clone the init into it.
                try Namespaces.unshare(.newTime)
                if let o = cfg.linux.timeOffsets {
                    var text = ""
                    if let m = o.monotonic { text += "monotonic \(m.secs ?? 0) \(m.nanosecs ?? 0)\n" }
                    if let b = o.boottime { text += "boottime \(b.secs ?? 0) \(b.nanosecs ?? 0)\n" }
                    if !text.isEmpty { try step("linux.timeOffsets") { try FileIO.write("/proc/self/timens_offsets", text) } }
                }
            }
            var args = clone_args()
            args.flags = flags.rawValue | UInt64(CLONE_PARENT)
            args.exit_signal = 0
            fflush(nil)
            let pid = cove_clone3(&args, MemoryLayout<clone_args>.size)
            if pid == 0 { runStage2(cfg, ch) }
            if pid < 0 { throw SyscallError.last("clone3", flags.description) }
            try writeIDMaps(cfg, pid: pid_t(pid))
            try ch.send("pid \(pid)")
            ProcessControl.exitChild(0)
        } catch {
            try? ch.send("error \(error)")
            ProcessControl.exitChild(1)
        }
    }

    /// The init outlives `cove create`: it must not hold whatever the caller leaked to us (a caller waiting
    /// for EOF on such a descriptor would wait for the container), nor anything of ours but `keeping`.
    /// Only stdio and the --preserve-fds descriptors stay.
    static func closeInherited(keeping: [Int32], preserved: Int) throws {
        var next = UInt32(3 + preserved)
        for fd in keeping.map({ UInt32($0) }).sorted() where fd >= next {
            if fd > next { try syscallCheck("close_range") { cove_close_range(next, fd - 1, 0) } }
            next = fd + 1
        }
        try syscallCheck("close_range") { cove_close_range(next, UInt32.max, 0) }
    }

    /// setns into every namespace the config names by path: opened first (paths resolve in our namespaces),
    /// then joined user namespace first, mount namespace last.
    static func joinNamespaces(_ cfg: InitConfig) throws {
        var fds: [(NamespaceKind, Int32, String)] = []
        defer { for (_, fd, _) in fds { close(fd) } }
        for (i, ns) in (cfg.linux.namespaces ?? []).enumerated() {
            guard let path = ns.path else { continue }
            let field = "linux.namespaces[\(i)].path"
            let fd = try step(field) { try syscallCheck("open", path) { cove_open(path, O_RDONLY | O_CLOEXEC, 0) } }
            fds.append((NamespaceKind(name: ns.type.rawValue)!, fd, path))
            let actual = try step(field) { try Namespaces.kind(ofFD: fd, path: path) }
            if actual != fds.last!.0 {
                throw StepError("\(field): \(path) is a \(actual.rawValue) namespace, not \(ns.type.rawValue)")
            }
        }
        for kind in NamespaceKind.joinOrder {
            for (k, fd, path) in fds where k == kind {
                try step("joining the \(kind.rawValue) namespace \(path)") { try Namespaces.setns(fd, kind.cloneFlag, path) }
            }
        }
    }

    static func runStage2(_ cfg: InitConfig, _ ch: SyncChannel) -> Never {
        var reported = false
        do {
            if cfg.waitsForGo { _ = try ch.expect("go", during: "waiting for cove create") }
            if cfg.newUserNamespace {
                try step("becoming root in the new user namespace") { try Identity.become(uid: 0, gid: 0, groups: nil) }
            }
            if cfg.initUnsharesNetwork {
                // Owned by the user namespace the init is in: the container's own when it has one.
                try step("creating the network namespace") { try Namespaces.unshare(.newNet) }
            }
            if cfg.newNamespaces.contains(.network) {
                try step("bringing up lo in the new network namespace") { try Loopback.up() }
            }
            _ = setsid()
            if !cfg.noNewKeyring {
                // A fresh session keyring keeps the host's keys away; kernels without keyrings are fine.
                if cove_keyctl_join_session("_ses.\(cfg.id)") < 0 && cove_errno() != ENOSYS && cove_errno() != EACCES {
                    throw StepError("joining a new session keyring: \(SyscallError.last("keyctl").description)")
                }
            }
            var rootfs = RootfsSetup(spec: cfg.spec, rootfs: cfg.rootfs, newUserNamespace: cfg.newUserNamespace, noPivot: cfg.noPivot,
                                     idmapUserNamespaces: cfg.idmapUserNamespaces)
            // The cgroup (and a cgroup namespace) comes while the mounts are made: see InitCgroup.
            let cgroup = InitCgroup(channel: ch, newNamespace: cfg.newNamespaces.contains(.cgroup))
            rootfs.cgroup = cgroup
            _ = Glibc.umask(0)
            try rootfs.prepare()
            try cgroup.enter()
            for fd in cfg.idmapUserNamespaces.values { close(fd) }
            try ch.send("mounted")
            let stateText = try ch.expect("continue", during: "waiting for the createRuntime hooks")
            let state = cfg.needsState ? try SpecDecoder.decode(State.self, from: Array(stateText.utf8), source: "state") : nil
            if let state { try HookRunner.run(cfg.spec.hooks?.createContainer, kind: "createContainer", state: state) }
            try rootfs.enter()
            if let process = cfg.spec.process, process.terminal == true {
                // After pivot_root: the pty comes from the container's devpts; the master goes to `create`.
                try ContainerConsole.setup(channel: ch, size: process.consoleSize, mountConsole: true, owner: process.user?.uid ?? 0)
            }
            if let h = cfg.spec.hostname, !h.isEmpty {
                try step("hostname") { try syscallCheck("sethostname", h) { cove_sethostname(h, h.utf8.count) } }
            }
            if let d = cfg.spec.domainname, !d.isEmpty {
                try step("domainname") { try syscallCheck("setdomainname", d) { cove_setdomainname(d, d.utf8.count) } }
            }
            try rootfs.finish()
            let setup = ProcessSetup(process: cfg.spec.process!, preserveFDs: cfg.preserveFDs)
            let exe = try step("process.args") { try setup.resolveExecutable() }
            try step("process.rlimits") { try setup.rlimits() }
            try step("process.scheduler") { try setup.scheduler() }
            try step("process.ioPriority") { try setup.ioPriority() }
            try step("linux.personality") { try ProcessSetup.personality(cfg.linux.personality) }
            // Seccomp without no_new_privs needs CAP_SYS_ADMIN, gone after identity(): see ContainerSeccomp.Phase.
            try step("linux.seccomp") { try cfg.seccomp?.load(in: .beforeIdentity, listener: cfg.seccompListener, state: state) }
            try step("process.user and process.capabilities") { try setup.identity() }
            try step("process.noNewPrivileges") { try setup.noNewPrivileges() }
            try step("process.cwd") { try setup.changeDirectory() }
            setup.umask()
            try ch.send("ready")
            reported = true
            if cfg.startsOnChannel {
                // `run` says "start" once the state is written; a closed channel means it is gone.
                _ = try ch.expect("start", during: "waiting for start")
                ch.close()
            } else {
                ch.close()
                // Blocks until `cove start` opens the FIFO for reading.
                let fifo = try step("waiting on exec.fifo") {
                    try syscallCheck("open", "exec.fifo") { cove_openat(cfg.stateDirFD, "exec.fifo", O_WRONLY | O_CLOEXEC, 0) }
                }
                var zero: UInt8 = 0x30
                _ = Glibc.write(fifo, &zero, 1)
                close(fifo)
            }
            close(cfg.stateDirFD)
            if var started = state {
                started.status = .running
                try HookRunner.run(cfg.spec.hooks?.startContainer, kind: "startContainer", state: started)
            }
            try step("closing runtime descriptors") { try setup.closeDescriptorsOnExec() }
            // Last: everything the runtime still does after the filter is in place must be allowed by it.
            try step("linux.seccomp") { try cfg.seccomp?.load(in: .beforeExec, listener: cfg.seccompListener, state: state) }
            try setup.exec(exe)
        } catch {
            if !reported {
                // `create` reports it; a closed channel means `create` has failed already and says why.
                _ = try? ch.send("error \(error)")
                ProcessControl.exitChild(1)
            }
            fputs("cove: container init: \(error)\n", stderr)
            ProcessControl.exitChild(127)
        }
    }
}
