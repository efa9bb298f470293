import Foundation
import Testing
@testable import Cgroups
import Kernel

/// v2 controller writes against a temporary tree laid out like cgroupfs v2.
@Suite("CgroupV2Files: controller writes on a fake cgroupfs")
struct CgroupV2FileTests {
    static let all = ["cpu", "cpuset", "memory", "pids", "io", "hugetlb", "rdma"]

    struct Setup {
        let fake: FakeCgroupfs
        let log: WriteLog
        let manager: V2Manager
        var writes: [String] { log.names(relativeTo: manager.dir) }
        func file(_ f: String) -> String? {
            fake.read("cove/t/\(f)").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
    }

    func setup(_ controllers: [String] = all) throws -> Setup {
        let fake = try FakeCgroupfs()
        let layout = try fake.v2(controllers: controllers, cgroup: "/cove/t")
        let log = WriteLog()
        let m = try V2Manager(path: CgroupPath("/cove/t", containerID: "t"), layout: layout, options: log.options)
        return Setup(fake: fake, log: log, manager: m)
    }

    @Test func createEnablesControllersTopDown() throws {
        let fake = try FakeCgroupfs()
        try fake.write("cgroup.controllers", "cpu memory pids io\n")
        try fake.write("cgroup.subtree_control", "memory\n")
        try fake.write("a/cgroup.controllers", "cpu memory pids io\n")
        try fake.write("a/cgroup.subtree_control", "")
        let log = WriteLog()
        let m = try V2Manager(path: CgroupPath("/a/b", containerID: "b"), layout: .v2(root: fake.root), options: log.options)
        try m.create()
        #expect(FileManager.default.fileExists(atPath: "\(fake.root)/a/b"))
        #expect(log.names(relativeTo: fake.root) == ["cgroup.subtree_control=+cpu +io +pids"])
        #expect(log.names(relativeTo: "\(fake.root)/a") == ["cgroup.subtree_control=+cpu +io +memory +pids"])

        // Only what is asked for; [] leaves every ancestor alone.
        let log2 = WriteLog()
        var o = log2.options
        o.v2ControllersToEnable = ["memory", "rdma"]
        try V2Manager(path: CgroupPath("/a/c", containerID: "c"), layout: .v2(root: fake.root), options: o).create()
        #expect(log2.names(relativeTo: "\(fake.root)/a") == ["cgroup.subtree_control=+memory"])
        let log3 = WriteLog()
        var o3 = log3.options
        o3.v2ControllersToEnable = []
        try V2Manager(path: CgroupPath("/a/d", containerID: "d"), layout: .v2(root: fake.root), options: o3).create()
        #expect(log3.entries.isEmpty)
    }

    @Test func cpuWeightMaxBurstIdleAndCpuset() throws {
        let s = try setup()
        try s.manager.apply(CgroupResources(cpu: CPULimits(shares: 1024, quota: 50_000, period: 100_000, burst: 1000, cpus: "0-1", mems: "0", idle: 1)))
        #expect(s.writes == ["cpu.weight=100", "cpu.max=50000 100000", "cpu.max.burst=1000", "cpu.idle=1", "cpuset.cpus=0-1", "cpuset.mems=0"])
        #expect(s.file("cpu.max") == "50000 100000")
    }

    @Test func periodAloneKeepsTheQuota() throws {
        let s = try setup()
        try s.fake.write("cove/t/cpu.max", "20000 100000\n")
        try s.manager.apply(CgroupResources(cpu: CPULimits(period: 50_000)))
        #expect(s.file("cpu.max") == "20000 50000")
        try s.manager.apply(CgroupResources(cpu: CPULimits(quota: -1)))
        #expect(s.file("cpu.max") == "max")
    }

    @Test func realtimeCannotBeEnforced() throws {
        let s = try setup()
        do {
            try s.manager.apply(CgroupResources(cpu: CPULimits(shares: 100, realtimeRuntime: 1000)))
            Issue.record("realtime accepted on v2")
        } catch {
            #expect("\(error)".contains("realtime"))
        }
        #expect(s.log.entries.isEmpty)
    }

    @Test func memorySwapIsConvertedAndWrittenFirst() throws {
        let s = try setup()
        let w = try s.manager.apply(CgroupResources(memory: MemoryLimits(limit: 100 << 20, reservation: 50 << 20, swap: 300 << 20, swappiness: 60, disableOOMKiller: true)))
        #expect(s.writes == ["memory.swap.max=\(200 << 20)", "memory.max=\(100 << 20)", "memory.low=\(50 << 20)"])
        #expect(w.count == 2)
        #expect(w.contains { $0.message.contains("swappiness") })
        #expect(w.contains { $0.message.contains("disableOOMKiller") })
        try s.manager.apply(CgroupResources(memory: MemoryLimits(limit: -1)))
        #expect(s.file("memory.max") == "max")
        #expect(s.file("memory.swap.max") == "max")
        #expect(throws: CoveError.self) { try s.manager.apply(CgroupResources(memory: MemoryLimits(limit: 300, swap: 200))) }
    }

    @Test func memoryCheckBeforeUpdate() throws {
        let s = try setup()
        try s.fake.write("cove/t/memory.current", "9000\n")
        #expect(throws: CoveError.self) { try s.manager.apply(CgroupResources(memory: MemoryLimits(limit: 8192, checkBeforeUpdate: true))) }
        try s.manager.apply(CgroupResources(memory: MemoryLimits(limit: 16384, checkBeforeUpdate: true)))
        #expect(s.writes == ["memory.max=16384"])
    }

    @Test func pidsAndHugetlbAndRdma() throws {
        let s = try setup()
        try s.manager.apply(CgroupResources(pids: PidsLimits(limit: 32), hugepageLimits: [HugepageLimit(pageSize: "2MB", limit: 2 << 20)],
                                            rdma: ["mlx4_0": RdmaLimit(hcaHandles: 2)]))
        #expect(s.writes == ["pids.max=32", "hugetlb.2MB.max=\(2 << 20)", "rdma.max=mlx4_0 hca_handle=2"])
        try s.manager.apply(CgroupResources(pids: PidsLimits(limit: -1)))
        #expect(s.file("pids.max") == "max")
    }

    @Test func ioWeightConvertedAndThrottlesMergedPerDevice() throws {
        let s = try setup()
        let w = try s.manager.apply(CgroupResources(blockIO: BlockIOLimits(
            weight: 500, leafWeight: 100, weightDevice: [WeightDevice(major: 8, minor: 0, weight: 1000)],
            throttleReadBpsDevice: [ThrottleDevice(major: 8, minor: 0, rate: 1000)],
            throttleWriteBpsDevice: [ThrottleDevice(major: 8, minor: 0, rate: 2000)],
            throttleReadIOPSDevice: [ThrottleDevice(major: 8, minor: 16, rate: 30)])))
        #expect(s.writes == ["io.weight=4950", "io.weight=8:0 10000", "io.max=8:0 rbps=1000 wbps=2000", "io.max=8:16 riops=30"])
        #expect(w.map(\.message).contains { $0.contains("leafWeight") })
        // With BFQ the v1 scale goes to io.bfq.weight unconverted.
        try s.fake.write("cove/t/io.bfq.weight", "")
        try s.manager.apply(CgroupResources(blockIO: BlockIOLimits(weight: 300)))
        #expect(s.file("io.bfq.weight") == "300")
    }

    @Test func unifiedKeysAreWrittenLastAndChecked() throws {
        let s = try setup(["memory", "pids"])
        try s.manager.apply(CgroupResources(pids: PidsLimits(limit: 5), unified: ["memory.high": "1048576", "memory.oom.group": "1", "cgroup.max.depth": "2"]))
        #expect(s.writes == ["pids.max=5", "cgroup.max.depth=2", "memory.high=1048576", "memory.oom.group=1"])
        for bad in ["../../etc/passwd", "nodot", "memory/../x.y"] {
            #expect(throws: CoveError.self) { try s.manager.apply(CgroupResources(unified: [bad: "1"])) }
        }
        do {
            try s.manager.apply(CgroupResources(unified: ["io.max": "8:0 rbps=1"]))
            Issue.record("io.max accepted without the io controller")
        } catch {
            #expect("\(error)".contains("io cgroup controller is not available"))
        }
    }

    @Test func missingControllerFailsBeforeAnyWrite() throws {
        let s = try setup(["pids"])
        do {
            try s.manager.apply(CgroupResources(memory: MemoryLimits(limit: 1 << 20), pids: PidsLimits(limit: 5)))
            Issue.record("memory limit accepted without the memory controller")
        } catch {
            #expect("\(error)".contains("memory cgroup controller is not available"))
        }
        #expect(s.log.entries.isEmpty)
    }

    @Test func rootlessSkipsUndelegatedControllersWithWarnings() throws {
        let fake = try FakeCgroupfs()
        let layout = try fake.v2(controllers: ["pids"], cgroup: "/cove/t")
        var o = CgroupOptions()
        o.rootless = true
        let m = try V2Manager(path: CgroupPath("/cove/t", containerID: "t"), layout: layout, options: o)
        let w = try m.apply(CgroupResources(memory: MemoryLimits(limit: 1 << 20), pids: PidsLimits(limit: 9)))
        #expect(w.count == 1 && w[0].message.contains("memory controller is not delegated"))
        #expect(fake.read("cove/t/pids.max") == "9")
        // No cgroup at all (creation was refused): everything is skipped with a warning.
        let gone = try V2Manager(path: CgroupPath("/elsewhere", containerID: "t"), layout: layout, options: o)
        #expect(!(try gone.apply(CgroupResources(pids: PidsLimits(limit: 9)))).isEmpty)
        #expect(!(try gone.addProcess(1)).isEmpty)
        // Not rootless: a missing cgroup is an error, not a skip.
        let strict = try V2Manager(path: CgroupPath("/elsewhere", containerID: "t"), layout: layout)
        do {
            try strict.apply(CgroupResources(pids: PidsLimits(limit: 9)))
            Issue.record("applied to a missing cgroup")
        } catch {
            #expect("\(error)".contains("does not exist"))
        }
    }

    @Test func networkIsAWarningOnV2() throws {
        let s = try setup()
        let w = try s.manager.apply(CgroupResources(network: NetworkSettings(classID: 7)))
        #expect(w.count == 1 && w[0].message.contains("no cgroup v2 equivalent"))
        #expect(s.log.entries.isEmpty)
    }

    @Test func freezeThawKillAddProcessOOM() throws {
        let s = try setup()
        try s.fake.write("cove/t/cgroup.events", "populated 1\nfrozen 1\n")
        try s.manager.freeze()
        #expect(s.file("cgroup.freeze") == "1")
        #expect(try s.manager.freezerState() == .frozen)
        try s.fake.write("cove/t/cgroup.events", "populated 1\nfrozen 0\n")
        #expect(try s.manager.freezerState() == .freezing)
        try s.manager.thaw()
        #expect(try s.manager.freezerState() == .thawed)
        try s.manager.killAll()
        #expect(s.file("cgroup.kill") == "1")
        try s.manager.addProcess(77)
        #expect(s.file("cgroup.procs") == "77")
        #expect(try s.manager.processes() == [77])
        try s.fake.write("cove/t/memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\noom_group_kill 0\n")
        #expect(try s.manager.oomKillCount() == 2)
    }

    @Test("v2: the joining process writes \"0\" to cgroup.procs (no per-thread move between domains)")
    func joinFileIsCgroupProcs() throws {
        let s = try setup()
        let (files, warnings) = try s.manager.openJoinFiles()
        defer { files.close() }
        #expect(warnings.isEmpty && files.files.map(\.path) == [s.manager.dir + "/cgroup.procs"])
        try files.joinCaller()
        #expect(s.file("cgroup.procs") == "0")
    }

    @Test func freezeTimesOutAndThaws() throws {
        let s = try setup()
        try s.fake.write("cove/t/cgroup.events", "populated 1\nfrozen 0\n")
        var o = s.log.options
        o.timeoutMilliseconds = 20
        let m = try V2Manager(path: s.manager.cgroupPath, layout: s.manager.layout, options: o)
        #expect(throws: CoveError.self) { try m.freeze() }
        #expect(s.file("cgroup.freeze") == "0")
    }

    @Test func stats() throws {
        let s = try setup()
        try s.fake.write("cove/t/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 7\nnr_throttled 3\nthrottled_usec 20\n")
        try s.fake.write("cove/t/memory.current", "8192\n")
        try s.fake.write("cove/t/memory.max", "max\n")
        try s.fake.write("cove/t/memory.events", "max 5\noom_kill 1\n")
        try s.fake.write("cove/t/memory.stat", "anon 4096\nfile 2048\nkernel 100\nsock 0\n")
        try s.fake.write("cove/t/pids.current", "2\n")
        try s.fake.write("cove/t/pids.max", "10\n")
        try s.fake.write("cove/t/io.stat", "8:0 rbytes=4096 wbytes=512 rios=2 wios=1 dbytes=0 dios=0\n")
        try s.fake.write("cove/t/hugetlb.2MB.current", "0\n")
        try s.fake.write("cove/t/hugetlb.2MB.max", "max\n")
        let st = try s.manager.stats()
        #expect(st.cpu.usage.total == 1_500_000 && st.cpu.usage.user == 1_000_000 && st.cpu.usage.kernel == 500_000)
        #expect(st.cpu.throttling == CPUStats.Throttling(periods: 7, throttledPeriods: 3, throttledTime: 20_000))
        #expect(st.memory.usage.usage == 8192 && st.memory.usage.limit == UInt64.max && st.memory.usage.failcnt == 5)
        #expect(st.memory.cache == 2048 && st.memory.raw["anon"] == 4096)
        #expect(st.pids == PidsStats(current: 2, limit: 10))
        #expect(st.blkio.ioServiceBytesRecursive == [BlkioEntry(major: 8, minor: 0, op: "Read", value: 4096), BlkioEntry(major: 8, minor: 0, op: "Write", value: 512)])
        #expect(st.blkio.ioServicedRecursive.count == 2)
        #expect(st.hugetlb["2MB"] == HugetlbStats(usage: 0, max: UInt64.max, failcnt: 0))
    }

    @Test func statsEncodeWithRuncKeys() throws {
        var st = CgroupStats()
        st.cpu.usage.percpuKernel = [1]
        let json = String(decoding: try JSONEncoder().encode(st), as: UTF8.self)
        for key in ["\"percpu_kernel\"", "\"throttledPeriods\"", "\"ioServiceBytesRecursive\"", "\"kernelTCP\"", "\"failcnt\""] {
            #expect(json.contains(key))
        }
    }
}
