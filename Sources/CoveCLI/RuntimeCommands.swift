import ArgumentParser
import Container
import FoundationEssentials
import Glibc
import Kernel
import OCI

/// Flags shared by `create` and `run`, spelled as runc's.
struct RuntimeCreateFlags: ParsableArguments {
    @Option(name: [.customShort("b"), .long], help: "Path to the bundle (directory holding config.json).")
    var bundle: String = "."
    @Option(name: .customLong("pid-file"), help: "Write the init's PID to this file.")
    var pidFile: String?
    @Option(name: .customLong("console-socket"), help: "Unix socket to receive the terminal master (needs process.terminal).")
    var consoleSocket: String?
    @Flag(name: .customLong("no-pivot"), help: "Do not use pivot_root (for a ramdisk root).")
    var noPivot = false
    @Flag(name: .customLong("no-new-keyring"), help: "Keep the caller's session keyring.")
    var noNewKeyring = false
    @Option(name: .customLong("preserve-fds"), help: "Pass this many extra descriptors (3, 4, ...) to the container.")
    var preserveFDs: Int = 0
    @Argument(help: "Container id.")
    var id: String

    func options() -> CreateOptions {
        var o = CreateOptions(id: id, bundle: bundle)
        o.pidFile = pidFile.map(absolute)
        o.consoleSocket = consoleSocket
        o.noPivot = noPivot
        o.noNewKeyring = noNewKeyring
        o.preserveFDs = preserveFDs
        return o
    }

    func absolute(_ p: String) -> String { RuntimeFastPath.absolute(p) }
}

struct RuntimeCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a container (its process waits for 'start').")
    @OptionGroup var flags: RuntimeCreateFlags

    func run() throws {
        try RuntimeCLI.perform {
            try SealedExecutable.ensure()
            try RuntimeCLI.runtime.create(flags.options())
        }
    }
}

struct RuntimeRun: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Create and start a container, and wait for it.")
    @Flag(name: [.short, .long], help: "Do not wait for the container.")
    var detach = false
    @Flag(name: .long, help: "Keep the container's state after it exits.")
    var keep = false
    @OptionGroup var flags: RuntimeCreateFlags

    func run() throws {
        var code: Int32 = 0
        try RuntimeCLI.perform {
            if detach && keep { throw CoveError("--keep cannot be used with --detach") }
            try SealedExecutable.ensure()
            code = try RuntimeCLI.runtime.run(flags.options(), detach: detach, keep: keep)
        }
        if code != 0 { throw ExitCode(code) }
    }
}

struct RuntimeStart: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a created container.")
    @Argument(help: "Container id.") var id: String
    func run() throws { try RuntimeCLI.perform { try RuntimeCLI.runtime.start(id) } }
}

struct RuntimeState: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "state", abstract: "Print a container's state as JSON.")
    @Argument(help: "Container id.") var id: String
    func run() throws {
        try RuntimeCLI.perform { RuntimeCLI.printJSON(try RuntimeCLI.runtime.state(id).json(pretty: true)) }
    }
}

struct RuntimeKill: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Send a signal (default SIGTERM) to a container.")
    @Flag(name: [.short, .long], help: "Signal every process of the container.") var all = false
    @Argument(help: "Container id.") var id: String
    @Argument(help: "Signal: KILL, SIGKILL or 9.") var signal: String = "SIGTERM"
    func run() throws {
        try RuntimeCLI.perform {
            guard let sig = Signal.parse(signal) else { throw CoveError("unknown signal '\(signal)'") }
            try RuntimeCLI.runtime.kill(id, signal: sig, all: all)
        }
    }
}

struct RuntimeDelete: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a container and its state.")
    @Flag(name: [.short, .long], help: "Kill the container first if it still runs.") var force = false
    @Argument(help: "Container id.") var id: String
    func run() throws { try RuntimeCLI.perform { try RuntimeCLI.runtime.delete(id, force: force) } }
}

struct RuntimeList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List containers.")
    @Option(name: [.short, .long], help: "table or json.") var format: String = "table"
    @Flag(name: [.short, .long], help: "Print only the ids.") var quiet = false
    func run() throws {
        try RuntimeCLI.perform { try Self.show(RuntimeCLI.runtime.list(), format: format, quiet: quiet) }
    }

    /// Shared with RuntimeFastPath.
    static func show(_ states: [State], format: String, quiet: Bool) throws {
        if quiet {
            for s in states { print(s.id) }
            return
        }
        switch format {
        case "json":
            let items = try states.map { String(decoding: try $0.json(), as: UTF8.self) }
            RuntimeCLI.printJSON(Array(("[" + Text.join(items[...], separator: ",") + "]").utf8))
        case "table":
            let rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]] + states.map {
                [$0.id, String($0.pid), $0.status.rawValue, $0.bundle, $0.created ?? "", $0.owner ?? ""]
            }
            let widths = (0..<6).map { c in rows.map { $0[c].count }.max() ?? 0 }
            for r in rows {
                let line = Text.join((0..<6).map { c in c == 5 ? r[c] : r[c] + String(repeating: " ", count: widths[c] - r[c].count + 3) }[...], separator: "")
                print(line)
            }
        default:
            throw CoveError("--format: '\(format)' is not table or json")
        }
    }
}

struct RuntimeFeatures: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "features", abstract: "Print what this runtime supports, as JSON.")
    func run() throws {
        try RuntimeCLI.perform {
            let f = Features.cove(mountOptions: MountOptions.known, cgroup: Features.Cgroup(v1: true, v2: true, systemd: false, systemdUser: false, rdma: true), seccomp: ContainerSeccomp.features)
            let enc = JSONEncoder()
            // Sorted: Foundation's encoder otherwise follows dictionary order, which differs from run to run.
            enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            RuntimeCLI.printJSON(Array(try enc.encode(f)))
        }
    }
}

struct RuntimeSpec: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spec", abstract: "Write a default config.json into the bundle.")
    @Option(name: [.short, .long], help: "Bundle directory.") var bundle: String = "."
    @Flag(name: .long, help: "A config for running without root (user namespace, current ids).") var rootless = false
    func run() throws {
        try RuntimeCLI.perform {
            let path = "\(bundle)/config.json"
            if FileIO.exists(path) { throw CoveError("\(path) exists; remove it first") }
            let spec = DefaultSpec.make(rootless: rootless, uid: geteuid(), gid: getegid())
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try FileIO.write(path, String(decoding: try enc.encode(spec), as: UTF8.self) + "\n", create: true, mode: 0o644)
        }
    }
}

/// The runtime subcommands in the order `cove --help` lists them.
enum RuntimeCommands {
    static let all: [ParsableCommand.Type] = [
        RuntimeSpec.self, RuntimeCreate.self, RuntimeStart.self, RuntimeRun.self, RuntimeExec.self, RuntimeState.self,
        RuntimeKill.self, RuntimeDelete.self, RuntimeList.self, RuntimePs.self, RuntimeUpdate.self, RuntimePause.self,
        RuntimeResume.self, RuntimeEvents.self, RuntimeFeatures.self,
    ]
}
