import Foundation
import Testing

/// `cove enter` joins the namespaces of a running process started by `cove unshare`.
@Suite(.enabled(if: Host.isRoot, Host.rootReason))
struct EnterTests {
    func startTarget(_ args: [String]) throws -> (Spawned, Int32, String) {
        let t = try TargetProcess(unshare: args)
        return (t.process, t.pid, "")
    }

    func stop(_ p: Spawned, _ marker: String) {
        TargetProcess.stop(p)
    }

    @Test func joinsEveryNamespaceWithAll() throws {
        let (p, pid, marker) = try startTarget(["--uts", "--ipc", "--net", "--pid", "--fork", "--mount-proc", "--cgroup", "--hostname", "targethost"])
        defer { stop(p, marker) }
        try #require(pid > 0)
        let r = try Cove.run(["enter", "--target", String(pid), "--all", "sh", "-c", "hostname; echo $$; readlink /proc/self/ns/net"])
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let targetNet = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
        #expect(lines.count == 3)
        #expect(lines.first == "targethost")
        #expect((Int(lines.count > 1 ? lines[1] : "") ?? 0) > 1, "a new PID inside the target's PID namespace")
        #expect(lines.last == targetNet)
    }

    @Test func joinsOnlyTheNamedNamespace() throws {
        let (p, pid, marker) = try startTarget(["--uts", "--hostname", "onlyuts"])
        defer { stop(p, marker) }
        try #require(pid > 0)
        let r = try Cove.run(["enter", "-t", String(pid), "-u", "sh", "-c", "hostname; readlink /proc/self/ns/net"])
        let hostNet = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        #expect(r.stdout == "onlyuts\n\(hostNet)\n", "\(r)")
    }

    @Test func joinsUserNamespaceAsRoot() throws {
        let (p, pid, marker) = try startTarget(["--user", "--map-users", "0:200000:1000", "--map-groups", "0:200000:1000"])
        defer { stop(p, marker) }
        try #require(pid > 0)
        let r = try Cove.run(["enter", "-t", String(pid), "--user", "sh", "-c", "id -u; cat /proc/self/uid_map"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.split(separator: "\n").first == "0")
        let kept = try Cove.run(["enter", "-t", String(pid), "--user", "--preserve-credentials", "id", "-u"])
        #expect(kept.stdout == "65534\n", "root outside is unmapped inside: \(kept)")
    }

    @Test func exitStatusOfEnteredCommand() throws {
        let (p, pid, marker) = try startTarget(["--pid", "--fork"])
        defer { stop(p, marker) }
        try #require(pid > 0)
        #expect(try Cove.run(["enter", "-t", String(pid), "--pid", "sh", "-c", "exit 5"]).status == 5)
    }
}

@Suite(.enabled(if: Host.isRoot, Host.rootReason))
struct NSListTests {
    @Test func listsANewNamespaceWithItsProcess() throws {
        let target = try TargetProcess(unshare: ["--ipc"])
        defer { TargetProcess.stop(target.process) }
        let pid = target.pid
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/ipc")
        let inode = String(link.dropFirst("ipc:[".count).dropLast())
        let table = try Cove.run(["ns", "list", "--type", "ipc"])
        let row = table.stdout.split(separator: "\n").first { $0.hasPrefix(inode + " ") }
        let fields = row?.split(separator: " ", omittingEmptySubsequences: true).map(String.init) ?? []
        #expect(Array(fields.prefix(5)) == [inode, "ipc", "1", String(pid), "root"], "\(table.stdout)")

        let json = try Cove.run(["ns", "list", "--json"])
        let obj = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let list = obj?["namespaces"] as? [[String: Any]] ?? []
        let entry = list.first { ($0["ns"] as? Int).map(String.init) == inode }
        #expect(entry?["type"] as? String == "ipc")
        #expect(entry?["pid"] as? Int == Int(pid))
        #expect(entry?["command"] as? String == "sleep 30")

        let show = try Cove.run(["ns", "show", String(pid)])
        #expect(show.stdout.contains("ipc:[\(inode)]"), "\(show)")
    }

    @Test func treePutsNamespacesUnderTheirUserNamespace() throws {
        let dir = try TempDir("cove-nstree")
        let file = dir.file("net")
        let made = try Cove.run(["unshare", "--user", "--map-root-user", "--net=\(file)", "true"])
        #expect(made.status == 0, "\(made)")
        defer { umount2(file, Int32(MNT_DETACH)) }
        let tree = try Cove.run(["ns", "list", "--tree"])
        let lines = tree.stdout.split(separator: "\n").map(String.init)
        let netLine = try #require(lines.firstIndex { $0.hasSuffix(file) })
        #expect(lines[netLine].contains("─"), "persistent net ns is drawn under a user namespace:\n\(tree.stdout)")
        // The nearest less-indented line above it is its owner, a user namespace.
        let depth = lines[netLine].prefix { !$0.isNumber }.count
        let owner = lines[..<netLine].last { $0.prefix { !$0.isNumber }.count < depth }
        #expect(owner?.contains(" user ") == true, "owner line: \(owner ?? "none")")
        #expect(umount2(file, 0) == 0)
    }
}

/// A `cove unshare ARGS -- sh -c 'echo ready; exec sleep 30'` started for a test, and the PID of the
/// sleeping command: cove itself when it execs, its child with --fork.
struct TargetProcess {
    let process: Spawned
    let pid: Int32

    init(unshare args: [String]) throws {
        let p = try Spawned([Cove.binary, "unshare"] + args + ["--", "sh", "-c", "echo ready; exec sleep 30"])
        process = p
        _ = p.stdout.availableData
        let forks = args.contains { $0 == "--fork" || $0 == "-f" || $0.hasPrefix("--kill-child") }
        pid = forks ? (TargetProcess.children(of: p.pid).first ?? -1) : p.pid
        // Wait until the shell has exec'd sleep, so the namespaces are the final ones.
        for _ in 0..<200 {
            if (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) == "sleep\n" { break }
            usleep(10_000)
        }
    }

    static func children(of pid: Int32) -> [Int32] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { Int32($0) }
    }

    /// Kills the target (and, with --fork, cove's child) by PID and reaps cove.
    static func stop(_ p: Spawned) {
        for child in children(of: p.pid) { kill(child, SIGKILL) }
        kill(p.pid, SIGKILL)
        _ = p.wait()
    }
}
