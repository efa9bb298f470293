import ArgumentParser
import Glibc
import Kernel
import Toolkit

/// `cove ns`: look at namespaces (lsns, and `ls -l /proc/PID/ns`).
struct NS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ns",
        abstract: "List namespaces (like lsns) or show one process's namespaces.",
        subcommands: [NSList.self, NSShow.self]
    )
}

struct NSList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List all namespaces: inode, type, processes, lowest PID, user, command, persistent paths."
    )

    @Option(name: [.short, .long], help: "Only namespaces of this type (mnt, net, ipc, user, pid, uts, cgroup, time).")
    var type: String?

    @Flag(name: [.short, .customLong("json")], help: "Print JSON.")
    var json = false

    @Flag(name: [.long], help: "Draw which user namespace owns which namespaces.")
    var tree = false

    func run() throws {
        var kind: NamespaceKind?
        if let type {
            guard let k = NamespaceKind(name: type) else {
                throw CoveError("unknown namespace type: \(type) (use mnt, net, ipc, user, pid, uts, cgroup or time)")
            }
            kind = k
        }
        let all = NamespaceList.scan()
        let rows = kind.map { k in all.filter { $0.kind == k } } ?? all
        if json {
            print(JSONOut.object([("namespaces", .array(rows.map(Self.json)))]).rendered(pretty: true))
        } else if tree {
            print(Self.tree(rows, all: all), terminator: "")
        } else {
            print(Self.table(rows.map { ($0, "") }), terminator: "")
        }
    }

    static func json(_ e: NamespaceEntry) -> JSONOut {
        .object([
            "ns": .int(e.inode),
            "type": .string(e.kind.lsnsName),
            "nprocs": .int(e.processCount),
            "pid": e.pid.map { .int($0) } ?? .null,
            "user": e.user.map(JSONOut.string) ?? .null,
            "command": e.command.map(JSONOut.string) ?? .null,
            "nsfs": e.paths.isEmpty ? .null : .string(e.paths.joined(separator: "\n")),
            "owner": e.owner.map { .int($0) } ?? .null,
        ], order: ["ns", "type", "nprocs", "pid", "user", "command", "nsfs", "owner"])
    }

    static func table(_ rows: [(NamespaceEntry, String)]) -> String {
        let showPaths = rows.contains { !$0.0.paths.isEmpty }
        var lines = [["NS", "TYPE", "NPROCS", "PID", "USER", "COMMAND"] + (showPaths ? ["NSFS"] : [])]
        for (e, indent) in rows {
            lines.append([indent + String(e.inode), e.kind.lsnsName, String(e.processCount), e.pid.map(String.init) ?? "",
                          e.user ?? "", e.command ?? ""] + (showPaths ? [e.paths.joined(separator: ",")] : []))
        }
        return Columns.render(lines, rightAligned: [2, 3], lastUnpadded: true)
    }

    /// User namespaces nest by parent; every other namespace hangs under the user namespace owning it.
    static func tree(_ rows: [NamespaceEntry], all: [NamespaceEntry]) -> String {
        let wanted = Set(rows.map { "\($0.kind.procName):\($0.inode)" })
        let userInodes = Set(all.filter { $0.kind == .user }.map(\.inode))
        var children: [UInt64: [NamespaceEntry]] = [:]
        var roots: [NamespaceEntry] = []
        for e in all {
            if let owner = e.owner, userInodes.contains(owner), !(e.kind == .user && owner == e.inode) {
                children[owner, default: []].append(e)
            } else {
                roots.append(e)
            }
        }
        var out: [(NamespaceEntry, String)] = []
        func walk(_ e: NamespaceEntry, _ prefix: String, _ branch: String) {
            let include = wanted.contains("\(e.kind.procName):\(e.inode)")
            if include { out.append((e, prefix + branch)) }
            let kids = e.kind == .user ? (children[e.inode] ?? []) : []
            let childPrefix = prefix + (branch == "├─" ? "│ " : (branch.isEmpty ? "" : "  "))
            for (i, k) in kids.enumerated() {
                walk(k, childPrefix, i == kids.count - 1 ? "└─" : "├─")
            }
        }
        for r in roots { walk(r, "", "") }
        return table(out)
    }
}

struct NSShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show the namespaces of one process (default: cove itself), as in ls -l /proc/PID/ns."
    )

    @Argument(help: "Process ID.")
    var pid: Int32?

    @Flag(name: [.short, .customLong("json")], help: "Print JSON.")
    var json = false

    func run() throws {
        if let pid, pid <= 0 { throw CoveError("invalid PID: \(pid)") }
        let entries = try NamespaceList.show(pid: pid)
        if json {
            let items = entries.map { e in
                JSONOut.object(["type": .string(e.name), "inode": e.inode.map { .int($0) } ?? .null], order: ["type", "inode"])
            }
            print(JSONOut.object(["pid": .int(pid ?? getpid()), "namespaces": .array(items)], order: ["pid", "namespaces"]).rendered(pretty: true))
            return
        }
        var lines = [["TYPE", "INODE", "LINK"]]
        for e in entries {
            let inode = e.inode.map(String.init) ?? "?"
            lines.append([e.name, inode, "\(e.name.hasSuffix("_for_children") ? String(e.name.dropLast(13)) : e.name):[\(inode)]"])
        }
        print(Columns.render(lines, rightAligned: [], lastUnpadded: true), terminator: "")
    }
}
