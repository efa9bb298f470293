import Foundation
import Testing

@Suite("Runtime bad input", .serialized, .enabled(if: RuntimeBundle.available, "needs root and /bin/busybox"))
struct RuntimeBadInputTests {
    /// Fails `create` and checks: non-zero, one line naming `want`, nothing left.
    func expectCreateFails(_ b: RuntimeBundle, _ want: String, id: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try b.cove(["create", "--bundle", b.bundle, id ?? b.newID()])
        #expect(r.status == 1, "\(r)", sourceLocation: sourceLocation)
        #expect(r.errorLine.contains(want), "\(r)", sourceLocation: sourceLocation)
        #expect(r.errorLine.split(separator: "\n").count == 1, "\(r)", sourceLocation: sourceLocation)
        b.assertClean(sourceLocation: sourceLocation)
    }

    @Test("invalid JSON, schema violations and unknown namespace types are refused naming the field")
    func badConfigs() throws {
        let b = try RuntimeBundle()
        b.script("true")
        try "{]".write(toFile: b.bundle + "/config.json", atomically: true, encoding: .utf8)
        try expectCreateFails(b, "config.json: invalid JSON")
        b.namespaces(["mount", "bogus"])
        try b.writeConfig()
        try expectCreateFails(b, "config.json: linux.namespaces[1].type: invalid value 'bogus'")
        b.namespaces(["mount"])
        b.process["cwd"] = "relative"
        try b.writeConfig()
        try expectCreateFails(b, "process.cwd: must be an absolute path")
        b.process["cwd"] = "/"
        b.config["ociVersion"] = "2.0.0"
        try b.writeConfig()
        try expectCreateFails(b, "ociVersion: 2.0.0 is not supported")
    }

    @Test("a missing rootfs, a bad id, a duplicate id are refused; the existing container is untouched")
    func badIDsAndRootfs() throws {
        let b = try RuntimeBundle()
        b.script("exec sleep 1000")
        b.config["root"] = ["path": "nonexistent"]
        try b.writeConfig()
        try expectCreateFails(b, "root.path: \(b.bundle)/nonexistent is not a directory")
        b.config["root"] = ["path": "rootfs"]
        try b.writeConfig()
        try expectCreateFails(b, "invalid container id 'a/b'", id: "a/b")
        try expectCreateFails(b, "invalid container id '..'", id: "..")
        let id = b.newID()
        #expect(try b.coveToFiles(["create", "-b", b.bundle, id]).status == 0)
        let dup = try b.cove(["create", "-b", b.bundle, id])
        #expect(dup.status == 1 && dup.errorLine == "cove: container '\(id)' already exists", "\(dup)")
        #expect(try b.state(id)["status"] as? String == "created")
        // A UUID is a fine id, as with runc.
        let uuid = UUID().uuidString.lowercased()
        let u = try b.coveToFiles(["create", "-b", b.bundle, uuid])
        #expect(u.status == 0, "\(u)")
        #expect(try b.cove(["delete", uuid]).status == 0)
        #expect(try b.cove(["delete", id]).status == 0)
        b.assertClean()
    }

    @Test("operations in the wrong state name the state")
    func wrongState() throws {
        let b = try RuntimeBundle()
        b.script("true")
        try b.writeConfig()
        let missing = try b.cove(["start", "nope"])
        #expect(missing.status == 1 && missing.errorLine == "cove: container 'nope' does not exist")
        let id = b.newID()
        #expect(try b.coveToFiles(["run", "-d", "-b", b.bundle, id]).status == 0)
        try b.eventually("stopped") { try b.state(id)["status"] as? String == "stopped" }
        let start = try b.cove(["start", id])
        #expect(start.status == 1 && start.errorLine.contains("it is stopped, not created"), "\(start)")
        let kill = try b.cove(["kill", id, "KILL"])
        #expect(kill.status == 1 && kill.errorLine.contains("it is stopped"), "\(kill)")
        #expect(try b.cove(["delete", id]).status == 0)
        b.assertClean()
    }

    @Test("a failing step of create says which one and removes everything made so far")
    func failingStepsCleanUp() throws {
        let b = try RuntimeBundle()
        b.script("exec sleep 1000")
        b.mounts = b.mounts + [["destination": "/data", "type": "bind", "source": b.tmp.file("does-not-exist"), "options": ["bind"]]]
        try b.writeConfig()
        try expectCreateFails(b, "mounts[\(b.mounts.count - 1)] (/data): stat \(b.tmp.file("does-not-exist")): No such file or directory")
        b.mounts = Array(b.mounts.dropLast())
        b.process["args"] = ["no-such-program", b.marker]
        try b.writeConfig()
        try expectCreateFails(b, "process.args[0]: executable 'no-such-program' not found in the container's PATH")
        b.script("exec sleep 1000")
        b.config["hooks"] = ["createRuntime": [["path": "/bin/sleep", "args": ["sleep", "10"], "timeout": 1]]]
        try b.writeConfig()
        try expectCreateFails(b, "hook createRuntime[0] /bin/sleep: timed out after 1s")
        b.config["hooks"] = ["prestart": [["path": "/bin/sh", "args": ["sh", "-c", "exit 4"]]]]
        try b.writeConfig()
        try expectCreateFails(b, "hook prestart[0] /bin/sh: exited with status 4")
    }

    @Test("unknown config fields are reported, not silently dropped")
    func unknownFieldsWarned() throws {
        let b = try RuntimeBundle()
        b.script("echo ok")
        b.config["fancyExtension"] = ["a": 1]
        let r = try b.run()
        #expect(r.status == 0 && r.stdout == "ok\n", "\(r)")
        #expect(r.stderr.contains("warning: \(b.bundle)/config.json: unknown field fancyExtension is ignored"), "\(r)")
        b.assertClean()
    }

    @Test("fields the host cannot honour are refused by name", arguments: [
        ("process", "apparmorProfile", "process.apparmorProfile"),
        ("process", "selinuxLabel", "process.selinuxLabel"),
        ("linux", "mountLabel", "linux.mountLabel"),
    ])
    func unsupportedFields(_ section: String, _ key: String, _ want: String) throws {
        let b = try RuntimeBundle()
        b.script("true")
        if section == "process" { b.process[key] = "x" } else { b.linux[key] = "x" }
        try b.writeConfig()
        try expectCreateFails(b, want)
        b.linux.removeValue(forKey: "mountLabel")
        b.process.removeValue(forKey: key)
        b.linux["intelRdt"] = ["closID": "x"]
        try b.writeConfig()
        try expectCreateFails(b, "linux.intelRdt")
        b.linux.removeValue(forKey: "intelRdt")
        b.linux["seccomp"] = ["defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]]
        try b.writeConfig()
        try expectCreateFails(b, "linux.seccomp.flags[0]: flag 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV' is not supported")
        b.linux.removeValue(forKey: "seccomp")
        b.process["terminal"] = true
        try b.writeConfig()
        try expectCreateFails(b, "process.terminal")
    }
}
