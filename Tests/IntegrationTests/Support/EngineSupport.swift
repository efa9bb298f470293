import Foundation
import Testing

/// Engine tests (podman, containerd, Docker) run real engines from Debian's packages against a runtime.
/// Every engine gets private roots, sockets and state under one TempDir, runs one test, and is stopped
/// after it; then the test checks that nothing was left behind (processes, mounts, cgroups, state).

/// The runtime an engine drives: cove is the proof; runc (the engines' default) checks the harness itself.
enum EngineRuntime: String, CustomStringConvertible, CaseIterable, Sendable {
    case cove, runc

    var description: String { rawValue }

    /// The binary's path; cancels the test (with the reason) when it is missing.
    func path() throws -> String {
        switch self {
        case .cove: return Cove.binary
        case .runc:
            guard let p = EngineTools.find("runc") else {
                Issue.record("SKIPPED: runc not installed (Debian package runc): no harness check", severity: .warning)
                try Test.cancel("runc not installed")
            }
            return p
        }
    }
}

enum EngineTools {
    static let searchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// An executable by name, in PATH or the usual system directories; `prefer` is tried first.
    static func find(_ name: String, prefer: [String] = []) -> String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + searchPath.split(separator: ":").map(String.init)
        for p in prefer + dirs.map({ "\($0)/\(name)" }) where FileManager.default.isExecutableFile(atPath: p) { return p }
        return nil
    }

    /// Why an engine test cannot run here, or nil when it can.
    static func missing(_ names: [String], package: String) -> String? {
        if !Host.isRoot { return "needs root: engines run containers with real namespaces, mounts and cgroups" }
        if !BusyboxRootfs.available { return "needs /bin/busybox (Debian package busybox-static) for the test image" }
        let absent = names.filter { find($0) == nil }
        return absent.isEmpty ? nil : "\(absent.joined(separator: ", ")) not installed (Debian package \(package); `make setup` installs it)"
    }

    /// An environment for engines: a PATH that reaches their helpers (conmon, shims, docker-init).
    static var env: [String: String] {
        let current = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return ["PATH": current.isEmpty ? searchPath : current + ":" + searchPath]
    }
}

/// What cove can do, read from its own `--help`: tests of features it lacks are cancelled with the reason
/// instead of failing, and start running by themselves once the feature lands.
enum CoveProbe {
    /// Primary subcommand names (an alias such as `ps` of `list` does not count: runc's `ps` takes an id).
    static let commands: Set<String> = {
        guard let out = try? EngineShell.run([Cove.binary, "--help"]).stdout else { return [] }
        var names = Set<String>()
        var inList = false
        for line in out.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("SUBCOMMANDS:") { inList = true; continue }
            guard inList, line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
            let word = line.dropFirst(2).prefix { $0 != " " && $0 != "," }
            if !word.isEmpty { names.insert(String(word)) }
        }
        return names
    }()

    /// Cancels the current test when cove has no `command` subcommand.
    static func require(_ runtime: EngineRuntime, command: String, issue: String, engineUse: String) throws {
        // No list at all (`cove --help` failed) is not a gap: the test runs and shows what is wrong.
        guard runtime == .cove, !commands.isEmpty, !commands.contains(command) else { return }
        try skip("cove has no `\(command)` command yet (\(issue)); the engine runs `\(engineUse)`")
    }

    /// Cancels the current test case for a cove gap. Swift Testing 6.3's console shows a cancelled case as
    /// passed, so the reason is recorded as a warning too: it shows up in every run's output.
    static func skip(_ reason: String) throws -> Never {
        Issue.record(Comment(rawValue: "SKIPPED on cove: \(reason)"), severity: .warning)
        try Test.cancel(Comment(rawValue: reason))
    }

    /// cove's own words for something not done yet, as they reach an engine's error output.
    static let gapMarkers = ["not supported yet", "not implemented yet", "not applied yet"]

    /// cove's message in the first line of `text` that says a feature is not there yet, without the
    /// engine's and the log's wrapping (paths, `msg="`).
    static func gap(in text: String) -> String? {
        guard var line = text.split(separator: "\n").map(String.init).first(where: { l in gapMarkers.contains { l.contains($0) } }) else {
            return nil
        }
        for cut in ["config.json: ", "msg=\""] {
            if let r = line.range(of: cut, options: .backwards) { line = String(line[r.upperBound...]) }
        }
        for tail in ["\"", ".", ": unknown"] where line.hasSuffix(tail) { line.removeLast(tail.count) }
        return line.trimmingCharacters(in: .whitespaces)
    }

    /// Cancels the current test when `result` failed because cove reported a missing feature; otherwise
    /// returns and lets the test's own expectations judge the result.
    static func cancelOnGap(_ runtime: EngineRuntime, _ result: RunResult, extra: String = "") throws {
        guard runtime == .cove, result.status != 0, let line = gap(in: result.stderr + "\n" + result.stdout + "\n" + extra) else { return }
        try skip("cove says: \(line)")
    }
}

/// Engines are run with posix_spawn and waitpid rather than Foundation's Process: podman leaves conmon
/// behind as a daemon, and Foundation's SIGCHLD bookkeeping was seen to miss such a child's exit, leaving
/// `waitUntilExit` hanging on a zombie. Output is read until the child exits (not to EOF: a daemonised
/// grandchild may keep a copy of the pipe), then drained.
enum EngineShell {
    /// Starts `argv` with stdin from /dev/null and stdout/stderr on `out`/`err`; returns its PID.
    static func spawn(_ argv: [String], env: [String: String], out: Int32, err: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out, 1)
        posix_spawn_file_actions_adddup2(&actions, err, 2)
        let environment = ProcessInfo.processInfo.environment.merging(EngineTools.env.merging(env) { $1 }) { $1 }
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArgs + cEnv).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, cEnv)
        guard rc == 0 else { throw TestFailure("posix_spawn \(argv[0]): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// Runs `argv` (absolute path) and collects exit status (128+N for a signal), stdout and stderr;
    /// SIGKILLs it after `timeout`.
    static func run(_ argv: [String], env: [String: String] = [:], timeout: TimeInterval = 180) throws -> RunResult {
        Spawned.lock.lock()
        let outPipe: [Int32], errPipe: [Int32]
        do { outPipe = try Spawned.cloexecPipe() } catch { Spawned.lock.unlock(); throw error }
        do { errPipe = try Spawned.cloexecPipe() } catch { Spawned.lock.unlock(); outPipe.forEach { close($0) }; throw error }
        let pid: pid_t
        do { pid = try spawn(argv, env: env, out: outPipe[1], err: errPipe[1]) } catch {
            Spawned.lock.unlock()
            (outPipe + errPipe).forEach { close($0) }
            throw error
        }
        Spawned.lock.unlock()
        close(outPipe[1]); close(errPipe[1])
        defer { close(outPipe[0]); close(errPipe[0]) }
        var out = [UInt8](), err = [UInt8]()
        var open = [outPipe[0]: true, errPipe[0]: true]
        func pump(wait ms: Int32) -> Bool {
            var fds = open.filter { $0.value }.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if fds.isEmpty { return false }
            guard poll(&fds, nfds_t(fds.count), ms) > 0 else { return false }
            var buf = [UInt8](repeating: 0, count: 65536)
            for p in fds where p.revents != 0 {
                let n = read(p.fd, &buf, buf.count)
                if n <= 0 { open[p.fd] = false; continue }
                if p.fd == outPipe[0] { out += buf[0..<n] } else { err += buf[0..<n] }
            }
            return true
        }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        var timedOut = false
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || (r < 0 && errno != EINTR) { break }
            if Date() > deadline {
                timedOut = true
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                break
            }
            _ = pump(wait: 50)
        }
        // What the child wrote before it exited; a grandchild holding the pipe (and writing) does not hold us
        // up for more than a few seconds.
        let drainEnd = Date().addingTimeInterval(5)
        while Date() < drainEnd && pump(wait: 100) {}
        let text = { (b: [UInt8]) in String(decoding: b, as: UTF8.self) }
        if timedOut {
            throw TestFailure("timed out after \(Int(timeout))s: \(argv.joined(separator: " "))\nstdout: \(text(out))\nstderr: \(text(err))")
        }
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return RunResult(status: code, stdout: text(out), stderr: text(err))
    }
}

/// A long-running engine daemon (containerd, dockerd) started by a test: its output goes to a log file,
/// `stop` ends it with SIGTERM (SIGKILL after a grace period) and reaps it.
final class EngineDaemon {
    let pid: pid_t
    let logPath: String
    let name: String
    private(set) var exitStatus: Int32?

    init(_ argv: [String], log: String, env: [String: String] = [:]) throws {
        name = (argv[0] as NSString).lastPathComponent
        logPath = log
        let fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TestFailure("open \(log): \(errno)") }
        defer { close(fd) }
        pid = try EngineShell.spawn(argv, env: env, out: fd, err: fd)
    }

    var isRunning: Bool {
        if exitStatus != nil { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { exitStatus = status; return false }
        return true
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    var logTail: String { log.split(separator: "\n").suffix(15).joined(separator: "\n") }

    /// Waits until `ready()` holds; fails with the daemon's last log lines when it exits or times out.
    func waitReady(timeout: TimeInterval = 90, _ ready: () -> Bool) throws {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if !isRunning { throw TestFailure("\(name) exited (status \(exitStatus ?? -1)) before it was ready:\n\(logTail)") }
            if ready() { return }
            usleep(100_000)
        }
        throw TestFailure("\(name) not ready after \(Int(timeout))s:\n\(logTail)")
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; always reaps.
    func stop(grace: TimeInterval = 45) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let end = Date().addingTimeInterval(grace)
        while isRunning && Date() < end { usleep(100_000) }
        if isRunning {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            exitStatus = status
        }
    }

    deinit { stop(grace: 10) }
}

/// Waits until `done()` holds or `timeout` passes; returns whether it held.
@discardableResult
func eventually(timeout: TimeInterval = 30, _ done: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(timeout)
    while Date() < end {
        if done() { return true }
        usleep(100_000)
    }
    return done()
}
