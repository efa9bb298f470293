import Foundation
import Testing

/// Shared helpers for integration tests: run the built `cove` binary, make busybox root filesystems,
/// and check that nothing was left behind. Tests use these rather than re-implementing them.
enum Host {
    static let isRoot = geteuid() == 0
    static let rootReason: Comment = "needs root: creates real namespaces, mounts and devices"

    /// The unprivileged user CI creates for rootless tests (see .ci/run).
    static let testUser = "covetest"
    static var hasTestUser: Bool { getpwnam(testUser) != nil }
}

struct RunResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    var description: String { "status \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

enum Cove {
    /// The `cove` binary built beside the test bundle (same build directory, whatever --scratch-path).
    static var binary: String {
        if let env = ProcessInfo.processInfo.environment["COVE_BIN"] { return env }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The test runner may live inside a .xctest bundle directory.
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("cove").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        fatalError("cove binary not found next to \(exe.path); set COVE_BIN")
    }

    /// Runs `cove ARGS` and collects its output. `user` runs it through setpriv as that unprivileged user.
    @discardableResult
    static func run(_ args: [String], stdin: String? = nil, user: String? = nil, env: [String: String]? = nil,
                    timeout: TimeInterval = 60) throws -> RunResult {
        try Shell.run([user == nil ? binary : publicBinary] + args, stdin: stdin, user: user, env: env, timeout: timeout)
    }

    /// A copy of the binary any user can run: the build directory may sit under a home directory other users
    /// cannot enter (CI clones anywhere). Made once per test process, removed when it exits.
    static let publicBinary: String = {
        let dir = "/tmp/cove-bin-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, 0o755)
        let copy = dir + "/cove"
        try? FileManager.default.removeItem(atPath: copy)
        // Copied by a child process: a write descriptor held by this (multi-threaded) test process would be
        // inherited by whatever another test spawns meanwhile, and exec of the copy fails with ETXTBSY (126).
        _ = try? Shell.run(["/bin/cp", binary, copy])
        chmod(copy, 0o755)
        atexit { try? FileManager.default.removeItem(atPath: "/tmp/cove-bin-\(getpid())") }
        return copy
    }()
}

enum Shell {
    /// Runs a program (no shell) and collects exit status (128+N for a signal), stdout and stderr.
    @discardableResult
    static func run(_ argv: [String], stdin: String? = nil, user: String? = nil, env: [String: String]? = nil,
                    timeout: TimeInterval = 60) throws -> RunResult {
        var argv = argv
        if let user {
            argv = ["setpriv", "--reuid=\(user)", "--regid=\(user)", "--init-groups", "--reset-env", "--"] + argv
        }
        let path = argv[0].hasPrefix("/") ? argv[0] : try which(argv[0])
        var environment = ProcessInfo.processInfo.environment
        if let env { environment.merge(env) { $1 } }
        let child = try Spawned(path: path, argv: argv, environment: environment)
        if let stdin { child.stdin.write(Data(stdin.utf8)) }
        try? child.stdin.close()
        // Read both pipes on their own threads, so a chatty child cannot block on a full pipe and the
        // timeout below still fires if it never closes them.
        // The group's wait orders the readers' writes before the reads below; after a timeout nothing reads them.
        final class Collected: @unchecked Sendable { var data = Data() }
        let out = Collected(), err = Collected()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { out.data = child.stdout.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { err.data = child.stderr.readDataToEndOfFile(); group.leave() }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            kill(child.pid, SIGKILL)
            _ = child.wait()
            throw TestFailure("timed out after \(timeout)s: \(argv.joined(separator: " "))")
        }
        let status = child.wait()
        return RunResult(status: status, stdout: String(decoding: out.data, as: UTF8.self), stderr: String(decoding: err.data, as: UTF8.self))
    }

    static func which(_ name: String) throws -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        throw TestFailure("\(name) not found in PATH")
    }
}

/// A child started with posix_spawn(3) with an empty signal mask and default dispositions — as a login shell
/// would start it. Foundation's Process passes on the test runner's mask, in which most signals are blocked,
/// so signals sent to such a child would never arrive.
final class Spawned {
    let pid: pid_t
    let stdin: FileHandle
    let stdout: FileHandle
    let stderr: FileHandle

    init(path: String, argv: [String], environment: [String: String]) throws {
        // Close-on-exec, under the lock every test spawn takes: another test's child must not inherit these
        // pipes (it would hold them open).
        Spawned.lock.lock()
        defer { Spawned.lock.unlock() }
        let inP = try Spawned.cloexecPipe(), outP = try Spawned.cloexecPipe(), errP = try Spawned.cloexecPipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inP[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outP[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errP[1], 2)
        for fd in inP + outP + errP { posix_spawn_file_actions_addclose(&actions, fd) }
        var attr = posix_spawnattr_t()
        Spawned.cleanSignals(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        let cargv = argv.map { strdup($0) } + [nil]
        let cenv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cargv + cenv).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, cargv, cenv)
        close(inP[0]); close(outP[1]); close(errP[1])
        guard rc == 0 else {
            close(inP[1]); close(outP[0]); close(errP[0])
            throw TestFailure("posix_spawn \(path): \(String(cString: strerror(rc)))")
        }
        self.pid = pid
        stdin = FileHandle(fileDescriptor: inP[1], closeOnDealloc: true)
        stdout = FileHandle(fileDescriptor: outP[0], closeOnDealloc: true)
        stderr = FileHandle(fileDescriptor: errP[0], closeOnDealloc: true)
    }

    /// Held by every helper that makes pipes and spawns (here and EngineShell): Glibc has no pipe2 for Swift,
    /// so the pipes are close-on-exec only after an fcntl, and no spawn may fall in between.
    static let lock = NSLock()

    /// pipe(2) + FD_CLOEXEC; call with `lock` held.
    static func cloexecPipe() throws -> [Int32] {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TestFailure("pipe: errno \(errno)") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return fds
    }

    /// `argv[0]` (an absolute path) with this process's environment.
    convenience init(_ argv: [String]) throws {
        try self.init(path: argv[0], argv: argv, environment: ProcessInfo.processInfo.environment)
    }

    /// Initialises `attr` for a child with an empty signal mask and default dispositions, plus `extraFlags`
    /// (e.g. POSIX_SPAWN_SETSID). The caller destroys it.
    static func cleanSignals(_ attr: inout posix_spawnattr_t, extraFlags: Int32 = 0) {
        posix_spawnattr_init(&attr)
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in 1..<32 where sig != SIGKILL && sig != SIGSTOP { sigaddset(&defaults, Int32(sig)) }
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | extraFlags))
    }

    /// The exit status, or 128+N for a death by signal N. A child still running after `timeout` seconds is
    /// SIGKILLed (and the test fails on the 137 it then returns): no test waits for ever.
    func wait(timeout: TimeInterval = 60) -> Int32 {
        if let done = reaped { return done }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(timeout)
        var pause: useconds_t = 1000
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r == -1 && errno != EINTR { return -1 }
            if Date() > deadline {
                Issue.record("pid \(pid) still running after \(Int(timeout))s: killed")
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                break
            }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
        let signaled = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f
        reaped = signaled ? 128 + (status & 0x7f) : (status >> 8) & 0xff
        return reaped!
    }

    /// The exit status once reaped by `wait`.
    private(set) var reaped: Int32?

}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A private temporary directory removed (with anything mounted under it unmounted first) at the end.
final class TempDir {
    let path: String

    init(_ tag: String = "cove-test") throws {
        var template = Array("/tmp/\(tag)-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw TestFailure("mkdtemp failed") }
        path = String(cString: p)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    deinit {
        for m in Leftovers.mounts(under: path).reversed() { umount2(m, Int32(MNT_DETACH)) }
        try? FileManager.default.removeItem(atPath: path)
    }
}

enum Leftovers {
    /// Mount points at or under `prefix` in the host's mount table.
    static func mounts(under prefix: String) -> [String] {
        let info = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return info.split(separator: "\n").compactMap { line -> String? in
            let f = line.split(separator: " ")
            guard f.count > 4 else { return nil }
            let mp = String(f[4]).replacingOccurrences(of: "\\040", with: " ")
            return (mp == prefix || mp.hasPrefix(prefix + "/")) ? mp : nil
        }
    }

    /// PIDs of processes whose command line contains `marker` (tests put a unique marker in argv).
    static func processes(containing marker: String) -> [Int32] {
        let me = getpid()
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }.filter { pid in
            guard pid != me, let d = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: d, as: UTF8.self).replacingOccurrences(of: "\0", with: " ").contains(marker)
        }
    }
}

/// A unique short name for things a test creates (netns, veth, container ids): tag + pid + counter.
enum UniqueName {
    nonisolated(unsafe) private static var counter = 0
    private static let lock = NSLock()
    static func make(_ tag: String) -> String {
        lock.lock(); defer { lock.unlock() }
        counter += 1
        return "\(tag)\(getpid() % 100000)x\(counter)"
    }
}

/// A busybox root filesystem made from Debian's busybox-static (/bin/busybox), one symlink per applet.
enum BusyboxRootfs {
    static var available: Bool { FileManager.default.isExecutableFile(atPath: "/bin/busybox") }

    static func make(at root: String) throws {
        let fm = FileManager.default
        for d in ["bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "root", "usr/bin", "usr/sbin", "var", "run"] {
            try fm.createDirectory(atPath: "\(root)/\(d)", withIntermediateDirectories: true)
        }
        try copyExecutable("/bin/busybox", to: "\(root)/bin/busybox")
        let list = try Shell.run(["/bin/busybox", "--list"]).stdout.split(separator: "\n")
        for applet in list where applet != "busybox" {
            try? fm.createSymbolicLink(atPath: "\(root)/bin/\(applet)", withDestinationPath: "busybox")
        }
        try "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n".write(toFile: "\(root)/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\nnogroup:x:65534:\n".write(toFile: "\(root)/etc/group", atomically: true, encoding: .utf8)
        chmod("\(root)/tmp", 0o1777)
    }

    /// A copy written through an O_CLOEXEC descriptor: tests run in parallel, and a cove process spawned
    /// while FileManager's copy had the file open for writing kept that descriptor, so another test's
    /// container failed to exec its /bin/sh with ETXTBSY.
    static func copyExecutable(_ source: String, to target: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        let fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw TestFailure("open \(target): errno \(errno)") }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw TestFailure("write \(target): \(written) of \(bytes.count) bytes") }
    }
}
