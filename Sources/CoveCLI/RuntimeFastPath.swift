import ArgumentParser
import Container
import Glibc
import Kernel

/// The commands engines call for every container — create, start, run, state, kill, delete, exec — and
/// pause, resume, list, features and `ps --format json`, parsed by hand. ArgumentParser reflects over the
/// command on each start (5-7 million instructions, more than everything `cove create` does itself). Only
/// plain forms of runc's flags are taken here; anything else (help, an unknown flag, a missing value) returns
/// nil and goes to ArgumentParser, which parses the same command line, so both paths accept the same input
/// and fail the same way.
enum RuntimeFastPath {
    /// The exit code, or nil to leave the command line to ArgumentParser.
    static func run(_ args: [String]) -> Int32? {
        guard let name = args.first, let command = parse(name, Array(args.dropFirst())) else { return nil }
        do {
            try command()
            return 0
        } catch let code as ExitCode {
            return code.rawValue
        } catch {
            printError("\(error)")
            return 1
        }
    }

    typealias Command = () throws -> Void

    static func parse(_ name: String, _ args: [String]) -> Command? {
        switch name {
        case "create":
            guard let (o, rest) = createFlags(args), rest.isEmpty else { return nil }
            return { try RuntimeCLI.perform { try SealedExecutable.ensure(); _ = try RuntimeCLI.runtime.create(o) } }
        case "run":
            var detach = false, keep = false
            let others = args.filter { a in
                switch a {
                case "-d", "--detach": detach = true; return false
                case "--keep": keep = true; return false
                default: return true
                }
            }
            guard !(detach && keep), let (o, rest) = createFlags(others), rest.isEmpty else { return nil }
            return {
                var code: Int32 = 0
                try RuntimeCLI.perform {
                    try SealedExecutable.ensure()
                    code = try RuntimeCLI.runtime.run(o, detach: detach, keep: keep)
                }
                if code != 0 { throw ExitCode(code) }
            }
        case "start":
            guard let id = single(args) else { return nil }
            return { try RuntimeCLI.perform { try RuntimeCLI.runtime.start(id) } }
        case "state":
            guard let id = single(args) else { return nil }
            return { try RuntimeCLI.perform { RuntimeCLI.printJSON(try RuntimeCLI.runtime.state(id).json(pretty: true)) } }
        case "delete":
            let force = args.contains { $0 == "-f" || $0 == "--force" }
            guard let id = single(args.filter { $0 != "-f" && $0 != "--force" }) else { return nil }
            return { try RuntimeCLI.perform { try RuntimeCLI.runtime.delete(id, force: force) } }
        case "kill":
            let all = args.contains { $0 == "-a" || $0 == "--all" }
            let operands = args.filter { $0 != "-a" && $0 != "--all" }
            guard operands.count == 1 || operands.count == 2, !operands.contains(where: { $0.hasPrefix("-") }),
                  let sig = Signal.parse(operands.count == 2 ? operands[1] : "SIGTERM") else { return nil }
            let id = operands[0]
            return { try RuntimeCLI.perform { try RuntimeCLI.runtime.kill(id, signal: sig, all: all) } }
        case "exec":
            guard let line = execFlags(args) else { return nil }
            return { try line.run() }
        case "pause":
            guard let id = single(args) else { return nil }
            return { try RuntimeCLI.perform { try RuntimeCLI.runtime.pause(id) } }
        case "resume":
            guard let id = single(args) else { return nil }
            return { try RuntimeCLI.perform { try RuntimeCLI.runtime.resume(id) } }
        case "ps":
            // containerd's form, `ps --format json ID`; the table runs ps(1) and takes its options: ArgumentParser.
            guard let id = psJSON(args) else { return nil }
            return { try RuntimeCLI.perform { RuntimePs.showJSON(try RuntimeCLI.runtime.processes(id)) } }
        case "features":
            guard args.isEmpty else { return nil }
            return { try RuntimeFeatures().run() }
        case "list":
            guard let (format, quiet) = listFlags(args) else { return nil }
            return { try RuntimeCLI.perform { try RuntimeList.show(RuntimeCLI.runtime.list(), format: format, quiet: quiet) } }
        default:
            return nil
        }
    }

    /// runc's exec flags before the id (`--flag value`, `--flag=value`, `-x value`), then the id, then the
    /// command as it is. Combined short flags and anything unknown go to ArgumentParser.
    static func execFlags(_ args: [String]) -> ExecCommandLine? {
        var line = ExecCommandLine(id: "", command: [])
        var flags = FlagWalker(args)
        while let (arg, name, inline) = flags.next() {
            guard arg.hasPrefix("-"), arg != "-" else {
                line.id = arg
                line.command = Array(flags.rest)
                return line
            }
            func value() -> String? { flags.value(inline) }
            switch name {
            case "-p", "--process": guard let v = value() else { return nil }; line.process = v
            case "-t", "--tty": line.tty = true
            case "--console-socket": guard let v = value() else { return nil }; line.consoleSocket = v
            case "--cwd": guard let v = value() else { return nil }; line.cwd = v
            case "-e", "--env": guard let v = value() else { return nil }; line.env.append(v)
            case "-u", "--user": guard let v = value() else { return nil }; line.user = v
            case "-g", "--additional-gids": guard let v = value(), let n = Int64(v) else { return nil }; line.additionalGids.append(n)
            case "-c", "--cap": guard let v = value() else { return nil }; line.caps.append(v)
            case "--no-new-privs": line.noNewPrivs = true
            case "--apparmor": guard let v = value() else { return nil }; line.apparmor = v
            case "--process-label": guard let v = value() else { return nil }; line.processLabel = v
            case "-d", "--detach": line.detach = true
            case "--pid-file": guard let v = value() else { return nil }; line.pidFile = v
            case "--preserve-fds": guard let v = value(), let n = Int(v) else { return nil }; line.preserveFDs = n
            case "--ignore-paused": line.ignorePaused = true
            default: return nil
            }
            if inline != nil && ["--tty", "--no-new-privs", "--detach", "--ignore-paused"].contains(name) { return nil }
        }
        return nil  // no id: ArgumentParser says what is missing
    }

    /// `--format json ID` (also `-f json`, `--format=json`): the id; nil for anything else. Only before the id:
    /// what follows it is ps(1)'s options, as in runc.
    static func psJSON(_ args: [String]) -> String? {
        var flags = FlagWalker(args)
        var json = false, id: String?
        while let (arg, name, inline) = flags.next() {
            guard id == nil else { return nil }
            switch name {
            case "-f", "--format":
                guard flags.value(inline) == "json" else { return nil }
                json = true
            default:
                guard !arg.hasPrefix("-") else { return nil }
                id = arg
            }
        }
        return json ? id : nil
    }

    /// `list` with -q/--quiet and -f/--format table|json in their plain forms.
    static func listFlags(_ args: [String]) -> (format: String, quiet: Bool)? {
        var flags = FlagWalker(args)
        var format = "table", quiet = false
        while let (_, name, inline) = flags.next() {
            switch name {
            case "-q", "--quiet": guard inline == nil else { return nil }; quiet = true
            case "-f", "--format":
                guard let v = flags.value(inline), v == "table" || v == "json" else { return nil }
                format = v
            default: return nil
            }
        }
        return (format, quiet)
    }

    /// Exactly one operand that is not a flag.
    static func single(_ args: [String]) -> String? {
        args.count == 1 && !args[0].hasPrefix("-") ? args[0] : nil
    }

    /// runc's create flags in `--flag value`, `--flag=value` and `-b value` forms, then the id.
    static func createFlags(_ args: [String]) -> (CreateOptions, [String])? {
        var bundle = ".", pidFile: String?, consoleSocket: String?, noPivot = false, noNewKeyring = false
        var preserve = 0
        var id: String?
        var flags = FlagWalker(args)
        while let (arg, name, inline) = flags.next() {
            func value() -> String? { flags.value(inline) }
            switch name {
            case "-b", "--bundle": guard let v = value() else { return nil }; bundle = v
            case "--pid-file": guard let v = value() else { return nil }; pidFile = v
            case "--console-socket": guard let v = value() else { return nil }; consoleSocket = v
            case "--preserve-fds": guard let v = value(), let n = Int(v) else { return nil }; preserve = n
            case "--no-pivot": noPivot = true
            case "--no-new-keyring": noNewKeyring = true
            default:
                guard !arg.hasPrefix("-"), id == nil else { return nil }
                id = arg
            }
        }
        guard let id else { return nil }
        var o = CreateOptions(id: id, bundle: bundle)
        o.pidFile = pidFile.map(absolute)
        o.consoleSocket = consoleSocket
        o.noPivot = noPivot
        o.noNewKeyring = noNewKeyring
        o.preserveFDs = preserve
        return (o, [])
    }

    static func absolute(_ p: String) -> String {
        if p.hasPrefix("/") { return p }
        var buf = [CChar](repeating: 0, count: 4097)
        return getcwd(&buf, 4096) != nil ? String(cString: buf) + "/" + p : p
    }
}

/// Walks runc-style arguments: `--flag value`, `--flag=value`, `-x value`.
struct FlagWalker {
    let args: [String]
    var position = 0

    init(_ args: [String]) { self.args = args }

    /// The next argument, its name and its inline value (`--name=value`); nil at the end.
    mutating func next() -> (arg: String, name: String, inline: String?)? {
        guard position < args.count else { return nil }
        let arg = args[position]
        position += 1
        if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
            return (arg, String(arg[..<eq]), String(arg[arg.index(after: eq)...]))
        }
        return (arg, arg, nil)
    }

    /// A flag's value: the inline one, else the next argument (nil when there is none).
    mutating func value(_ inline: String?) -> String? {
        if let inline { return inline }
        guard position < args.count else { return nil }
        position += 1
        return args[position - 1]
    }

    /// The arguments not walked yet.
    var rest: ArraySlice<String> { args[position...] }
}
