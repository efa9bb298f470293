import Foundation
import Testing

/// runc's cgroup commands on real containers (issue 5): pause/resume, update, ps, events --stats, kill --all,
/// delete of what is left in the cgroup.
@Suite("RuntimeCgroup commands", .serialized, .enabled(if: RuntimeCgroupHost.available, RuntimeCgroupHost.reason))
struct RuntimeCgroupCommandTests {
    /// Lines the counter loop has printed so far.
    func count(_ b: RuntimeBundle) -> Int { b.output().split(separator: "\n").count }

    @Test("pause freezes the container (a counter stops), state shows paused, resume continues; status guards as runc")
    func pauseResume() throws {
        let b = try RuntimeBundle("cgfrz")
        b.script("i=0; while true; do i=$((i+1)); echo $i; sleep 0.05; done")
        let id = try b.runDetached("frz")
        let path = RuntimeBundle.cgroup(id)
        try b.eventually("counting") { count(b) > 3 }
        let early = try b.cove(["resume", id])
        #expect(early.status == 1 && early.errorLine == "cove: cannot resume container '\(id)': it is running, not paused", "\(early)")
        #expect(try b.cove(["pause", id]).status == 0)
        #expect(try b.state(id)["status"] as? String == "paused")
        #expect(HostCgroups.read("freezer", path, "freezer.state") == "FROZEN")
        let frozenAt = count(b)
        usleep(600_000)
        #expect(count(b) == frozenAt, "the counter went on while paused")
        let twice = try b.cove(["pause", id])
        #expect(twice.status == 1 && twice.errorLine == "cove: cannot pause container '\(id)': it is paused, not running", "\(twice)")
        let del = try b.cove(["delete", id])
        #expect(del.status == 1 && del.errorLine.contains("it is paused (use --force)"), "\(del)")
        #expect(try b.cove(["list", "--format", "json"]).stdout.contains("\"status\":\"paused\""))
        #expect(try b.cove(["resume", id]).status == 0)
        #expect(try b.state(id)["status"] as? String == "running")
        try b.eventually("counting again") { count(b) > frozenAt + 3 }
        // delete --force of a paused container kills it (frozen tasks die once thawed) and removes the cgroup.
        #expect(try b.cove(["pause", id]).status == 0)
        let force = try b.cove(["delete", "--force", id])
        #expect(force.status == 0, "\(force)")
        b.assertCleanCgroups([path])
    }

    @Test("pause of a created container is refused; kill KILL of a paused one stops it")
    func pauseGuardsAndKill() throws {
        let b = try RuntimeBundle("cgfrz2")
        b.script("exec sleep 1000")
        try b.writeConfig()
        let id = b.newID("frz")
        #expect(try b.coveToFiles(["create", "-b", b.bundle, id]).status == 0)
        let c = try b.cove(["pause", id])
        #expect(c.status == 1 && c.errorLine == "cove: cannot pause container '\(id)': it is created, not running", "\(c)")
        #expect(try b.cove(["start", id]).status == 0)
        #expect(try b.cove(["pause", id]).status == 0)
        #expect(try b.cove(["kill", id, "KILL"]).status == 0)
        try b.eventually("stopped") { try b.state(id)["status"] as? String == "stopped" }
        #expect(try b.cove(["delete", id]).status == 0)
        b.assertCleanCgroups([RuntimeBundle.cgroup(id)])
    }

    @Test("update changes live limits from flags and from --resources on stdin; bad input changes nothing")
    func updateLiveLimits() throws {
        let b = try RuntimeBundle("cgupd")
        b.resources(["memory": ["limit": 64 << 20, "swap": 64 << 20], "pids": ["limit": 100]])
        b.script("exec sleep 1000")
        let id = try b.runDetached("upd")
        let path = RuntimeBundle.cgroup(id)
        #expect(HostCgroups.read("pids", path, "pids.max") == "100")
        let u = try b.cove(["update", "--pids-limit", "20", "--memory", "32m", "--memory-swap", "32m", "--cpu-quota", "50000", "--cpu-period", "100000", id])
        #expect(u.status == 0, "\(u)")
        #expect(HostCgroups.read("pids", path, "pids.max") == "20")
        #expect(HostCgroups.read("memory", path, "memory.limit_in_bytes") == String(32 << 20))
        #expect(HostCgroups.read("memory", path, "memory.memsw.limit_in_bytes") == String(32 << 20))
        #expect(HostCgroups.read("cpu", path, "cpu.cfs_quota_us") == "50000")
        // Raising memory above the current memory+swap needs memsw raised first: the manager orders the writes.
        let up = try b.cove(["update", "--memory", "96m", "--memory-swap", "-1", id])
        #expect(up.status == 0, "\(up)")
        #expect(HostCgroups.read("memory", path, "memory.limit_in_bytes") == String(96 << 20))
        let s = try b.cove(["update", "--resources", "-", id], stdin: #"{"pids": {"limit": 7}, "cpu": {"shares": 256}}"#)
        #expect(s.status == 0, "\(s)")
        #expect(HostCgroups.read("pids", path, "pids.max") == "7")
        #expect(HostCgroups.read("cpu", path, "cpu.shares") == "256")
        // Refused before anything is written.
        let bad: [([String], String?, String)] = [
            (["--memory", "lots"], nil, "--memory: invalid size 'lots'"),
            (["--resources", "-"], #"{"pids": {"limit": 3, "limt": 3}}"#, "unknown field pids.limt"),
            (["--resources", "-"], #"{"pids": {}}"#, "pids.limit: required field is missing"),
            (["--resources", "-", "--pids-limit", "3"], "{}", "--resources cannot be combined"),
            (["--resources", "-"], #"{"memory": {"swappiness": 200}, "pids": {"limit": 3}}"#, "swappiness"),
            (["--resources", "-"], #"{"devices": [{"allow": true}]}"#, "devices cannot be changed"),
            ([], nil, "no limit given"),
        ]
        for (args, stdin, words) in bad {
            let r = try b.cove(["update"] + args + [id], stdin: stdin)
            #expect(r.status != 0 && r.errorLine.contains(words), "\(args): \(r)")
        }
        #expect(HostCgroups.read("pids", path, "pids.max") == "7")
        #expect(try b.cove(["update", "--pids-limit", "5", "nosuch-\(id)"]).errorLine.contains("does not exist"))
        #expect(try b.cove(["delete", "--force", id]).status == 0)
        b.assertCleanCgroups([path])
    }

    @Test("ps lists the container's processes: json prints the PIDs, table filters ps(1) output to them")
    func psListsProcesses() throws {
        let b = try RuntimeBundle("cgps")
        b.script("sleep 1001 & sleep 1002 & echo up; wait")
        let id = try b.runDetached("ps")
        try b.eventually("children started") { (try? b.pids(id).count) == 3 }
        let pids = try b.pids(id)
        let initPID = try b.state(id)["pid"] as! Int
        #expect(pids.contains(initPID) && pids == pids.sorted())
        let table = try b.cove(["ps", id])
        #expect(table.status == 0, "\(table)")
        let rows = table.stdout.split(separator: "\n")
        #expect(rows.first?.contains("PID") == true && rows.count == 4, "\(table.stdout)")
        #expect(rows.filter { $0.hasSuffix(" sleep 1001") || $0.hasSuffix(" sleep 1002") }.count == 2, "\(table.stdout)")
        let custom = try b.cove(["ps", id, "-o", "pid,comm"])
        let cols = custom.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ") }
        #expect(custom.status == 0 && Set(cols.compactMap { Int($0.first ?? "") }) == Set(pids), "\(custom)")
        // Every spelling of the json format before the id; after it, options belong to ps(1) (as in runc).
        for form in [["--format", "json", id], ["-f", "json", id], ["--format=json", id]] {
            let json = try b.cove(["ps"] + form)
            #expect(json.status == 0 && json.stdout == "[" + pids.map(String.init).joined(separator: ",") + "]\n", "\(form): \(json)")
        }
        let psOptions = try b.cove(["ps", id, "-f", "json"])
        #expect(!psOptions.stdout.hasPrefix("["), "-f after the id goes to ps(1): \(psOptions)")
        let badFormat = try b.cove(["ps", "--format", "yaml", id])
        #expect(badFormat.status == 1 && badFormat.errorLine == "cove: --format: 'yaml' is not table or json", "\(badFormat)")
        // `ps` is the process list now, not an alias of `list`.
        let noID = try b.cove(["ps"])
        #expect(noID.status != 0, "\(noID)")
        #expect(try b.cove(["delete", "--force", id]).status == 0)
        b.assertCleanCgroups([RuntimeBundle.cgroup(id)])
    }

    @Test("events --stats prints one runc-shaped stats event; events of a stopped container is an error")
    func eventsStats() throws {
        let b = try RuntimeBundle("cgev")
        b.resources(["memory": ["limit": 48 << 20], "pids": ["limit": 50]])
        b.script("exec sleep 1000")
        let id = try b.runDetached("ev")
        let r = try b.cove(["events", "--stats", id])
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stdout)")
        let ev = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(ev?["type"] as? String == "stats" && ev?["id"] as? String == id, "\(r.stdout)")
        let data = ev?["data"] as? [String: Any]
        let memory = data?["memory"] as? [String: Any]
        let usage = memory?["usage"] as? [String: Any]
        #expect(usage?["limit"] as? Int == 48 << 20, "\(r.stdout)")
        #expect((usage?["usage"] as? Int ?? 0) > 0, "\(r.stdout)")
        #expect((data?["pids"] as? [String: Any])?["current"] as? Int == 1, "\(r.stdout)")
        #expect((data?["pids"] as? [String: Any])?["limit"] as? Int == 50, "\(r.stdout)")
        #expect(((data?["cpu"] as? [String: Any])?["usage"] as? [String: Any])?["total"] != nil, "\(r.stdout)")
        let badInterval = try b.cove(["events", "--interval", "0s", id])
        #expect(badInterval.status == 1 && badInterval.errorLine.contains("--interval"), "\(badInterval)")
        #expect(try b.cove(["kill", id, "KILL"]).status == 0)
        try b.eventually("stopped") { try b.state(id)["status"] as? String == "stopped" }
        let stopped = try b.cove(["events", "--stats", id])
        #expect(stopped.status == 1 && stopped.errorLine == "cove: container '\(id)' is not running", "\(stopped)")
        #expect(try b.cove(["delete", id]).status == 0)
        b.assertCleanCgroups([RuntimeBundle.cgroup(id)])
    }

    @Test("kill --all signals every process in the cgroup, even without a PID namespace")
    func killAll() throws {
        let b = try RuntimeBundle("cgkill")
        b.namespaces(["mount", "ipc", "uts"])
        b.script("sleep 1001 & sleep 1002 & wait")
        let id = try b.runDetached("kill")
        try b.eventually("children started") { (try? b.pids(id).count) == 3 }
        let pids = try b.pids(id)
        #expect(try b.cove(["kill", "--all", id, "KILL"]).status == 0)
        try b.eventually("all gone") { pids.allSatisfy(HostProcess.gone) }
        try b.eventually("stopped") { try b.state(id)["status"] as? String == "stopped" }
        #expect(try b.cove(["delete", id]).status == 0)
        b.assertCleanCgroups([RuntimeBundle.cgroup(id)])
    }

    @Test("kill --all of a stopped container signals what its init left in the cgroup, as runc does")
    func killAllStopped() throws {
        let b = try RuntimeBundle("cgkst")
        b.namespaces(["mount", "ipc", "uts"])
        b.script("sleep 1001 & sleep 1002 & wait")
        let id = try b.runDetached("kst")
        try b.eventually("children started") { (try? b.pids(id).count) == 3 }
        let initPID = try b.state(id)["pid"] as! Int
        let orphans = try b.pids(id).filter { $0 != initPID }
        #expect(try b.cove(["kill", id, "KILL"]).status == 0)
        try b.eventually("stopped") { try b.state(id)["status"] as? String == "stopped" }
        let again = try b.cove(["kill", id, "KILL"])
        #expect(again.status == 1 && again.errorLine.contains("it is stopped"), "\(again)")
        #expect(!orphans.isEmpty && !orphans.contains(where: HostProcess.gone))
        #expect(try b.cove(["kill", "--all", id, "KILL"]).status == 0)
        try b.eventually("orphans gone") { orphans.allSatisfy(HostProcess.gone) }
        #expect(try b.cove(["delete", id]).status == 0)
        b.assertCleanCgroups([RuntimeBundle.cgroup(id)])
    }

    @Test("delete of a stopped container kills what its init left in the cgroup (no PID namespace) and removes it")
    func deleteKillsLeftovers() throws {
        let b = try RuntimeBundle("cgleft")
        b.namespaces(["mount", "ipc", "uts"])
        b.script("sleep 1001 & sleep 1002 & wait")
        let id = try b.runDetached("left")
        try b.eventually("children started") { (try? b.pids(id).count) == 3 }
        let pids = try b.pids(id)
        let initPID = try b.state(id)["pid"] as! Int
        #expect(try b.cove(["kill", id, "KILL"]).status == 0)
        try b.eventually("stopped") { try b.state(id)["status"] as? String == "stopped" }
        let orphans = pids.filter { $0 != initPID }
        #expect(!orphans.isEmpty && !orphans.contains(where: HostProcess.gone), "the init's children outlive it without a PID namespace")
        #expect(try b.cove(["delete", id]).status == 0)
        try b.eventually("orphans gone") { orphans.allSatisfy(HostProcess.gone) }
        b.assertCleanCgroups([RuntimeBundle.cgroup(id)])
    }
}
