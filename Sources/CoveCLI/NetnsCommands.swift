import ArgumentParser
import Glibc
import Kernel
import Netlink

/// `cove netns`: persistent named network namespaces, interchangeable with `ip netns`.
struct NetnsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netns",
        abstract: "Manage named network namespaces (/run/netns, shared with iproute2).",
        subcommands: [NetnsAdd.self, NetnsList.self, NetnsDelete.self, NetnsExec.self, NetnsIdentify.self, NetnsPids.self]
    )
}

struct NetnsAdd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Create a named network namespace.")
    @Argument(help: "Namespace name.") var name: String

    func run() throws {
        try netCommand { try NamedNetns.add(name) }
    }
}

struct NetnsList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List named network namespaces.", aliases: ["ls"])
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try NetnsList.show(json: json)
    }

    /// Shared with NetFastPath.
    static func show(json: Bool) throws {
        try netCommand {
            let names = try NamedNetns.list()
            // The id our own namespace assigned to each (as `ip netns list` shows it), if any.
            let sock = try NetlinkSocket()
            var rows: [(String, Int32?)] = []
            for name in names {
                var id: Int32?
                let path = "\(NamedNetns.runDir)/\(name)"
                if let fd = try? NetNamespace.open(path: path) {
                    id = try? sock.netnsID(ofNamespaceFD: fd)
                    close(fd)
                }
                rows.append((name, id))
            }
            if json {
                print(JSONOut.array(rows.map { row in
                    var o: [(String, JSONOut)] = [("name", .string(row.0))]
                    if let id = row.1 { o.append(("id", .int(id))) }
                    return .object(o)
                }).text)
            } else {
                for (name, id) in rows { print(id.map { "\(name) (id: \($0))" } ?? name) }
            }
        }
    }
}

struct NetnsDelete: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete named network namespaces.", aliases: ["del"])
    @Argument(help: "Namespace names.") var names: [String]

    func validate() throws {
        if names.isEmpty { throw ValidationError("give at least one namespace name") }
    }

    func run() throws {
        try netCommand { try NamedNetns.delete(names) }
    }
}

struct NetnsExec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command inside a named network namespace (with its own /sys and /etc/netns/NAME files).",
        usage: "cove netns exec NAME -- COMMAND [ARGS...]"
    )
    @Argument(help: "Namespace name.") var name: String
    @Argument(parsing: .captureForPassthrough, help: "Command and arguments.") var command: [String] = []

    func run() throws {
        try NetnsExec.exec(name, command)
    }

    /// Shared with NetFastPath. `command` may start with "--".
    static func exec(_ name: String, _ command: [String]) throws {
        var argv = command
        if argv.first == "--" { argv.removeFirst() }
        guard !argv.isEmpty else { throw CoveError("netns exec \(name): no command given") }
        try netCommand { try NamedNetns.exec(name, argv) }
    }
}

struct NetnsIdentify: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "identify", abstract: "Print the names of the network namespace of a process.")
    @Argument(help: "Process ID (default: cove itself).") var pid: Int32?

    func run() throws {
        let target = pid ?? getpid()
        guard target > 0, ProcessControl.exists(target) else { throw CoveError("no process with PID \(target)") }
        try netCommand {
            for name in try NamedNetns.identify(pid: target) { print(name) }
        }
    }
}

struct NetnsPids: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pids", abstract: "Print the PIDs of processes in a named network namespace.")
    @Argument(help: "Namespace name.") var name: String

    func run() throws {
        try netCommand {
            for pid in try NamedNetns.pids(name) { print(pid) }
        }
    }
}
