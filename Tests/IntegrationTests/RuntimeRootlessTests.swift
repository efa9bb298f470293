import Foundation
import Testing

/// A bundle the unprivileged test user owns (its busybox rootfs and config.json from `cove spec --rootless`
/// run as that user), an $XDG_RUNTIME_DIR of its own, and `cove` run as that user through setpriv.
final class RootlessBundle {
    let tmp: TempDir
    let bundle: String
    let rootfs: String
    let xdg: String
    /// Where the user's `cove` writes the container's stdio.
    let io: String
    let marker = UniqueName.make("rl")
    let uid: UInt32
    let gid: UInt32
    var config: [String: Any] = [:]
    private var ids: [String] = []

    static var available: Bool { RuntimeBundle.available && Host.hasTestUser }

    init() throws {
        tmp = try TempDir("cove-rootless")
        chmod(tmp.path, 0o755)
        bundle = tmp.file("bundle")
        rootfs = bundle + "/rootfs"
        xdg = tmp.file("xdg")
        io = tmp.file("io")
        let pw = getpwnam(Host.testUser)!.pointee
        uid = pw.pw_uid
        gid = pw.pw_gid
        try FileManager.default.createDirectory(atPath: rootfs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: xdg, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: io, withIntermediateDirectories: true)
        chmod(xdg, 0o700)
        try BusyboxRootfs.make(at: rootfs)
        let own = try Shell.run(["chown", "-R", "\(uid):\(gid)", bundle, xdg, io])
        guard own.status == 0 else { throw TestFailure("chown: \(own)") }
        let spec = try cove(["spec", "--rootless", "--bundle", bundle])
        guard spec.status == 0 else { throw TestFailure("cove spec --rootless as \(Host.testUser): \(spec)") }
        config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: bundle + "/config.json"))) as! [String: Any]
        var process = config["process"] as! [String: Any]
        process["terminal"] = false
        config["process"] = process
    }

    deinit {
        for id in ids { _ = try? cove(["delete", "--force", id]) }
    }

    /// `cove ARGS` as the test user, with XDG_RUNTIME_DIR set to its own directory (setpriv resets the rest).
    @discardableResult
    func cove(_ args: [String], timeout: TimeInterval = 60) throws -> RunResult {
        try Shell.run(["/usr/bin/env", "XDG_RUNTIME_DIR=\(xdg)", Cove.publicBinary] + args, user: Host.testUser, timeout: timeout)
    }

    /// `cove ARGS` as the test user with stdio on files (a created container keeps its stdio open).
    func coveToFiles(_ args: [String]) throws -> RunResult {
        let out = io + "/out", err = io + "/err"
        let r = try Shell.run(["/bin/sh", "-c", "exec \"$0\" \"$@\" >>\(out) 2>>\(err) </dev/null", "/usr/bin/env", "XDG_RUNTIME_DIR=\(xdg)", Cove.publicBinary] + args,
                              user: Host.testUser)
        return RunResult(status: r.status, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    func script(_ text: String) {
        var process = config["process"] as! [String: Any]
        process["args"] = ["sh", "-c", text, marker]
        config["process"] = process
    }

    func writeConfig() throws {
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: bundle + "/config.json"))
    }

    func newID() -> String {
        let id = UniqueName.make("rl")
        ids.append(id)
        return id
    }

    /// Directories named `id` anywhere in the cgroup tree (a container cgroup left behind).
    static func cgroupDirs(named id: String) -> [String] {
        let r = try? Shell.run(["find", "/sys/fs/cgroup", "-maxdepth", "5", "-type", "d", "-name", id])
        return (r?.stdout ?? "").split(separator: "\n").map(String.init)
    }

    func assertClean(_ stateRoot: String, sourceLocation: SourceLocation = #_sourceLocation) {
        assertNoContainerLeftovers(stateRoot: stateRoot, bundle: bundle, marker: marker, sourceLocation: sourceLocation)
        for id in ids { #expect(Self.cgroupDirs(named: id).isEmpty, "cgroup left: \(Self.cgroupDirs(named: id))", sourceLocation: sourceLocation) }
    }
}

extension RunResult {
    /// stderr without the rootless cgroup warnings (cgroups skipped unless delegated).
    var stderrBeyondRootlessWarnings: [Substring] {
        stderr.split(separator: "\n").filter { !$0.hasPrefix("cove: warning: rootless") }
    }
}

@Suite("Runtime rootless", .serialized, .enabled(if: RootlessBundle.available, "needs root (to make the unprivileged user's bundle), /bin/busybox and the covetest user"))
struct RuntimeRootlessTests {
    @Test("as an unprivileged user: spec --rootless, then run: root inside mapped to the user, own network namespace with only lo, state under $XDG_RUNTIME_DIR/cove")
    func runAsUser() throws {
        let b = try RootlessBundle()
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: b.bundle + "/config.json"))) as! [String: Any]
        let linux = config["linux"] as! [String: Any]
        let namespaces = (linux["namespaces"] as! [[String: Any]]).compactMap { $0["type"] as? String }
        #expect(Set(namespaces).isSuperset(of: ["user", "network", "mount", "pid"]), "\(namespaces)")
        #expect((linux["uidMappings"] as? [[String: Any]])?.first?["hostID"] as? Int == Int(b.uid), "\(linux)")
        b.script("id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; ip -o link; grep -E '^(CapBnd|NoNewPrivs):' /proc/self/status; hostname; echo ok")
        try b.writeConfig()
        let id = b.newID()
        let r = try b.cove(["run", "--bundle", b.bundle, id])
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines.count >= 4 && lines[0] == "0" && lines[1] == "0", "\(r)")
        #expect(lines.contains("0 \(b.uid) 1") && lines.contains("0 \(b.gid) 1"), "\(r)")
        let links = lines.filter { $0.range(of: #"^\d+: "#, options: .regularExpression) != nil }
        #expect(links.count == 1 && links[0].contains("lo:") && links[0].contains("UP"), "only lo, up: \(r)")
        // runc's default capabilities (AUDIT_WRITE, KILL, NET_BIND_SERVICE) and no_new_privs.
        #expect(lines.contains("CapBnd:\t0000000020000420") && lines.contains("NoNewPrivs:\t1"), "\(r)")
        #expect(lines.contains("cove") && lines.last == "ok", "\(r)")
        // Cgroups are skipped with a warning unless delegated; nothing else is said.
        #expect(r.stderrBeyondRootlessWarnings.isEmpty, "\(r)")
        #expect(FileManager.default.fileExists(atPath: b.xdg + "/cove"), "state root under XDG_RUNTIME_DIR")
        b.assertClean(b.xdg + "/cove")
    }

    @Test("as an unprivileged user: create, state, list, start, kill, delete; the state belongs to the user")
    func lifecycleAsUser() throws {
        let b = try RootlessBundle()
        b.script("echo started; exec sleep 1000")
        try b.writeConfig()
        let id = b.newID()
        let c = try b.coveToFiles(["create", "--bundle", b.bundle, id])
        #expect(c.status == 0, "\(c)")
        let stateDir = b.xdg + "/cove/" + id
        let attrs = try FileManager.default.attributesOfItem(atPath: stateDir)
        #expect((attrs[.ownerAccountID] as? NSNumber)?.uint32Value == b.uid, "\(attrs)")
        let s = try b.cove(["state", id])
        let state = try JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(state["status"] as? String == "created" && (state["pid"] as? Int ?? 0) > 0, "\(s)")
        let pid = state["pid"] as? Int ?? 0
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        #expect(status.contains("Uid:\t\(b.uid)\t"), "the init runs as the user on the host: \(status)")
        #expect(try b.cove(["list", "-q"]).stdout.contains(id))
        #expect(try b.cove(["start", id]).status == 0)
        try eventually { ((try? String(contentsOfFile: b.io + "/out", encoding: .utf8)) ?? "").contains("started") }
        #expect(try b.cove(["kill", id, "KILL"]).status == 0)
        try eventually { (try? b.cove(["state", id]).stdout.contains("stopped")) == true }
        let d = try b.cove(["delete", id])
        #expect(d.status == 0, "\(d)")
        b.assertClean(b.xdg + "/cove")
    }

    func eventually(_ cond: () throws -> Bool) throws {
        for _ in 0..<200 {
            if try cond() { return }
            usleep(50_000)
        }
        throw TestFailure("timed out")
    }

    @Test("/etc/subuid ranges through newuidmap/newgidmap: a non-root container user maps into the user's subordinate ids",
          .enabled(if: RootlessBundle.hasSubordinateIDs, "needs a covetest range in /etc/subuid and /etc/subgid"))
    func subordinateIDs() throws {
        let b = try RootlessBundle()
        let (start, count) = RootlessBundle.subordinate("/etc/subuid")!
        let (gstart, gcount) = RootlessBundle.subordinate("/etc/subgid")!
        let size = min(count, 65536), gsize = min(gcount, 65536)
        var linux = b.config["linux"] as! [String: Any]
        linux["uidMappings"] = [["containerID": 0, "hostID": Int(b.uid), "size": 1], ["containerID": 1, "hostID": Int(start), "size": Int(size)]]
        linux["gidMappings"] = [["containerID": 0, "hostID": Int(b.gid), "size": 1], ["containerID": 1, "hostID": Int(gstart), "size": Int(gsize)]]
        b.config["linux"] = linux
        var root = b.config["root"] as! [String: Any]
        root["readonly"] = false
        b.config["root"] = root
        var process = b.config["process"] as! [String: Any]
        process["user"] = ["uid": 1000, "gid": 1000, "additionalGids": [5]]
        b.config["process"] = process
        b.script("id; cat /proc/self/uid_map; touch /tmp/made-by-1000")
        try b.writeConfig()
        let stateRoot = b.io + "/state"
        let r = try b.cove(["--root", stateRoot, "run", "--bundle", b.bundle, b.newID()])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("uid=1000 gid=1000 groups=5"), "\(r)")
        let maps = r.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(maps.contains("0 \(b.uid) 1") && maps.contains("1 \(start) \(size)"), "\(r)")
        let attrs = try FileManager.default.attributesOfItem(atPath: b.rootfs + "/tmp/made-by-1000")
        #expect((attrs[.ownerAccountID] as? NSNumber)?.uint32Value == start + 999, "\(attrs)")
        #expect((attrs[.groupOwnerAccountID] as? NSNumber)?.uint32Value == gstart + 999, "\(attrs)")
        b.assertClean(stateRoot)
    }

    @Test("a mapping outside the user's /etc/subuid range: one line from newuidmap, nothing left")
    func mappingNotAllowed() throws {
        let b = try RootlessBundle()
        var linux = b.config["linux"] as! [String: Any]
        linux["uidMappings"] = [["containerID": 0, "hostID": Int(b.uid), "size": 1], ["containerID": 1, "hostID": 3_900_000_000, "size": 1000]]
        b.config["linux"] = linux
        b.script("true")
        try b.writeConfig()
        let stateRoot = b.io + "/state"
        let r = try b.cove(["--root", stateRoot, "run", "--bundle", b.bundle, b.newID()])
        #expect(r.status == 1, "\(r)")
        let errors = r.stderrBeyondRootlessWarnings
        #expect(errors.count == 1 && errors[0].contains("linux.uidMappings: newuidmap") && errors[0].contains("not allowed"), "\(r)")
        b.assertClean(stateRoot)
    }

    @Test("additionalGids with a single-id mapping (setgroups denied): one clear line, nothing left")
    func groupsWithoutSubordinateIDs() throws {
        let b = try RootlessBundle()
        var process = b.config["process"] as! [String: Any]
        process["user"] = ["uid": 0, "gid": 0, "additionalGids": [5]]
        b.config["process"] = process
        b.script("true")
        try b.writeConfig()
        let stateRoot = b.io + "/state"
        let r = try b.cove(["--root", stateRoot, "run", "--bundle", b.bundle, b.newID()])
        #expect(r.status == 1, "\(r)")
        let errors = r.stderrBeyondRootlessWarnings
        #expect(errors.count == 1 && errors[0].contains("process.user.additionalGids: setgroups is denied"), "\(r)")
        b.assertClean(stateRoot)
    }
}

extension RootlessBundle {
    /// The test user's range in /etc/subuid or /etc/subgid.
    static func subordinate(_ file: String) -> (UInt32, UInt32)? {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":")
            if f.count == 3, f[0] == Host.testUser, let s = UInt32(f[1]), let c = UInt32(f[2]), c > 0 { return (s, c) }
        }
        return nil
    }

    /// Ranges in both files and the helpers installed (Debian's uidmap package).
    static var hasSubordinateIDs: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/newuidmap") && FileManager.default.isExecutableFile(atPath: "/usr/bin/newgidmap")
            && subordinate("/etc/subuid") != nil && subordinate("/etc/subgid") != nil
    }
}
