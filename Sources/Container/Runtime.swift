import CLinux
import FoundationEssentials
import Glibc
import Kernel
import OCI

/// Options of `cove create` (and `run`), spelled as runc's flags.
public struct CreateOptions {
    public var id: String
    public var bundle: String
    public var pidFile: String?
    public var consoleSocket: String?
    public var noPivot = false
    public var noNewKeyring = false
    public var preserveFDs = 0

    public init(id: String, bundle: String) {
        self.id = id
        self.bundle = bundle
    }
}

/// The OCI lifecycle over a state directory: create, start, run, state, kill, delete, list.
public struct Runtime {
    public let store: StateStore
    /// Warnings (unknown config fields, hooks that failed where the spec says to go on).
    public var warn: (String) -> Void
    /// Debug lines (`--debug`).
    public var debug: (String) -> Void
    /// `--debug` is on: lines that cost something to format (one per cgroup file written) are made at all.
    public var debugging: Bool

    public init(root: String, warn: @escaping (String) -> Void = { _ in }, debug: @escaping (String) -> Void = { _ in },
                debugging: Bool = false) {
        store = StateStore(root: root)
        self.warn = warn
        self.debug = debug
        self.debugging = debugging
    }

    /// Reads, decodes and validates BUNDLE/config.json; returns the spec, absolute bundle and rootfs paths.
    public func loadBundle(_ bundle: String) throws -> (spec: Spec, raw: JSONValue, text: String, bundle: String, rootfs: String) {
        guard let real = realpath(bundle, nil) else { throw CoveError("bundle \(bundle): \(SyscallError.last("realpath").errno)") }
        let dir = String(cString: real)
        free(real)
        let bytes: [UInt8]
        do { bytes = try FileIO.read("\(dir)/config.json") } catch { throw CoveError("bundle \(dir): \(error)") }
        let decoded = try SpecDecoder.decode(bytes, source: "\(dir)/config.json")
        for field in decoded.unknownFields { warn("\(dir)/config.json: unknown field \(field) is ignored") }
        try SpecValidator.validateForLinux(decoded.spec, source: "\(dir)/config.json")
        let rootPath = decoded.spec.root!.path
        let rootfs = rootPath.hasPrefix("/") ? rootPath : "\(dir)/\(rootPath)"
        guard FileIO.isDirectory(rootfs) else { throw CoveError("\(dir)/config.json: root.path: \(rootfs) is not a directory") }
        return (decoded.spec, decoded.raw, String(decoding: bytes, as: UTF8.self), dir, rootfs)
    }

    /// `cove create`: everything is set up and the init waits on exec.fifo. Returns the init's PID.
    /// On any failure everything made so far is removed and the error names the step.
    @discardableResult
    public func create(_ opts: CreateOptions) throws -> pid_t {
        try create(opts, detached: true).pid
    }

    /// `detached` is false only for a foreground `cove run`: with process.terminal it gets the terminal's
    /// master back to proxy; otherwise the master goes to --console-socket (`ConsoleMode`).
    /// `startNow` is `run`: no exec.fifo; once the state is written the init is told to start on the channel and
    /// the poststart hooks run, as `start` would have done.
    func create(_ opts: CreateOptions, detached: Bool, startNow: Bool = false) throws -> (pid: pid_t, terminal: Int32?, record: ContainerRecord) {
        try StateStore.validate(id: opts.id)
        let (spec, raw, text, bundle, rootfs) = try loadBundle(opts.bundle)
        let seccomp = try ContainerSeccomp.make(spec, source: "\(bundle)/config.json")
        if opts.consoleSocket != nil && spec.process?.terminal != true {
            throw CoveError("--console-socket: the config does not ask for a terminal (process.terminal)")
        }
        if opts.preserveFDs < 0 { throw CoveError("--preserve-fds: must not be negative") }
        let console = try ConsoleMode.choose(terminal: spec.process?.terminal == true, detach: detached, consoleSocket: opts.consoleSocket)
        try store.createDir(opts.id)
        var master: Int32?
        var pid: pid_t = 0
        var cgroups: ContainerCgroups?
        var lock: FileLock?
        var pidFile: StagedFile?
        func undo() {
            if let master { close(master) }
            if pid > 0 {
                _ = Glibc.kill(pid, SIGKILL)
                _ = try? ProcessControl.wait(pid)
            }
            cgroups?.discard()
            pidFile?.discard()
            store.remove(opts.id)
            lock?.release()
        }
        do {
            lock = try store.lock(opts.id)
            // The owner (a read of /etc/passwd) is looked up once the init has its cgroup.
            var record = ContainerRecord(id: opts.id, bundle: bundle, rootfs: rootfs, created: Timestamp.now(),
                                         owner: "", pid: 0, initStartTime: 0, phase: .creating, config: raw)
            record.configText = text
            let stateDir = try step("opening the state directory") {
                try syscallCheck("open", store.dir(opts.id)) { cove_open(store.dir(opts.id), RootfsPaths.oPath | O_DIRECTORY | O_CLOEXEC, 0) }
            }
            defer { close(stateDir) }
            var cfg = InitConfig(id: opts.id, spec: spec, rootfs: rootfs, noPivot: opts.noPivot, noNewKeyring: opts.noNewKeyring,
                                 preserveFDs: opts.preserveFDs, stateDirFD: stateDir, closeInChild: [lock!.fd])
            defer { for fd in cfg.idmapUserNamespaces.values { close(fd) } }
            cfg.seccomp = seccomp
            cfg.startsOnChannel = startNow
            cfg.seccompListener = try seccomp?.connectListener()
            defer { if let fd = cfg.seccompListener { close(fd) } }
            for (i, m) in (spec.mounts ?? []).enumerated() where m.uidMappings != nil {
                cfg.idmapUserNamespaces[i] = try step("mounts[\(i)] (\(m.destination)): user namespace for the idmapped mount") {
                    try IDMappedMounts.userNamespace(
                        uid: m.uidMappings!.map { IDMapping(inner: $0.containerID, outer: $0.hostID, count: $0.size) },
                        gid: (m.gidMappings ?? []).map { IDMapping(inner: $0.containerID, outer: $0.hostID, count: $0.size) })
                }
            }
            let channel = try SyncChannel.pair()
            defer { channel.parent.close() }
            pid = try InitProcess.spawn(cfg, channel: channel)
            if cfg.waitsForGo {
                try NetDevices.move(spec.linux?.netDevices, into: pid)
                if let adj = spec.process?.oomScoreAdj {
                    try step("process.oomScoreAdj") { try FileIO.write("/proc/\(pid)/oom_score_adj", String(adj)) }
                }
                try channel.parent.send("go")
            }
            debug("container \(opts.id): init is PID \(pid)")
            record.pid = pid
            // While the init sets up its root filesystem: its cgroup first — the init stops at the cgroup
            // mount until it has joined (InitCgroup, CgroupJoinFiles) — then what only the state needs, then
            // the files it and later commands need, each a new inode (slow on some filesystems). Until
            // state.json is in place the id is taken (the directory) but shows as no container; exec.fifo
            // must exist before the init is told to "continue".
            cgroups = try step("creating the cgroup") { try ContainerCgroups.create(id: opts.id, spec: spec, warn: warn, debug: debug, trace: debugging) }
            record.cgroupPaths = cgroups!.paths
            let join = try step("opening the cgroup's files") { try cgroups!.openJoinFiles() }
            defer { join.close() }
            let message = InitCgroup.Message(paths: cgroups!.paths, files: join.files.map(\.path),
                                             layout: try? ContainerCgroups.hostLayout.get())
            try tellInit(channel.parent, "cgroup " + message.text, fds: join.descriptors, during: "setting up the root filesystem")
            record.initStartTime = InitProcess.procStat(pid)?.startTime ?? 0
            record.owner = Identity.passwdName(geteuid()) ?? String(geteuid())
            try step("creating the cgroup") { try cgroups!.applyResources() }
            try step("writing the state") { try store.write(record) }
            if !startNow {
                try step("creating exec.fifo") {
                    // 0622: the init opens it for writing after it has become the container's user.
                    try syscallCheck("mkfifo", store.fifo(opts.id)) { mkfifo(store.fifo(opts.id), 0o622) }
                    try syscallCheck("chmod", store.fifo(opts.id)) { chmod(store.fifo(opts.id), 0o622) }
                }
            }
            var created = record
            created.phase = .created
            let finalState = try step("writing the state") { try store.stage(created) }
            if let path = opts.pidFile {
                pidFile = try step("--pid-file \(path)") { try StagedFile(path, String(pid)) }
            }
            // Made while the init mounts: it is "creating" until "ready" (an init that dies says so instead).
            let creating = ContainerStatus.state(record, status: .creating)
            let proceed = cfg.needsState ? "continue " + String(decoding: try creating.forHooks.json(), as: UTF8.self) : "continue"
            if !cfg.continuesAfterHooks { try tellInit(channel.parent, proceed, fds: [], during: "setting up the root filesystem") }
            _ = try channel.parent.expect("mounted", during: "setting up the root filesystem")
            if cfg.continuesAfterHooks {
                try HookRunner.run(spec.hooks?.prestart, kind: "prestart", state: creating)
                try HookRunner.run(spec.hooks?.createRuntime, kind: "createRuntime", state: creating)
                try channel.parent.send(proceed)
            }
            if spec.process?.terminal == true {
                let fd = try channel.parent.expectFD(ContainerConsole.message, during: "setting up the terminal")
                master = try console.deliver(fd)
            }
            _ = try channel.parent.expect("ready", during: "preparing the container process")
            try step("writing the state") { try finalState.commit() }
            if let pidFile { try step("--pid-file \(pidFile.path)") { try pidFile.commit() } }
            if startNow {
                // Without exec.fifo a live init reads as running from here on.
                try tellInit(channel.parent, "start", fds: [], during: "starting the container process")
                runPoststart(spec.hooks?.poststart, record: created)
            }
            lock?.release()
            return (pid, master, created)
        } catch {
            undo()
            throw CoveError("create \(opts.id): \(error)")
        }
    }

    /// Sends to the init; when that fails because the init has already given up, its own reason wins.
    func tellInit(_ channel: SyncChannel, _ message: String, fds: [Int32], during step: String) throws {
        do {
            try channel.send(message, fds: fds)
        } catch let e as SyscallError where e.errno == .brokenPipe || e.errno == .connectionReset {
            // Gone: what it sent before it went is still queued (any other send error leaves it waiting, and
            // reading then would wait with it).
            if let reply = try? channel.receive(), reply.hasPrefix("error ") { throw CoveError(String(reply.dropFirst(6))) }
            throw CoveError("\(step): \(e)")
        }
    }

    /// `cove start`: releases the init waiting on exec.fifo, then runs the poststart hooks.
    public func start(_ id: String) throws {
        let lock = try store.lock(id)
        defer { lock.release() }
        let record = try store.read(id)
        let status = ContainerStatus.of(record, store: store)
        guard status == .created else { throw CoveError("cannot start container '\(id)': it is \(status.rawValue), not created") }
        let fifo = try syscallCheck("open", store.fifo(id)) { cove_open(store.fifo(id), O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0) }
        defer { close(fifo) }
        var p = pollfd(fd: fifo, events: Int16(POLLIN), revents: 0)
        // A created init is already blocked opening the FIFO for writing: it answers at once. Ten seconds
        // without an answer means it is stuck elsewhere (or was released by a start that crashed).
        let deadline = HookRunner.monotonicMillis() + 10_000
        while true {
            let r = poll(&p, 1, 100)
            if r > 0 && p.revents & Int16(POLLIN) != 0 { break }
            if HookRunner.monotonicMillis() > deadline {
                throw CoveError("cannot start container '\(id)': its init does not wait on exec.fifo")
            }
            if r < 0 && cove_errno() != EINTR { throw SyscallError.last("poll", store.fifo(id)) }
            if !InitProcess.isAlive(pid: record.pid, startTime: record.initStartTime) {
                throw CoveError("cannot start container '\(id)': its init exited")
            }
        }
        var byte: UInt8 = 0
        _ = Glibc.read(fifo, &byte, 1)
        // Without exec.fifo a live init reads as running: the state file needs no change.
        unlink(store.fifo(id))
        let poststart: [Hook]
        do { poststart = try record.hooks()?.poststart ?? [] } catch {
            warn("\(error)")
            return
        }
        runPoststart(poststart, record: record)
    }

    /// The process was started: poststart hooks see it running even if it has already exited. A failing hook
    /// is a warning (runc's behaviour): the container runs.
    func runPoststart(_ hooks: [Hook]?, record: ContainerRecord) {
        guard let hooks, !hooks.isEmpty else { return }
        do {
            try HookRunner.run(hooks, kind: "poststart", state: ContainerStatus.state(record, status: .running))
        } catch {
            warn("\(error)")
        }
    }

    public func state(_ id: String) throws -> State {
        ContainerStatus.state(try store.read(id), store: store)
    }

    public func list() -> [State] {
        store.ids().compactMap { try? state($0) }
    }

    /// `cove kill`: signals the init through a pidfd checked against its start time; `all` signals every
    /// process of the container.
    public func kill(_ id: String, signal: Int32, all: Bool) throws {
        let record = try store.read(id)
        let status = ContainerStatus.of(record, store: store)
        // runc: `--all` also reaches what a stopped container left in its cgroup (no PID namespace of its own).
        guard status == .created || status == .running || status == .paused || all else {
            throw CoveError("cannot kill container '\(id)': it is \(status.rawValue)")
        }
        if all { return try killAll(record, signal: signal) }
        guard let pidfd = try InitProcess.openChecked(pid: record.pid, startTime: record.initStartTime) else {
            throw CoveError("cannot kill container '\(id)': it is stopped")
        }
        defer { close(pidfd) }
        try syscallCheck("pidfd_send_signal", String(record.pid)) { cove_pidfd_send_signal(pidfd, signal, 0) }
        // A frozen task dies only once thawed (runc thaws after SIGKILL too).
        if signal == SIGKILL && status == .paused { try ContainerCgroups.restore(record)?.manager.thaw() }
    }

    /// Every process of the container: through its cgroup; without one (rootless without delegation) the
    /// processes in the container's own PID namespace, or just the init when it shares the host's.
    func killAll(_ record: ContainerRecord, signal: Int32) throws {
        if try ContainerCgroups.restore(record, warn: warn, debug: debug, trace: debugging)?.killAll(signal: signal) == true { return }
        guard let pidfd = try InitProcess.openChecked(pid: record.pid, startTime: record.initStartTime) else { return }
        defer { close(pidfd) }
        let ownPidNS = (try? record.namespaces())?.contains { $0.type == .pid && $0.path == nil } == true
        if ownPidNS, let ns = try? Namespaces.inode(path: "/proc/\(record.pid)/ns/pid") {
            for name in (try? FileIO.list("/proc")) ?? [] {
                guard let p = Int32(name), p != record.pid, (try? Namespaces.inode(path: "/proc/\(p)/ns/pid")) == ns else { continue }
                _ = Glibc.kill(p, signal)
            }
        }
        _ = cove_pidfd_send_signal(pidfd, signal, 0)
    }

    /// `cove delete`: a running container needs `force`; a created one is killed like runc does. Runs the
    /// poststop hooks, destroys the cgroup and removes the state directory.
    public func delete(_ id: String, force: Bool) throws {
        try delete(id, force: force, created: nil)
    }

    /// `created`: the record `run` has just made, instead of reading state.json back.
    func delete(_ id: String, force: Bool, created: ContainerRecord?) throws {
        // runc: `delete --force` of a container that does not exist succeeds. Engines rely on it: podman,
        // containerd's shim and Docker call it again after a failed create or an exit already cleaned up.
        try StateStore.validate(id: id)
        if force && !FileIO.isDirectory(store.dir(id)) { return }
        let lock = try store.lock(id)
        defer { lock.release() }
        let record: ContainerRecord
        do { record = try created ?? store.read(id) } catch {
            // A state directory without a readable state (a crash mid-create) is removed with --force.
            if force { store.remove(id); return }
            throw error
        }
        let status = ContainerStatus.of(record, store: store)
        if (status == .running || status == .creating || status == .paused) && !force {
            throw CoveError("cannot delete container '\(id)': it is \(status.rawValue) (use --force)")
        }
        if status != .stopped {
            try killAll(record, signal: SIGKILL)
            try waitForExit(record)
        }
        do {
            if let poststop = try record.hooks()?.poststop, !poststop.isEmpty {
                var stopped = ContainerStatus.state(record, store: store)
                stopped.pid = record.pid
                try HookRunner.run(poststop, kind: "poststop", state: stopped)
            }
        } catch {
            warn("\(error)")
        }
        do {
            try ContainerCgroups.destroy(record, warn: warn, debug: debug, trace: debugging)
        } catch {
            // Without --force the state stays, so `delete` can be tried again.
            if !force { throw CoveError("cannot delete container '\(id)': \(error)") }
            warn("\(error)")
        }
        store.remove(id)
    }

    /// Polls the init's pidfd until it has exited (it is not our child: whoever is its parent reaps it).
    func waitForExit(_ record: ContainerRecord) throws {
        guard let pidfd = try InitProcess.openChecked(pid: record.pid, startTime: record.initStartTime) else { return }
        defer { close(pidfd) }
        var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        for _ in 0..<100 {
            // Our own child (cove run) must be reaped here, or it stays a zombie that reads as alive.
            var status: Int32 = 0
            if waitpid(record.pid, &status, WNOHANG) == record.pid { return }
            if poll(&p, 1, 100) > 0 { return }
        }
        throw CoveError("container '\(record.id)': init \(record.pid) did not exit after SIGKILL")
    }

    /// `cove run`: create, start, and (unless `detach`) wait for the init while forwarding signals;
    /// returns its exit code (128+N for signal N). The state is deleted afterwards unless `keep`.
    public func run(_ opts: CreateOptions, detach: Bool, keep: Bool) throws -> Int32 {
        let previous = try SignalForwarder.blockForwarded()
        defer { try? previous.setAsMask() }
        // create + start in one: the init starts on "start" from create, without exec.fifo or reading the state back.
        let (pid, master, record) = try create(opts, detached: detach, startNow: true)
        defer { if let master { close(master) } }
        if detach { return 0 }
        // With a terminal and no console socket cove stands between its own terminal and the container's.
        let status = try master.map { try TerminalProxy.run(master: $0, child: pid) } ?? SignalForwarder.wait(for: pid)
        debug("container \(opts.id): \(status)")
        // What it deletes is what it made: not read back (update changes only linux.resources; the pid,
        // its start time, the hooks and the cgroup's directories stay as created).
        if !keep { try delete(opts.id, force: true, created: record) }
        return status.shellCode
    }
}
