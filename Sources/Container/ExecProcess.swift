import CLinux
import FoundationEssentials
import Glibc
import Kernel
import OCI

/// What `cove exec` runs: a whole process document (`--process FILE`), or the container's own process with
/// runc's flags applied on top.
public enum ExecProcessSource {
    case file(String)
    case flags(ExecFlags)
}

/// runc's `exec` flags that change the process (used when there is no `--process` file).
public struct ExecFlags {
    public var args: [String] = []
    public var tty = false
    public var cwd: String?
    public var env: [String] = []
    /// `UID[:GID]`.
    public var user: String?
    public var additionalGids: [Int64] = []
    public var caps: [String] = []
    public var noNewPrivs = false
    public var apparmor: String?
    public var processLabel: String?

    public init() {}
}

/// Options of `cove exec` that are not about the process.
public struct ExecOptions {
    public var id: String
    public var source: ExecProcessSource
    public var consoleSocket: String?
    public var detach = false
    public var pidFile: String?
    public var preserveFDs = 0
    public var ignorePaused = false

    public init(id: String, source: ExecProcessSource) {
        self.id = id
        self.source = source
    }
}

extension ExecFlags {
    /// runc's getProcess: the container's process, args replaced, env appended, and cwd, user, groups,
    /// capabilities, no-new-privileges and the terminal as given. The terminal is off unless --tty.
    func apply(to base: OCI.Process) throws -> OCI.Process {
        var p = base
        p.args = args
        if let cwd, !cwd.isEmpty { p.cwd = cwd }
        if let apparmor, !apparmor.isEmpty { throw CoveError("--apparmor \(apparmor): AppArmor is not available to Cove on this host") }
        if let processLabel, !processLabel.isEmpty {
            throw CoveError("--process-label \(processLabel): SELinux is not available to Cove on this host")
        }
        if !caps.isEmpty {
            var c = p.capabilities ?? OCI.Process.Capabilities()
            for cap in caps {
                _ = try CapabilityName.mask([cap], field: "--cap")
                c.bounding = (c.bounding ?? []) + [cap]
                c.effective = (c.effective ?? []) + [cap]
                c.permitted = (c.permitted ?? []) + [cap]
                // Ambient needs inheritable, which --cap does not set: only where the config has inheritable.
                if c.inheritable != nil { c.ambient = (c.ambient ?? []) + [cap] }
            }
            p.capabilities = c
        }
        p.env = (p.env ?? []) + env
        p.terminal = tty
        if noNewPrivs { p.noNewPrivileges = true }
        if let user {
            let parts = user.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let uid = UInt32(parts[0]) else { throw CoveError("--user \(user): '\(parts[0])' is not a numeric uid") }
            var u = p.user ?? OCI.Process.User()
            u.uid = uid
            if parts.count > 1 {
                guard let gid = UInt32(parts[1]) else { throw CoveError("--user \(user): '\(parts[1])' is not a numeric gid") }
                u.gid = gid
            }
            p.user = u
        }
        for g in additionalGids {
            guard let gid = UInt32(exactly: g) else { throw CoveError("--additional-gids \(g): not a valid gid") }
            var u = p.user ?? OCI.Process.User()
            u.additionalGids = (u.additionalGids ?? []) + [gid]
            p.user = u
        }
        return p
    }
}

extension ExecOptions {
    /// The process to run, checked like a config's process. A process document leaves out what the
    /// container's process sets (capabilities, rlimits, no-new-privileges): those come from the container,
    /// as in runc.
    func resolveProcess(container spec: Spec) throws -> OCI.Process {
        let base = spec.process ?? OCI.Process(args: ["sh"])
        var process: OCI.Process
        let source: String
        switch self.source {
        case .file(let path):
            source = "--process \(path)"
            let bytes: [UInt8]
            do { bytes = try FileIO.read(path) } catch { throw CoveError("\(source): \(error)") }
            process = try SpecDecoder.decode(OCI.Process.self, from: bytes, source: path)
            if process.capabilities == nil { process.capabilities = base.capabilities }
            if process.rlimits == nil { process.rlimits = base.rlimits }
            if process.noNewPrivileges == nil { process.noNewPrivileges = base.noNewPrivileges }
        case .flags(let flags):
            source = "exec"
            if flags.args.isEmpty { throw CoveError("exec: no command given (cove exec ID COMMAND [ARGS...] or --process FILE)") }
            process = try flags.apply(to: base)
        }
        process.env = ExecOptions.deduplicated(process.env ?? [])
        var whole = spec
        whole.process = process
        try SpecValidator.validateForLinux(whole, source: source)
        return process
    }

    /// Later NAME=VALUE entries replace earlier ones (an `-e` overrides the config), keeping first positions.
    static func deduplicated(_ env: [String]) -> [String] {
        var index: [Substring: Int] = [:]
        var out: [String] = []
        for e in env {
            let name = e.prefix { $0 != "=" }
            if let i = index[name] { out[i] = e } else {
                index[name] = out.count
                out.append(e)
            }
        }
        return out
    }
}

extension Runtime {
    /// `cove exec`: runs a new process in every namespace and the cgroup of a created or running container.
    /// Returns its exit code (128+N for signal N), or 0 at once with `detach`.
    public func exec(_ opts: ExecOptions) throws -> Int32 {
        try StateStore.validate(id: opts.id)
        let record = try store.read(opts.id)
        let status = ContainerStatus.of(record, store: store)
        switch status {
        case .created, .running: break
        case .paused: if !opts.ignorePaused { throw CoveError("cannot exec in container '\(opts.id)': it is paused (use --ignore-paused)") }
        default: throw CoveError("cannot exec in container '\(opts.id)': it is \(status.rawValue)")
        }
        if opts.preserveFDs < 0 { throw CoveError("--preserve-fds: must not be negative") }
        var whole = try record.specForExec()
        let process = try opts.resolveProcess(container: whole)
        whole.process = process
        let seccomp = try ContainerSeccomp.make(whole, source: "\(record.bundle)/config.json")
        let console = try ConsoleMode.choose(terminal: process.terminal == true, detach: opts.detach, consoleSocket: opts.consoleSocket)

        let previous = try SignalForwarder.blockForwarded()
        defer { try? previous.setAsMask() }
        let target = try ExecTarget.open(record)
        defer { target.close() }
        var cfg = ExecConfig(process: process, linux: whole.linux ?? Linux(), target: target, preserveFDs: opts.preserveFDs,
                             terminal: process.terminal == true, seccomp: seccomp, state: ContainerStatus.state(record, status: status))
        cfg.seccompListener = try seccomp?.connectListener()
        defer { if let fd = cfg.seccompListener { close(fd) } }
        cfg.cgroupJoin = try ExecCgroup.openJoinFiles(record: record, warn: warn, debug: debug)
        defer { cfg.cgroupJoin.close() }
        let channel = try SyncChannel.pair()
        defer { channel.parent.close() }
        var pid: pid_t = 0
        var master: Int32?
        do {
            pid = try ExecSetns.spawn(cfg, channel: channel)
            debug("exec in \(opts.id): process is PID \(pid)")
            try channel.parent.send("go")
            if process.terminal == true {
                let fd = try channel.parent.expectFD(ContainerConsole.message, during: "setting up the terminal")
                master = try console.deliver(fd)
            }
            _ = try channel.parent.expect("ready", during: "preparing the process")
            // Closed on a successful execve (close-on-exec); otherwise the exec error follows.
            if let msg = try channel.parent.receive() {
                throw CoveError(msg.hasPrefix("error ") ? String(msg.dropFirst(6)) : "unexpected message from the process: \(msg)")
            }
            if let pidFile = opts.pidFile {
                try step("--pid-file \(pidFile)") { try FileIO.writeAtomically(pidFile, String(pid)) }
            }
        } catch {
            if let master { close(master) }
            if pid > 0 {
                _ = Glibc.kill(pid, SIGKILL)
                _ = try? ProcessControl.wait(pid)
            }
            throw CoveError("exec in container '\(opts.id)': \(error)")
        }
        if opts.detach {
            if let master { close(master) }
            return 0
        }
        let result: ExitStatus
        if let master {
            defer { close(master) }
            result = try TerminalProxy.run(master: master, child: pid)
        } else {
            result = try SignalForwarder.wait(for: pid)
        }
        debug("exec in \(opts.id): \(result)")
        return result.shellCode
    }
}
