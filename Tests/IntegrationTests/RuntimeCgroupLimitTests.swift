import Foundation
import Testing

/// linux.resources applied through real v1 cgroups (issue 5): the limits are in the container's cgroup files
/// and the kernel enforces them; nothing is left behind.
@Suite("RuntimeCgroup limits", .serialized, .enabled(if: RuntimeCgroupHost.available, RuntimeCgroupHost.reason))
struct RuntimeCgroupLimitTests {
    @Test("a memory limit is in the cgroup files (host side and, through the cgroup namespace, inside) and an OOM kill is reported by events")
    func memoryLimitAndOOM() throws {
        let b = try RuntimeBundle("cgmem")
        let limit = 32 * 1024 * 1024
        b.resources(["memory": ["limit": limit, "swap": limit]])
        b.namespaces(["mount", "pid", "ipc", "uts", "cgroup"])
        b.mountCgroups()
        // Inside: the cgroup namespace is rooted at the container's cgroup, so the mounted memory hierarchy's
        // root files are the container's. Then wait, and allocate twice the limit in one buffer.
        b.script("cat /proc/self/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes; echo ready; sleep 2; exec dd if=/dev/zero of=/dev/null bs=64M count=1")
        try b.writeConfig()
        let id = b.newID("mem")
        let created = try b.coveToFiles(["create", "-b", b.bundle, id])
        try #require(created.status == 0, "\(created)")
        let path = RuntimeBundle.cgroup(id)
        #expect(HostCgroups.read("memory", path, "memory.limit_in_bytes") == String(limit))
        #expect(HostCgroups.read("memory", path, "memory.memsw.limit_in_bytes") == String(limit))
        let pid = try b.state(id)["pid"] as! Int
        let procs = HostCgroups.read("memory", path, "cgroup.procs") ?? ""
        #expect(procs.split(separator: "\n").contains(Substring(String(pid))), "init \(pid) not in \(procs)")
        // The init moved itself (thread by thread, "0" into each tasks file): every v1 hierarchy cove manages
        // has it in the container's cgroup, with the cgroup namespace rooted there.
        let managed = ["cpuset", "cpu", "cpuacct", "memory", "pids", "blkio", "devices", "freezer", "hugetlb", "net_cls", "net_prio", "perf_event", "rdma"]
        let mine = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8).split(separator: "\n")
        for line in mine {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3, f[1].split(separator: ",").contains(where: { managed.contains(String($0)) }) else { continue }
            #expect(f[2] == Substring(path), "init's \(line)")
        }
        #expect(mine.contains { $0.contains(":memory:") } && mine.contains { $0.contains(":pids:") }, "\(mine)")
        #expect(try b.cove(["start", id]).status == 0)
        try b.eventually("ready") { b.output().contains("ready") }
        // events ends when the container stops: the dd is the init, so the OOM kill ends it.
        let events = try b.cove(["events", "--interval", "1s", id], timeout: 60)
        #expect(events.status == 0, "\(events)")
        let lines = events.stdout.split(separator: "\n")
        let parsed = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(parsed.count == lines.count, "every line is JSON: \(events.stdout)")
        #expect(parsed.contains { $0["type"] as? String == "oom" && $0["id"] as? String == id && $0["data"] == nil }, "\(events.stdout)")
        #expect(parsed.contains { $0["type"] as? String == "stats" && ($0["data"] as? [String: Any])?["memory"] != nil }, "a stats event every second: \(events.stdout)")
        #expect(try b.state(id)["status"] as? String == "stopped")
        let out = b.output().split(separator: "\n").map(String.init)
        #expect(out.contains { $0.hasSuffix(":memory:/") }, "\(out)")
        #expect(out.contains(String(limit)), "\(out)")
        // The peak reached the limit (failcnt is not kept by every kernel).
        let peak = Int(HostCgroups.read("memory", path, "memory.max_usage_in_bytes") ?? "") ?? 0
        #expect(peak > limit * 9 / 10 && peak <= limit, "memory.max_usage_in_bytes \(peak)")
        #expect(try b.cove(["delete", id]).status == 0)
        b.assertCleanCgroups([path])
    }

    @Test("--debug logs each cgroup file write; without it the log holds none")
    func debugTracesCgroupWrites() throws {
        let b = try RuntimeBundle("cgdbg")
        b.resources(["pids": ["limit": 9]])
        try b.writeConfig()
        let traced = b.tmp.file("debug.log"), quiet = b.tmp.file("quiet.log")
        var ids: [String] = []
        for (flags, log) in [(["--debug"], traced), ([], quiet)] {
            let id = b.newID("dbg")
            ids.append(id)
            let r = try Cove.run(["--root", b.stateRoot, "--log", log] + flags + ["run", "-b", b.bundle, id], timeout: 60)
            #expect(r.status == 0, "\(r)")
        }
        let lines = ((try? String(contentsOfFile: traced, encoding: .utf8)) ?? "").split(separator: "\n")
        #expect(lines.contains { $0.contains("cgroup: ") && $0.contains("/pids.max <- 9") }, "\(lines)")
        let none = ((try? String(contentsOfFile: quiet, encoding: .utf8)) ?? "")
        #expect(!none.contains("cgroup: "), "\(none)")
        b.assertCleanCgroups(ids.map(RuntimeBundle.cgroup))
    }

    @Test("a pids limit stops a fork loop at pids.max")
    func pidsLimitStopsForks() throws {
        let b = try RuntimeBundle("cgpid")
        b.resources(["pids": ["limit": 8]])
        // A failed fork ends a non-interactive shell: the loop runs in a subshell, whose sleeps outlive it.
        b.script("(for i in $(seq 30); do sleep 1000 & done); echo looped; exec sleep 1000")
        let id = try b.runDetached("pid")
        let path = RuntimeBundle.cgroup(id)
        #expect(HostCgroups.read("pids", path, "pids.max") == "8")
        try b.eventually("the loop ended") { b.output().contains("looped") }
        let current = Int(HostCgroups.read("pids", path, "pids.current") ?? "") ?? 0
        // The init, and the sleeps that fitted beside it, the subshell and the loop's command substitution.
        #expect((6...8).contains(current), "pids.current \(current)")
        #expect(try b.pids(id).count == current)
        #expect(b.errOutput().contains("fork"), "the shell reports the failed fork: \(b.errOutput())")
        #expect((Int(HostCgroups.read("pids", path, "pids.events")?.split(separator: " ").last ?? "0") ?? 0) > 0, "pids.events counts refused forks")
        #expect(try b.cove(["delete", "--force", id]).status == 0)
        b.assertCleanCgroups([path])
    }

    /// Measured by the kernel's own counters rather than by timing: with a 10% quota a busy loop is throttled
    /// in most periods, and events --stats reports it.
    @Test("a cpu quota throttles a busy loop (cpu.stat and events --stats count throttled periods)")
    func cpuQuotaThrottles() throws {
        let b = try RuntimeBundle("cgthr")
        b.resources(["cpu": ["quota": 10000, "period": 100000]])
        b.script("while :; do :; done")
        let id = try b.runDetached("thr")
        let path = RuntimeBundle.cgroup(id)
        func stat() -> [String: Int] {
            var out: [String: Int] = [:]
            for line in (HostCgroups.read("cpu", path, "cpu.stat") ?? "").split(separator: "\n") {
                let f = line.split(separator: " ")
                if f.count == 2 { out[String(f[0])] = Int(f[1]) }
            }
            return out
        }
        try b.eventually("throttled periods") { (stat()["nr_throttled"] ?? 0) >= 3 }
        let s = stat()
        #expect((s["nr_throttled"] ?? 0) * 2 >= (s["nr_periods"] ?? 0), "a busy loop at 10% is throttled in most periods: \(s)")
        let r = try b.cove(["events", "--stats", id])
        let ev = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let throttling = ((ev?["data"] as? [String: Any])?["cpu"] as? [String: Any])?["throttling"] as? [String: Any]
        #expect((throttling?["throttledPeriods"] as? Int ?? 0) >= 3, "\(r.stdout)")
        #expect(try b.cove(["delete", "--force", id]).status == 0)
        b.assertCleanCgroups([path])
    }

    @Test("devices: denying c 1:3 makes /dev/null unopenable inside while /dev/zero still works")
    func devicesDenyNull() throws {
        let b = try RuntimeBundle("cgdev")
        b.resources(["devices": [["allow": false, "access": "rwm"], ["allow": false, "type": "c", "major": 1, "minor": 3, "access": "rw"]]])
        b.script("ls -l /dev/null | cut -c1; (echo x > /dev/null) 2>/dev/zero && echo null-open || echo null-denied; head -c 5 /dev/zero | wc -c")
        let r = try b.run()
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "c\nnull-denied\n5\n", "\(r)")
        #expect(r.stderr.isEmpty || !r.stderr.contains("cove:"), "\(r)")
        // The same container with the default rules (deny all + runc's allowed devices) can use /dev/null.
        b.resources(["devices": [["allow": false, "access": "rwm"]]])
        let ok = try b.run()
        #expect(ok.stdout == "c\nnull-open\n5\n", "\(ok)")
        b.assertClean()
    }

    @Test("a limit this host cannot enforce is a clear error and leaves no cgroup, state or process")
    func unenforceableLimit() throws {
        let b = try RuntimeBundle("cgbad")
        b.script("exec sleep 1000")
        let cases: [([String: Any], String)] = [
            (["unified": ["memory.high": "100000"]], "linux.resources.unified needs cgroup v2"),
            (["hugepageLimits": [["pageSize": "2MB", "limit": 0]]], "hugetlb"),
            (["network": ["classID": 1048577]], "net_cls"),
            (["memory": ["swappiness": 101]], "swappiness"),
            (["devices": [["allow": true, "type": "q"]]], "linux.resources.devices[0].type"),
        ]
        var paths: [String] = []
        for (r, words) in cases {
            b.resources(r)
            try b.writeConfig()
            let id = b.newID("bad")
            paths.append(RuntimeBundle.cgroup(id))
            let c = try b.createCapturing(id)
            #expect(c.status == 1, "\(r): \(c)")
            #expect(c.errorLine.hasPrefix("cove: create \(id): creating the cgroup: ") && c.errorLine.contains(words), "\(c.errorLine)")
            #expect(c.errorLine.split(separator: "\n").count == 1, "\(c)")
            #expect(!FileManager.default.fileExists(atPath: b.stateRoot + "/" + id))
        }
        b.assertCleanCgroups(paths)
    }

    @Test("linux.cgroupsPath: an absolute path is used as given and removed with the container")
    func absoluteCgroupsPath() throws {
        let b = try RuntimeBundle("cgpath")
        let path = "/" + UniqueName.make("covecgp")
        b.linux["cgroupsPath"] = path
        b.resources(["pids": ["limit": 20]])
        b.script("exec sleep 1000")
        let id = try b.runDetached("path")
        #expect(HostCgroups.read("pids", path, "pids.max") == "20")
        let pid = try b.state(id)["pid"] as! Int
        let own = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)
        #expect(own.contains(":pids:\(path)\n") && own.contains(":memory:\(path)\n"), "\(own)")
        #expect(try b.pids(id) == [pid])
        #expect(try b.cove(["delete", "--force", id]).status == 0)
        b.assertCleanCgroups([path, RuntimeBundle.cgroup(id)])
    }

    @Test("linux.cgroupsPath naming a cgroup that already holds a process: refused; that cgroup and its process stay, nothing else is left")
    func occupiedCgroupsPath() throws {
        let b = try RuntimeBundle("cgbusy")
        let path = "/" + UniqueName.make("covecgb")
        // The test's own process in one hierarchy's cgroup at that path.
        guard let dir = HostCgroups.dir("pids", path) else { return }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        let sleeper = try Spawned(["/bin/sleep", "1000"])
        defer {
            kill(sleeper.pid, SIGKILL)
            _ = sleeper.wait()
            for _ in 0..<40 where rmdir(dir) != 0 { usleep(50_000) }
        }
        try String(sleeper.pid).write(toFile: dir + "/cgroup.procs", atomically: false, encoding: .utf8)
        b.linux["cgroupsPath"] = path
        b.script("exec true")
        try b.writeConfig()
        let id = b.newID()
        let r = try b.coveToFiles(["run", "-d", "-b", b.bundle, id])
        #expect(r.status != 0 && r.errorLine.contains("already holds 1 process"), "\(r)")
        #expect(kill(sleeper.pid, 0) == 0, "the process in the existing cgroup is left alone")
        #expect((try? String(contentsOfFile: dir + "/cgroup.procs", encoding: .utf8)) == "\(sleeper.pid)\n")
        #expect(HostCgroups.leftovers([path]) == [dir], "only the cgroup that was there before")
        b.assertClean()
    }

    @Test("cpu shares, quota, cpuset and blkio weight land in their files; cove features reports cgroup v1 and v2")
    func otherControllers() throws {
        let b = try RuntimeBundle("cgcpu")
        b.resources(["cpu": ["shares": 512, "quota": 20000, "period": 100000, "cpus": "0", "mems": "0"], "blockIO": ["weight": 300]])
        b.script("exec sleep 1000")
        let id = try b.runDetached("cpu")
        let path = RuntimeBundle.cgroup(id)
        #expect(HostCgroups.read("cpu", path, "cpu.shares") == "512")
        #expect(HostCgroups.read("cpu", path, "cpu.cfs_quota_us") == "20000")
        #expect(HostCgroups.read("cpu", path, "cpu.cfs_period_us") == "100000")
        #expect(HostCgroups.read("cpuset", path, "cpuset.cpus") == "0")
        // Without CFQ the weight is BFQ's (as runc does).
        #expect(HostCgroups.read("blkio", path, "blkio.weight") ?? HostCgroups.read("blkio", path, "blkio.bfq.weight") == "300")
        #expect(try b.cove(["delete", "--force", id]).status == 0)
        b.assertCleanCgroups([path])
        let f = try b.cove(["features"])
        let json = try JSONSerialization.jsonObject(with: Data(f.stdout.utf8)) as? [String: Any]
        let cg = (json?["linux"] as? [String: Any])?["cgroup"] as? [String: Any]
        #expect(cg?["v1"] as? Bool == true && cg?["v2"] as? Bool == true && cg?["systemd"] as? Bool == false, "\(f.stdout)")
    }
}

extension RuntimeBundle {
    func errOutput() -> String { (try? String(contentsOfFile: tmp.file("err"), encoding: .utf8)) ?? "" }
}

extension RuntimeBundle {
    /// `cove create` with stderr captured in a file of its own: a create that unexpectedly succeeds leaves an
    /// init holding its stdio, which would keep a pipe open.
    func createCapturing(_ id: String) throws -> RunResult {
        let err = tmp.file("create-\(id).err")
        let r = try Shell.run(["/bin/sh", "-c", "exec \"$0\" \"$@\" >/dev/null 2>\(err) </dev/null", Cove.binary, "--root", stateRoot,
                               "create", "-b", bundle, id])
        return RunResult(status: r.status, stdout: "", stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}

@Suite("RuntimeCgroup rootless", .serialized, .enabled(if: RuntimeCgroupHost.available, RuntimeCgroupHost.reason))
struct RuntimeCgroupRootlessTests {
    /// runc's rootless behaviour without cgroup delegation: the container runs; a limit that cannot be applied
    /// is a warning naming it; without limits nothing is said.
    @Test("rootless without delegation: limits are skipped with a warning, the container runs, nothing is left")
    func rootlessWithoutDelegation() throws {
        try #require(Host.hasTestUser, "CI creates user \(Host.testUser) (make setup)")
        let b = try RuntimeBundle("cgrl")
        let user = Host.testUser
        // The user's own bundle, config (cove spec --rootless run as the user) and state root.
        chmod(b.tmp.path, 0o755)
        let state = b.tmp.file("rlstate")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let own = try Shell.run(["chown", "-R", "\(user):\(user)", b.bundle, state])
        try #require(own.status == 0, "\(own)")
        try FileManager.default.removeItem(atPath: b.bundle + "/config.json")
        func cove(_ args: [String]) throws -> RunResult { try Cove.run(args, user: user) }
        let spec = try cove(["spec", "--rootless", "--bundle", b.bundle])
        try #require(spec.status == 0, "\(spec)")
        b.config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: b.bundle + "/config.json"))) as! [String: Any]
        b.process["terminal"] = false
        b.mounts = b.mounts.filter { ($0["type"] as? String) != "cgroup" }
        b.script("echo ran")
        var ids: [String] = []
        func run(_ resources: [String: Any]?) throws -> RunResult {
            var l = b.linux
            l["resources"] = resources
            b.linux = l
            try b.writeConfig()
            let id = UniqueName.make("rl")
            ids.append(id)
            return try cove(["--root", state, "run", "-b", b.bundle, id])
        }
        let plain = try run(nil)
        #expect(plain.status == 0 && plain.stdout == "ran\n" && plain.stderr.isEmpty, "\(plain)")
        let limited = try run(["pids": ["limit": 10]])
        #expect(limited.status == 0 && limited.stdout == "ran\n", "\(limited)")
        let warnings = limited.stderr.split(separator: "\n")
        #expect(warnings.count == 1 && warnings[0].hasPrefix("cove: warning: rootless: ") && warnings[0].contains("pids limits are not applied"), "\(limited)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: state)) ?? []).isEmpty)
        b.assertCleanCgroups(ids.map(RuntimeBundle.cgroup))
    }
}
