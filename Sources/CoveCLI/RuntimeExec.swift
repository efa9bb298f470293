import ArgumentParser
import Container
import Glibc
import Kernel

/// `cove exec`, with runc's flags. Everything after the container id is the command, dashes and all.
struct RuntimeExec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Run a new process inside a created or running container.",
        discussion: "With --process FILE the process comes from FILE (a runtime-spec process) and the flags that describe a process are ignored, as with runc.")

    @Option(name: [.customShort("p"), .long], help: "JSON file with the process to run (a runtime-spec process).")
    var process: String?
    @Flag(name: [.customShort("t"), .long], help: "Allocate a terminal for the process.")
    var tty = false
    @Option(name: .customLong("console-socket"), help: "Unix socket to receive the terminal master (with --tty and --detach).")
    var consoleSocket: String?
    @Option(name: .long, help: "Working directory in the container.")
    var cwd: String?
    @Option(name: [.customShort("e"), .long], help: "Set an environment variable (NAME=VALUE); repeatable.")
    var env: [String] = []
    @Option(name: [.customShort("u"), .long], help: "UID[:GID] to run as.")
    var user: String?
    @Option(name: [.customShort("g"), .customLong("additional-gids")], help: "Additional group id; repeatable.")
    var additionalGids: [Int64] = []
    @Option(name: [.short, .long], help: "Add a capability (CAP_NET_ADMIN); repeatable.")
    var cap: [String] = []
    @Flag(name: .customLong("no-new-privs"), help: "Set no_new_privs for the process.")
    var noNewPrivs = false
    @Option(name: .long, help: "AppArmor profile (not available to Cove).")
    var apparmor: String?
    @Option(name: [.customLong("process-label")], help: "SELinux label (not available to Cove).")
    var processLabel: String?
    @Flag(name: [.short, .long], help: "Do not wait for the process.")
    var detach = false
    @Option(name: .customLong("pid-file"), help: "Write the process's PID to this file.")
    var pidFile: String?
    @Option(name: .customLong("preserve-fds"), help: "Pass this many extra descriptors (3, 4, ...) to the process.")
    var preserveFDs: Int = 0
    @Flag(name: .customLong("ignore-paused"), help: "Exec even if the container is paused.")
    var ignorePaused = false
    @Argument(help: "Container id.")
    var id: String
    @Argument(parsing: .captureForPassthrough, help: "Command and its arguments (unless --process).")
    var command: [String] = []

    func run() throws {
        var line = ExecCommandLine(id: id, command: command)
        line.process = process
        line.tty = tty
        line.consoleSocket = consoleSocket
        line.cwd = cwd
        line.env = env
        line.user = user
        line.additionalGids = additionalGids
        line.caps = cap
        line.noNewPrivs = noNewPrivs
        line.apparmor = apparmor
        line.processLabel = processLabel
        line.detach = detach
        line.pidFile = pidFile
        line.preserveFDs = preserveFDs
        line.ignorePaused = ignorePaused
        try line.run()
    }
}

/// What `cove exec` was asked, from ArgumentParser or the hand parser (`RuntimeFastPath`): one way to run it.
struct ExecCommandLine {
    var id: String
    var command: [String]
    var process: String?
    var tty = false
    var consoleSocket: String?
    var cwd: String?
    var env: [String] = []
    var user: String?
    var additionalGids: [Int64] = []
    var caps: [String] = []
    var noNewPrivs = false
    var apparmor: String?
    var processLabel: String?
    var detach = false
    var pidFile: String?
    var preserveFDs = 0
    var ignorePaused = false

    func run() throws {
        var code: Int32 = 0
        try RuntimeCLI.perform {
            // After the re-exec into the sealed copy, or the warning would be printed twice.
            try SealedExecutable.ensure()
            if let process, !command.isEmpty {
                RuntimeLog.warn("exec: the process comes from --process \(process); the command after the id is ignored")
            }
            code = try RuntimeCLI.runtime.exec(options())
        }
        if code != 0 { throw ExitCode(code) }
    }

    func options() -> ExecOptions {
        let source: ExecProcessSource
        if let process {
            source = .file(RuntimeFastPath.absolute(process))
        } else {
            var f = ExecFlags()
            f.args = command.first == "--" ? Array(command.dropFirst()) : command
            f.tty = tty
            f.cwd = cwd
            f.env = env
            f.user = user
            f.additionalGids = additionalGids
            f.caps = caps
            f.noNewPrivs = noNewPrivs
            f.apparmor = apparmor
            f.processLabel = processLabel
            source = .flags(f)
        }
        var o = ExecOptions(id: id, source: source)
        o.consoleSocket = consoleSocket
        o.detach = detach
        o.pidFile = pidFile.map(RuntimeFastPath.absolute)
        o.preserveFDs = preserveFDs
        o.ignorePaused = ignorePaused
        return o
    }
}
