import Foundation
import Testing
@testable import Cgroups
import Kernel

/// Real v1 cgroups on this host (/sys/fs/cgroup/<controller>/cove-test-…), with real processes inside.
@Suite("CgroupV1Root: real v1 controllers", .enabled(if: CgroupHost.v1Mounted("memory", "pids", "freezer", "cpu", "cpuset", "devices"), CgroupHost.v1Reason))
struct CgroupV1RootTests {
    @Test func createJoinListStatsDestroy() throws {
        var dirs: [String] = []
        try RealCgroup.v1("life") { m in
            dirs = Array(m.paths.values)
            for d in dirs { #expect(FileManager.default.fileExists(atPath: d)) }
            // A fresh cpuset cgroup got its parent's cpus and mems, or joining would fail with ENOSPC.
            let cpus = try String(contentsOfFile: m.paths["cpuset"]! + "/cpuset.cpus", encoding: .utf8)
            #expect(cpus == (try String(contentsOfFile: "/sys/fs/cgroup/cpuset/cpuset.cpus", encoding: .utf8)))

            let child = try TestChild("read go; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 30")
            defer { child.stop() }
            try m.addProcess(child.pid)
            child.go()
            #expect(try m.processes().contains(child.pid))
            for (_, d) in m.paths {
                let procs = try String(contentsOfFile: d + "/cgroup.procs", encoding: .utf8)
                #expect(procs.split(separator: "\n").contains(Substring(String(child.pid))))
            }
            RealCgroup.eventually { (try? m.stats().cpu.usage.total) ?? 0 > 1_000_000 }
            let st = try m.stats()
            #expect(st.memory.usage.usage > 0)
            #expect(st.pids.current >= 1)
            #expect(st.cpu.usage.total > 1_000_000)
            #expect(!st.memory.raw.isEmpty)

            // rmdir refuses while a task is inside: destroy reports it instead of pretending.
            var o = m.options
            o.timeoutMilliseconds = 50
            #expect(throws: SyscallError.self) { try V1Manager(path: m.cgroupPath, layout: m.layout, options: o).destroy() }
            child.stop()
            #expect(RealCgroup.eventually { (try? m.processes())?.isEmpty ?? false })
            try m.destroy()
            #expect(!m.exists())
        }
        for d in dirs { #expect(!FileManager.default.fileExists(atPath: d)) }
    }

    @Test("removeIfEmpty: refused (nothing removed) while a task is inside; one rmdir each once it has left")
    func removeIfEmptyOnlyWhenEmpty() throws {
        try RealCgroup.v1("rmempty") { m in
            let child = try TestChild("read go; exec sleep 30")
            defer { child.stop() }
            try m.addProcess(child.pid)
            #expect(!m.removeIfEmpty())
            for (_, d) in m.paths { #expect(FileManager.default.fileExists(atPath: d), "\(d) removed with a task inside") }
            child.stop()
            #expect(RealCgroup.eventually { (try? m.processes())?.isEmpty ?? false })
            #expect(m.removeIfEmpty())
            #expect(!m.exists())
            #expect(m.removeIfEmpty(), "nothing left is success")
        }
    }

    @Test func memoryHogIsOOMKilledAndCounted() throws {
        try RealCgroup.v1("oom") { m in
            try m.apply(CgroupResources(memory: MemoryLimits(limit: 16 << 20, swap: 16 << 20)))
            #expect(try String(contentsOfFile: m.paths["memory"]! + "/memory.limit_in_bytes", encoding: .utf8) == "\(16 << 20)\n")
            #expect(try m.oomKillCount() == 0)
            // tail keeps the "last line" of /dev/zero, which never ends: it grows until killed.
            let hog = try TestChild("read go; exec tail /dev/zero")
            defer { hog.stop() }
            try m.addProcess(hog.pid)
            hog.go()
            let end = hog.wait(seconds: 60)
            #expect(end == .signaled(SIGKILL))
            #expect(try m.oomKillCount() >= 1)
            // failcnt stays 0 on this kernel when memsw is limited too; the peak shows the limit was reached.
            let mem = try m.stats().memory
            #expect(mem.usage.max >= 15 << 20 && mem.usage.max <= 16 << 20)
            #expect(mem.usage.limit == 16 << 20 && mem.swap.limit == 16 << 20)
        }
    }

    @Test func pidsMaxStopsForks() throws {
        try RealCgroup.v1("pids") { m in
            try m.apply(CgroupResources(pids: PidsLimits(limit: 4)))
            let child = try TestChild("read go; for i in 1 2 3 4 5 6 7 8 9 10; do sleep 30 & done; wait")
            defer { child.stop() }
            try m.addProcess(child.pid)
            child.go()
            let pidsDir = m.paths["pids"]!
            #expect(RealCgroup.eventually {
                let events = (try? String(contentsOfFile: pidsDir + "/pids.events", encoding: .utf8)) ?? ""
                return !events.contains("max 0")
            })
            let current = try m.stats().pids
            #expect(current.current <= 4)
            #expect(current.limit == 4)
            #expect(try m.processes().count <= 4)
            try m.killAll()
            #expect(child.wait(seconds: 10) != nil)
            #expect(RealCgroup.eventually { (try? m.processes())?.isEmpty ?? false })
        }
    }

    @Test func freezeStopsProgressAndThawResumes() throws {
        try RealCgroup.v1("freeze") { m in
            let counter = try CountingChild()
            defer { counter.stop() }
            try m.addProcess(counter.child.pid)
            counter.child.go()
            #expect(RealCgroup.eventually { (counter.value() ?? 0) > 10 })
            try m.freeze()
            #expect(try m.freezerState() == .frozen)
            #expect(m.isPaused)
            let a = counter.raw()
            usleep(300_000)
            #expect(counter.raw() == a)
            try m.thaw()
            #expect(try m.freezerState() == .thawed)
            #expect(RealCgroup.eventually { counter.raw() != a && counter.raw() != "" })
        }
    }

    @Test func killAllSignalsEveryProcess() throws {
        try RealCgroup.v1("kill") { m in
            let child = try TestChild("read go; sleep 30 & sleep 30 & wait")
            defer { child.stop() }
            try m.addProcess(child.pid)
            child.go()
            #expect(RealCgroup.eventually { (try? m.processes().count) == 3 })
            try m.killAll()
            let end = child.wait(seconds: 10)
            #expect(end == .signaled(SIGKILL))
            #expect(RealCgroup.eventually { (try? m.processes())?.isEmpty ?? false })
            #expect(try m.freezerState() == .thawed)
        }
    }

    @Test func killAllOfAPausedCgroup() throws {
        // `cove delete --force` of a paused container: SIGKILL must reach frozen tasks.
        try RealCgroup.v1("pausedkill") { m in
            let child = try TestChild("read go; sleep 30 & wait")
            defer { child.stop() }
            try m.addProcess(child.pid)
            child.go()
            #expect(RealCgroup.eventually { (try? m.processes().count) == 2 })
            try m.freeze()
            try m.killAll()
            #expect(child.wait(seconds: 10) == .signaled(SIGKILL))
            #expect(RealCgroup.eventually { (try? m.processes())?.isEmpty ?? false })
            #expect(try m.freezerState() == .thawed)
            try m.destroy()
            #expect(!m.exists())
        }
    }

    @Test func cpuQuotaThrottlesABusyLoop() throws {
        try RealCgroup.v1("quota") { m in
            try m.apply(CgroupResources(cpu: CPULimits(quota: 10_000, period: 100_000)))
            let child = try TestChild("read go; while :; do :; done")
            defer { child.stop() }
            try m.addProcess(child.pid)
            child.go()
            #expect(RealCgroup.eventually { (try? m.stats().cpu.throttling.throttledPeriods) ?? 0 >= 3 })
        }
    }

    @Test func devicesDenyMakesDevNullUnopenable() throws {
        try RealCgroup.v1("dev") { m in
            try m.apply(CgroupResources(devices: [DeviceRule(allow: false, type: .char, major: 1, minor: 3, access: "rwm")]))
            let child = try TestChild("read go; if echo x > /dev/null; then echo open; else echo denied; fi")
            defer { child.stop() }
            try m.addProcess(child.pid)
            child.go()
            _ = child.wait(seconds: 10)
            #expect(child.output().contains("denied"))
            // Allowed again: opens.
            try m.apply(CgroupResources(devices: [DeviceRule(allow: true, type: .char, major: 1, minor: 3, access: "rwm")]))
            let again = try TestChild("read go; if echo x > /dev/null; then echo open; else echo denied; fi")
            defer { again.stop() }
            try m.addProcess(again.pid)
            again.go()
            _ = again.wait(seconds: 10)
            #expect(again.output().contains("open"))
        }
    }

    @Test func updateChangesALiveLimit() throws {
        try RealCgroup.v1("update") { m in
            try m.apply(CgroupResources(memory: MemoryLimits(limit: 64 << 20), cpu: CPULimits(shares: 512), pids: PidsLimits(limit: 50)))
            // v1 leaves a task's old charges behind when it moves: allocate after joining, then hold it.
            let child = try TestChild("read go; x=$(head -c 4000000 /dev/zero | tr '\\0' a); read wait")
            defer { child.stop() }
            try m.addProcess(child.pid)
            child.go()
            #expect(RealCgroup.eventually { (try? m.stats().memory.usage.usage) ?? 0 > 1 << 20 })
            try m.apply(CgroupResources(memory: MemoryLimits(limit: 32 << 20, swap: 48 << 20), cpu: CPULimits(shares: 2048), pids: PidsLimits(limit: -1)))
            let mem = m.paths["memory"]!
            #expect(try String(contentsOfFile: mem + "/memory.limit_in_bytes", encoding: .utf8) == "\(32 << 20)\n")
            #expect(try String(contentsOfFile: mem + "/memory.memsw.limit_in_bytes", encoding: .utf8) == "\(48 << 20)\n")
            #expect(try String(contentsOfFile: m.paths["pids"]! + "/pids.max", encoding: .utf8) == "max\n")
            #expect(try String(contentsOfFile: m.paths["cpu"]! + "/cpu.shares", encoding: .utf8) == "2048\n")
            // Raising memory past the current memsw needs memsw first: the manager orders it.
            try m.apply(CgroupResources(memory: MemoryLimits(limit: 96 << 20, swap: 128 << 20)))
            #expect(try String(contentsOfFile: mem + "/memory.limit_in_bytes", encoding: .utf8) == "\(96 << 20)\n")
            // Below current usage with checkBeforeUpdate: refused, limit unchanged.
            #expect(throws: CoveError.self) { try m.apply(CgroupResources(memory: MemoryLimits(limit: 4096, checkBeforeUpdate: true))) }
            #expect(try String(contentsOfFile: mem + "/memory.limit_in_bytes", encoding: .utf8) == "\(96 << 20)\n")
            // The kernel clamps shares: reported, not swallowed.
            #expect(throws: CoveError.self) { try m.apply(CgroupResources(cpu: CPULimits(shares: 1_000_000))) }
        }
    }

    @Test func missingHostControllerIsAClearError() throws {
        // This host has no v1 hugetlb, net_cls or rdma hierarchy.
        let layout = try CgroupLayout.detect()
        try RealCgroup.v1("missing") { m in
            if layout.v1Mounts["hugetlb"] == nil {
                do {
                    try m.apply(CgroupResources(pids: PidsLimits(limit: 9), hugepageLimits: [HugepageLimit(pageSize: "2MB", limit: 0)]))
                    Issue.record("hugetlb limit accepted")
                } catch {
                    #expect("\(error)".contains("hugetlb"))
                }
                let pidsMax = try String(contentsOfFile: m.paths["pids"]! + "/pids.max", encoding: .utf8)
                #expect(pidsMax == "max\n", "nothing may be written when one limit cannot be enforced")
            }
            if layout.v1Mounts["net_cls"] == nil {
                #expect(throws: CoveError.self) { try m.apply(CgroupResources(network: NetworkSettings(classID: 1))) }
            }
        }
    }
}
