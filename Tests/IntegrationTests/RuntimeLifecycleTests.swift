import Foundation
import Testing

@Suite("Runtime lifecycle", .serialized, .enabled(if: RuntimeBundle.available, "needs root and /bin/busybox"))
struct RuntimeLifecycleTests {
    @Test("run passes the container's stdout, stderr and exit status through, and leaves nothing")
    func runPassesThrough() throws {
        let b = try RuntimeBundle()
        b.script("echo out; echo err >&2; exit 7")
        let r = try b.run()
        #expect(r.status == 7, "\(r)")
        #expect(r.stdout == "out\n")
        #expect(r.stderr.hasSuffix("err\n"))
        b.assertClean()
    }

    @Test("run reports death by signal as 128+N")
    func runSignalStatus() throws {
        let b = try RuntimeBundle()
        b.namespaces(["mount", "ipc", "uts"]) // no PID namespace: the init is not protected from SIGKILL
        b.script("kill -9 $$")
        let r = try b.run()
        #expect(r.status == 137, "\(r)")
        b.assertClean()
    }

    @Test("create → created, start → running, kill → stopped, delete → gone; state JSON as runc's")
    func createStartKillDelete() throws {
        let b = try RuntimeBundle()
        b.script("echo started; exec sleep 1000")
        try b.writeConfig()
        let id = b.newID()
        let pidFile = b.tmp.file("pid")
        let c = try b.coveToFiles(["create", "--bundle", b.bundle, "--pid-file", pidFile, id])
        #expect(c.status == 0, "\(c)")
        var s = try b.state(id)
        #expect(s["status"] as? String == "created")
        let pid = s["pid"] as? Int ?? 0
        #expect(pid > 0)
        #expect(try String(contentsOfFile: pidFile, encoding: .utf8) == String(pid))
        #expect(Set(s.keys) == ["ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"])
        #expect(s["bundle"] as? String == b.bundle)
        #expect(s["rootfs"] as? String == b.rootfs)
        #expect(s["owner"] as? String == "root")
        #expect(b.output().isEmpty, "the process must not run before start")
        let again = try b.coveToFiles(["start", id])
        #expect(again.status == 0, "\(again)")
        try b.eventually("started output") { b.output() == "started\n" }
        s = try b.state(id)
        #expect(s["status"] as? String == "running")
        let twice = try b.cove(["start", id])
        #expect(twice.status != 0 && twice.errorLine.contains("running"), "\(twice)")
        let del = try b.cove(["delete", id])
        #expect(del.status != 0 && del.errorLine.contains("running"), "\(del)")
        #expect(try b.cove(["kill", id, "KILL"]).status == 0)
        try b.eventually("stopped") { try b.state(id)["status"] as? String == "stopped" }
        #expect(try b.state(id)["pid"] as? Int == 0)
        #expect(try b.cove(["delete", id]).status == 0)
        let gone = try b.cove(["state", id])
        #expect(gone.status != 0 && gone.errorLine.contains("does not exist"))
        b.assertClean()
    }

    @Test("delete of a created container kills its waiting init; delete --force stops a running one")
    func deleteCreatedAndForce() throws {
        let b = try RuntimeBundle()
        b.script("exec sleep 1000")
        try b.writeConfig()
        let a = b.newID(), c = b.newID()
        #expect(try b.coveToFiles(["create", "-b", b.bundle, a]).status == 0)
        #expect(try b.cove(["delete", a]).status == 0)
        #expect(try b.coveToFiles(["run", "-d", "--bundle", b.bundle, c]).status == 0)
        #expect(try b.state(c)["status"] as? String == "running")
        let r = try b.cove(["delete", "--force", c])
        #expect(r.status == 0, "\(r)")
        b.assertClean()
    }

    @Test("kill accepts KILL, SIGKILL and 9, defaults to SIGTERM, and rejects unknown signals")
    func killSignals() throws {
        let b = try RuntimeBundle()
        b.script("trap 'echo TERM; exit 3' TERM; while true; do sleep 0.05; done")
        try b.writeConfig()
        let id = b.newID()
        #expect(try b.coveToFiles(["run", "-d", "-b", b.bundle, id]).status == 0)
        let bad = try b.cove(["kill", id, "NOPE"])
        #expect(bad.status != 0 && bad.errorLine == "cove: unknown signal 'NOPE'", "\(bad)")
        #expect(try b.cove(["kill", id]).status == 0)
        try b.eventually("TERM handled") { b.output().contains("TERM") }
        try b.eventually("stopped") { try b.state(id)["status"] as? String == "stopped" }
        for sig in ["KILL", "SIGKILL", "9"] {
            let id2 = b.newID()
            b.script("exec sleep 1000")
            try b.writeConfig()
            #expect(try b.coveToFiles(["run", "-d", "-b", b.bundle, id2]).status == 0)
            #expect(try b.cove(["kill", id2, sig]).status == 0)
            try b.eventually("stopped after \(sig)") { try b.state(id2)["status"] as? String == "stopped" }
            #expect(try b.cove(["delete", id2]).status == 0)
        }
        #expect(try b.cove(["delete", id]).status == 0)
        b.assertClean()
    }

    @Test("run forwards signals to the container and passes its exit code on")
    func runForwardsSignals() throws {
        let b = try RuntimeBundle()
        b.script("trap 'echo got TERM; exit 3' TERM; echo ready; while true; do sleep 0.05; done")
        try b.writeConfig()
        let id = b.newID()
        let p = try Spawned([Cove.binary, "--root", b.stateRoot, "run", "-b", b.bundle, id])
        try b.eventually("running") { (try? b.state(id)["status"] as? String) == "running" }
        usleep(200_000)
        kill(p.pid, SIGTERM)
        let status = p.wait()
        let text = String(decoding: p.stdout.readDataToEndOfFile(), as: UTF8.self)
        #expect(status == 3, "\(text)")
        #expect(text.contains("got TERM"))
        b.assertClean()
    }

    @Test("global options work before the subcommand; list prints table, json and ids")
    func globalsAndList() throws {
        let b = try RuntimeBundle()
        b.script("exec sleep 1000")
        b.config["annotations"] = ["org.example.key": "value"]
        try b.writeConfig()
        let id = b.newID()
        let log = b.tmp.file("log.json")
        #expect(try b.coveToFiles(["create", "-b", b.bundle, id]).status == 0)
        let table = try b.cove(["list"])
        #expect(table.stdout.hasPrefix("ID "), "\(table)")
        #expect(table.stdout.contains(id) && table.stdout.contains("created"))
        let json = try b.cove(["list", "--format", "json"])
        let arr = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [[String: Any]]
        #expect(arr.count == 1 && arr[0]["id"] as? String == id)
        #expect((arr[0]["annotations"] as? [String: String]) == ["org.example.key": "value"])
        #expect(try b.cove(["list", "-q"]).stdout == id + "\n")
        #expect((try b.state(id)["annotations"] as? [String: String]) == ["org.example.key": "value"])
        let missing = try Cove.run(["--root", b.stateRoot, "--log", log, "--log-format", "json", "state", "nope"])
        #expect(missing.status == 1 && missing.stderr == "cove: container 'nope' does not exist\n", "\(missing)")
        let logged = try String(contentsOfFile: log, encoding: .utf8)
        let entry = try JSONSerialization.jsonObject(with: Data(logged.utf8)) as! [String: String]
        #expect(entry["level"] == "error" && entry["msg"] == "container 'nope' does not exist")
        let systemd = try Cove.run(["--root", b.stateRoot, "--systemd-cgroup", "list"])
        #expect(systemd.status != 0 && systemd.stderr.contains("--systemd-cgroup"))
        #expect(try b.cove(["delete", id]).status == 0)
        #expect(try b.cove(["list", "--format", "json"]).stdout == "[]\n")
        b.assertClean()
    }

    @Test("features reports only what Cove supports; spec writes runc's default config")
    func featuresAndSpec() throws {
        let r = try Cove.run(["features"])
        let f = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(f["ociVersionMin"] as? String == "1.0.0")
        #expect(f["ociVersionMax"] as? String == "1.3.0")
        #expect((f["hooks"] as? [String])?.count == 6)
        #expect((f["mountOptions"] as? [String])?.contains("rbind") == true)
        let linux = f["linux"] as! [String: Any]
        #expect(linux["seccomp"] is [String: Any])
        #expect(((linux["apparmor"] as? [String: Any])?["enabled"] as? Bool) == false)
        let tmp = try TempDir("cove-spec")
        #expect(try Cove.run(["spec", "--bundle", tmp.path]).status == 0)
        let spec = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp.file("config.json")))) as! [String: Any]
        let process = spec["process"] as! [String: Any]
        #expect(process["args"] as? [String] == ["sh"])
        #expect(process["terminal"] as? Bool == true)
        #expect(((spec["linux"] as! [String: Any])["maskedPaths"] as? [String])?.contains("/proc/kcore") == true)
        let again = try Cove.run(["spec", "--bundle", tmp.path])
        #expect(again.status != 0 && again.stderr.contains("exists"))
        let rootless = try TempDir("cove-spec")
        #expect(try Cove.run(["spec", "--rootless", "-b", rootless.path]).status == 0)
        let rl = try String(contentsOfFile: rootless.file("config.json"), encoding: .utf8)
        #expect(rl.contains("uidMappings") && rl.contains("\"user\""))
    }
}

@Suite("Runtime lifecycle details", .serialized, .enabled(if: RuntimeBundle.available, "needs root and /bin/busybox"))
struct RuntimeLifecycleDetailTests {
    @Test("state reads creating while createRuntime hooks run; run --keep leaves a stopped container")
    func creatingAndKeep() throws {
        let b = try RuntimeBundle()
        let seen = b.tmp.file("seen.json")
        let id = b.newID()
        b.config["hooks"] = ["createRuntime": [["path": "/bin/sh", "args": ["sh", "-c", "\"$0\" --root \(b.stateRoot) state \(id) > \(seen)", Cove.binary]]]]
        b.script("exit 5")
        try b.writeConfig()
        let r = try b.cove(["run", "--keep", "-b", b.bundle, id])
        #expect(r.status == 5, "\(r)")
        let during = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: seen))) as! [String: Any]
        #expect(during["status"] as? String == "creating" && (during["pid"] as? Int ?? 0) > 0, "\(during)")
        #expect(try b.state(id)["status"] as? String == "stopped")
        #expect(try b.cove(["delete", id]).status == 0)
        b.assertClean()
    }

    @Test("kill --all signals every process of the container")
    func killAll() throws {
        let b = try RuntimeBundle()
        b.script("trap '' TERM; sleep 1000 & sleep 1000 & wait")
        try b.writeConfig()
        let id = b.newID()
        #expect(try b.coveToFiles(["run", "-d", "-b", b.bundle, id]).status == 0)
        try b.eventually("children started") { Leftovers.processes(containing: "sleep 1000").count >= 2 }
        let pid = try b.state(id)["pid"] as! Int
        let ns = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/pid")
        func inContainer() -> [Int32] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }.filter {
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\($0)/ns/pid")) == ns && $0 != Int32(pid)
            }
        }
        #expect(inContainer().count == 2)
        #expect(try b.cove(["kill", "--all", id, "KILL"]).status == 0)
        try b.eventually("all gone") { inContainer().isEmpty }
        try b.eventually("stopped") { try b.state(id)["status"] as? String == "stopped" }
        #expect(try b.cove(["delete", id]).status == 0)
        b.assertClean()
    }

    @Test("--console-socket without a terminal and --keep with --detach are refused")
    func flagConflicts() throws {
        let b = try RuntimeBundle()
        b.script("true")
        try b.writeConfig()
        let c = try b.cove(["create", "--console-socket", b.tmp.file("sock"), "-b", b.bundle, b.newID()])
        #expect(c.status == 1 && c.errorLine.contains("--console-socket"), "\(c)")
        let k = try b.cove(["run", "-d", "--keep", "-b", b.bundle, b.newID()])
        #expect(k.status == 1 && k.errorLine.contains("--keep"), "\(k)")
        b.assertClean()
    }
}

@Suite("Runtime concurrency", .serialized, .enabled(if: RuntimeBundle.available, "needs root and /bin/busybox"))
struct RuntimeConcurrencyTests {
    @Test("concurrent commands on one id are serialised: one start wins, the others see it running")
    func concurrentStarts() throws {
        let b = try RuntimeBundle()
        b.script("echo once; exec sleep 1000")
        try b.writeConfig()
        let id = b.newID()
        #expect(try b.coveToFiles(["create", "-b", b.bundle, id]).status == 0)
        let procs = try (0..<6).map { _ in try Spawned([Cove.binary, "--root", b.stateRoot, "start", id]) }
        #expect(procs.map { $0.wait() }.filter { $0 == 0 }.count == 1)
        try b.eventually("output") { b.output() == "once\n" }
        #expect(try b.state(id)["status"] as? String == "running")
        // Concurrent creates of one id: exactly one wins.
        let other = b.newID()
        let creates = try (0..<4).map { _ in
            try Spawned(["/bin/sh", "-c", "exec \"$0\" --root \(b.stateRoot) create -b \(b.bundle) \(other) >/dev/null 2>&1 </dev/null", Cove.binary])
        }
        #expect(creates.map { $0.wait() }.filter { $0 == 0 }.count == 1)
        #expect(try b.state(other)["status"] as? String == "created")
        #expect(try b.cove(["delete", "-f", id]).status == 0)
        #expect(try b.cove(["delete", other]).status == 0)
        b.assertClean()
    }

    @Test("16 containers run at once under the default cgroup parent all succeed and leave nothing")
    func parallelRuns() throws {
        let b = try RuntimeBundle()
        b.script("exit 0")
        try b.writeConfig()
        let ids = (0..<16).map { _ in b.newID("par") }
        // One shell starts them all at once; each prints its id and exit status.
        let script = ids.map { "( \"$0\" --root \(b.stateRoot) run --bundle \(b.bundle) \($0) </dev/null >/dev/null 2>\(b.bundle)/\($0).err; echo \($0) $? ) &" }
            .joined(separator: "\n") + "\nwait"
        let r = try Shell.run(["/bin/sh", "-c", script, Cove.binary], timeout: 120)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == ids.count, "\(r)")
        for line in lines where !line.hasSuffix(" 0") {
            let id = String(line.split(separator: " ")[0])
            Issue.record("\(line): \((try? String(contentsOfFile: "\(b.bundle)/\(id).err", encoding: .utf8)) ?? "")")
        }
        b.assertCleanCgroups(ids.map { RuntimeBundle.cgroup($0) })
    }
}
