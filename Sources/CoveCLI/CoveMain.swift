import ArgumentParser
import CLinux
import Glibc
import Kernel

/// Entry point: picks the command, runs it, and turns errors into one line on stderr and an exit code.
public enum CoveMain {
    public static func run() -> Never {
        let args = Array(CommandLine.arguments.dropFirst())
        // util-linux style commands parse their own options (optional values such as --mount[=FILE]
        // and stop-at-first-argument semantics that ArgumentParser does not model).
        if let first = args.first, let tool = ToolCommands.entry(first) {
            exit(tool(Array(args.dropFirst())))
        }
        // runc's global options (--root, --log, --log-format, --debug, --systemd-cgroup) precede the subcommand.
        let runtimeArgs = RuntimeGlobals.consume(args)
        // runc's -v/--version, which engines run to identify the runtime; ArgumentParser knows --version only.
        if runtimeArgs == ["--version"] || runtimeArgs == ["-v"] {
            print(CoveVersion.string)
            exit(0)
        }
        if let code = RuntimeFastPath.run(runtimeArgs) { exit(code) }
        do {
            var command = try Cove.parseNamed(runtimeArgs)
            try command.run()
            exit(0)
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch let error as SyscallError {
            printError(error.description)
            exit(1)
        } catch let error as CoveError {
            printError(error.description)
            exit(1)
        } catch {
            // A command line cove cannot parse (a runc command or flag it lacks) reaches the log too: containerd's
            // shim reports the log's last error, and otherwise says only "exit status 64: unknown".
            if Cove.exitCode(for: error) != .success { RuntimeLog.error(Cove.message(for: error)) }
            Cove.exit(withError: error)
        }
    }
}

/// One line on stderr, prefixed `cove: `.
public func printError(_ message: String) {
    fputs("cove: \(message)\n", stderr)
}

struct Cove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cove",
        abstract: "Linux namespaces toolkit and OCI container runtime.",
        discussion: """
        Namespace tools (util-linux style options; see 'cove <tool> --help'):
          unshare   run a program in new namespaces
          enter     run a program in the namespaces of another process (nsenter)
        """,
        version: CoveVersion.string,
        subcommands: [NS.self, NetnsCommand.self, LinkCommand.self, AddrCommand.self, RouteCommand.self] + RuntimeCommands.all
    )
}

extension Cove {
    /// The command `argv` names, parsed alone as if it were the root: `parseAsRoot` on the root reflects over
    /// every subcommand too (`cove list`: 7.2M instructions that way, 6.2M this way — the rest is
    /// ArgumentParser's reflection over the command itself). Help, --version and any line the named command
    /// rejects go through the whole tree, so usage lines and error messages still read `cove …`.
    static func parseNamed(_ argv: [String]) throws -> ParsableCommand {
        let wholeTree: Set<String> = ["-h", "--help", "help", "--version", "--experimental-dump-help"]
        if !argv.contains(where: { wholeTree.contains($0) || $0.hasPrefix("--generate-completion") }),
           let (named, rest) = named(argv), let command = try? named.parseAsRoot(rest) {
            return command
        }
        return try parseAsRoot(argv)
    }

    /// The deepest subcommand the leading words name, and the words after them.
    static func named(_ argv: [String]) -> (ParsableCommand.Type, [String])? {
        var type: ParsableCommand.Type = Cove.self
        var rest = argv[...]
        while let word = rest.first, let sub = type.configuration.subcommands.first(where: {
            $0._commandName == word || $0.configuration.aliases.contains(word)
        }) {
            type = sub
            rest = rest.dropFirst()
        }
        return type == Cove.self ? nil : (type, Array(rest))
    }
}

enum CoveVersion {
    static let string = "cove version 0.1.0\nspec: 1.3.0"
}
