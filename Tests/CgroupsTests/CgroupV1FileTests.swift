import Foundation
import Testing
@testable import Cgroups
import Kernel

/// v1 controller writes against a temporary tree laid out like cgroupfs v1.
@Suite("CgroupV1Files: controller writes on a fake cgroupfs")
struct CgroupV1FileTests {
    static let all = ["cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer", "hugetlb", "net_cls", "net_prio", "rdma"]

    struct Setup {
        let fake: FakeCgroupfs
        let log: WriteLog
        let manager: V1Manager
        func dir(_ c: String) -> String { manager.paths[c]! }
        func file(_ c: String, _ f: String) -> String? {
            fake.read("\(c)/cove/t/\(f)").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        func writes(_ c: String) -> [String] { log.names(relativeTo: dir(c)) }
    }

    func setup(_ controllers: [String] = all, rootless: Bool = false) throws -> Setup {
        let fake = try FakeCgroupfs()
        let layout = try fake.v1(controllers: controllers, cgroup: "/cove/t")
        let log = WriteLog()
        var options = log.options
        options.rootless = rootless
        let m = try V1Manager(path: CgroupPath("/cove/t", containerID: "t"), layout: layout, options: options)
        return Setup(fake: fake, log: log, manager: m)
    }

    @Test func memoryLimitsAndOrder() throws {
        let s = try setup()
        let w = try s.manager.apply(CgroupResources(memory: MemoryLimits(
            limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20, kernelTCP: 1 << 20, swappiness: 10,
            disableOOMKiller: true, useHierarchy: true)))
        #expect(w.isEmpty)
        // The current limit is unknown (unlimited): lower memory first, then memsw.
        #expect(s.writes("memory") == [
            "memory.limit_in_bytes=\(64 << 20)", "memory.memsw.limit_in_bytes=\(128 << 20)",
            "memory.soft_limit_in_bytes=\(32 << 20)", "memory.kmem.tcp.limit_in_bytes=\(1 << 20)",
            "memory.swappiness=10", "memory.oom_control=1", "memory.use_hierarchy=1",
        ])
        #expect(s.file("memory", "memory.limit_in_bytes") == "\(64 << 20)")
        #expect(s.file("memory", "memory.memsw.limit_in_bytes") == "\(128 << 20)")
        #expect(s.file("memory", "memory.oom_control") == "1")
    }

    @Test func memoryRaisedPastCurrentWritesMemswFirst() throws {
        let s = try setup()
        try s.fake.write("memory/cove/t/memory.limit_in_bytes", "1000\n")
        try s.manager.apply(CgroupResources(memory: MemoryLimits(limit: 3000, swap: 4000)))
        #expect(s.writes("memory") == ["memory.memsw.limit_in_bytes=4000", "memory.limit_in_bytes=3000"])
    }

    @Test func unlimitedMemoryMeansUnlimitedMemsw() throws {
        let s = try setup()
        try s.manager.apply(CgroupResources(memory: MemoryLimits(limit: -1)))
        #expect(s.writes("memory") == ["memory.memsw.limit_in_bytes=-1", "memory.limit_in_bytes=-1"])
    }

    @Test func badMemoryValuesFailBeforeAnyWrite() throws {
        let s = try setup()
        #expect(throws: CoveError.self) {
            try s.manager.apply(CgroupResources(memory: MemoryLimits(limit: 200, swap: 100)))
        }
        #expect(throws: CoveError.self) {
            try s.manager.apply(CgroupResources(memory: MemoryLimits(swappiness: 101), cpu: CPULimits(shares: 512)))
        }
        try s.fake.write("memory/cove/t/memory.usage_in_bytes", "5000\n")
        do {
            try s.manager.apply(CgroupResources(memory: MemoryLimits(limit: 4096, checkBeforeUpdate: true)))
            Issue.record("a limit below usage was accepted")
        } catch {
            #expect("\(error)".contains("below the cgroup's current usage 5000"))
        }
        #expect(s.log.entries.isEmpty)
        // Without checkBeforeUpdate the kernel decides.
        try s.manager.apply(CgroupResources(memory: MemoryLimits(limit: 4096)))
        #expect(s.writes("memory") == ["memory.limit_in_bytes=4096"])
    }

    @Test func kernelMemoryIsAWarning() throws {
        let s = try setup()
        let w = try s.manager.apply(CgroupResources(memory: MemoryLimits(kernel: 1 << 20)))
        #expect(w.count == 1 && w[0].message.contains("memory.kernel"))
        #expect(s.log.entries.isEmpty)
    }

    @Test func cpuAndCpuset() throws {
        let s = try setup()
        try s.manager.apply(CgroupResources(cpu: CPULimits(
            shares: 512, quota: 50_000, period: 100_000, burst: 1000, realtimeRuntime: 950, realtimePeriod: 1000,
            cpus: "0", mems: "0", idle: 0)))
        #expect(s.writes("cpuset") == ["cpuset.cpus=0", "cpuset.mems=0"])
        #expect(s.writes("cpu").filter { $0.hasPrefix("cpu.") } == [
            "cpu.shares=512", "cpu.cfs_period_us=100000", "cpu.cfs_quota_us=50000", "cpu.cfs_burst_us=1000",
            "cpu.rt_period_us=1000", "cpu.rt_runtime_us=950", "cpu.idle=0",
        ])
        #expect(s.file("cpu", "cpu.cfs_quota_us") == "50000")
        #expect(s.file("cpuset", "cpuset.cpus") == "0")
    }

    @Test func clampedSharesAreAnError() throws {
        let s = try setup()
        try s.fake.write("cpu/cove/t/cpu.shares", "262144\n")
        #expect(throws: CoveError.self) { try V1CPU.checkShares(300_000, dir: s.dir("cpu")) }
        try s.fake.write("cpu/cove/t/cpu.shares", "2\n")
        #expect(throws: CoveError.self) { try V1CPU.checkShares(1, dir: s.dir("cpu")) }
        try V1CPU.checkShares(2, dir: s.dir("cpu"))
    }

    @Test(arguments: [(Int64(100), "100"), (0, "max"), (-1, "max")])
    func pidsLimit(limit: Int64, written: String) throws {
        let s = try setup()
        try s.manager.apply(CgroupResources(pids: PidsLimits(limit: limit)))
        #expect(s.file("pids", "pids.max") == written)
    }

    @Test func blkioUsesBfqFilesWhenCFQIsGone() throws {
        let s = try setup()
        try s.manager.apply(CgroupResources(blockIO: BlockIOLimits(
            weight: 300, weightDevice: [WeightDevice(major: 8, minor: 0, weight: 500)],
            throttleReadBpsDevice: [ThrottleDevice(major: 8, minor: 0, rate: 1_048_576)],
            throttleWriteBpsDevice: [ThrottleDevice(major: 8, minor: 16, rate: 2048)],
            throttleReadIOPSDevice: [ThrottleDevice(major: 8, minor: 0, rate: 100)],
            throttleWriteIOPSDevice: [ThrottleDevice(major: 8, minor: 0, rate: 50)])))
        #expect(s.writes("blkio") == [
            "blkio.bfq.weight=300", "blkio.bfq.weight_device=8:0 500",
            "blkio.throttle.read_bps_device=8:0 1048576", "blkio.throttle.write_bps_device=8:16 2048",
            "blkio.throttle.read_iops_device=8:0 100", "blkio.throttle.write_iops_device=8:0 50",
        ])
        // With CFQ's files present, those are used.
        try s.fake.write("blkio/cove/t/blkio.weight", "")
        try s.manager.apply(CgroupResources(blockIO: BlockIOLimits(weight: 700)))
        #expect(s.file("blkio", "blkio.weight") == "700")
    }

    @Test func blkioLimitsTheKernelLacksFailClearly() throws {
        let s = try setup()
        do {
            try s.manager.apply(CgroupResources(blockIO: BlockIOLimits(leafWeight: 300)))
            Issue.record("leafWeight without blkio.leaf_weight was accepted")
        } catch {
            #expect("\(error)".contains("blkio.leaf_weight"))
            #expect("\(error)".contains("blkio"))
        }
        #expect(throws: CoveError.self) { try s.manager.apply(CgroupResources(blockIO: BlockIOLimits(weight: 5))) }
        #expect(s.log.entries.isEmpty)
    }

    @Test func hugetlb() throws {
        let s = try setup()
        try s.manager.apply(CgroupResources(hugepageLimits: [HugepageLimit(pageSize: "2MB", limit: 4 << 20), HugepageLimit(pageSize: "1GB", limit: 0)]))
        #expect(s.writes("hugetlb") == ["hugetlb.2MB.limit_in_bytes=\(4 << 20)", "hugetlb.1GB.limit_in_bytes=0"])
        #expect(throws: CoveError.self) { try s.manager.apply(CgroupResources(hugepageLimits: [HugepageLimit(pageSize: "4MB", limit: 1)])) }
    }

    @Test func missingControllerIsNamedAndNothingIsWritten() throws {
        let s = try setup(["memory", "cpu"])
        do {
            try s.manager.apply(CgroupResources(memory: MemoryLimits(limit: 1 << 20), hugepageLimits: [HugepageLimit(pageSize: "2MB", limit: 1)]))
            Issue.record("hugetlb limit accepted without the controller")
        } catch {
            #expect("\(error)".contains("hugetlb cgroup controller is not mounted"))
        }
        #expect(throws: CoveError.self) { try s.manager.apply(CgroupResources(pids: PidsLimits(limit: 5))) }
        #expect(throws: CoveError.self) { try s.manager.apply(CgroupResources(devices: [DeviceRule(allow: false)])) }
        #expect(throws: CoveError.self) { try s.manager.freeze() }
        #expect(s.log.entries.isEmpty)
    }

    @Test func hybridHostNamesWhereAMissingController() throws {
        // This host: hugetlb is only on the v2 hierarchy at /sys/fs/cgroup/unified.
        let fake = try FakeCgroupfs()
        _ = try fake.v1(controllers: ["memory"], cgroup: "/cove/t")
        try fake.write("unified/cgroup.controllers", "hugetlb\n")
        let layout = CgroupLayout(mode: .hybrid, v1Mounts: ["memory": "\(fake.root)/memory"], unifiedMount: "\(fake.root)/unified")
        let m = try Cgroup.manager(cgroupsPath: "/cove/t", containerID: "t", layout: layout)
        do {
            try m.apply(CgroupResources(hugepageLimits: [HugepageLimit(pageSize: "2MB", limit: 0)]))
            Issue.record("accepted")
        } catch {
            #expect("\(error)".contains("hugetlb cgroup controller is not mounted"))
            #expect("\(error)".contains("cgroup v2 hierarchy at \(fake.root)/unified"))
        }
    }

    @Test func zeroSharesAndWeightMeanUnset() throws {
        let s = try setup()
        try s.manager.apply(CgroupResources(cpu: CPULimits(shares: 0), blockIO: BlockIOLimits(weight: 0)))
        #expect(s.log.entries.isEmpty)
    }

    @Test func networkDevicesRdma() throws {
        let s = try setup()
        try s.manager.apply(CgroupResources(
            network: NetworkSettings(classID: 0x100001, priorities: [InterfacePriority(name: "lo", priority: 2), InterfacePriority(name: "eth0", priority: 5)]),
            devices: [DeviceRule(allow: false), DeviceRule(allow: true, type: .char, major: 1, minor: 3, access: "rw"),
                      DeviceRule(allow: true, type: .char, major: 136, minor: nil, access: "rwm")],
            rdma: ["mlx5_1": RdmaLimit(hcaHandles: 3, hcaObjects: 100)]))
        #expect(s.writes("net_cls") == ["net_cls.classid=1048577"])
        #expect(s.writes("net_prio") == ["net_prio.ifpriomap=lo 2", "net_prio.ifpriomap=eth0 5"])
        #expect(s.writes("devices") == ["devices.deny=a *:* rwm", "devices.allow=c 1:3 rw", "devices.allow=c 136:* rwm"])
        #expect(s.writes("rdma") == ["rdma.max=mlx5_1 hca_handle=3 hca_object=100"])
        #expect(throws: CoveError.self) { try s.manager.apply(CgroupResources(devices: [DeviceRule(allow: true, access: "rwx")])) }
    }

    @Test func unifiedIsRejectedOnV1() throws {
        let s = try setup()
        do {
            try s.manager.apply(CgroupResources(unified: ["memory.high": "1M"]))
            Issue.record("unified accepted on v1")
        } catch {
            #expect("\(error)".contains("cgroup v2"))
        }
    }

    @Test("the init joins by itself: each hierarchy's tasks file is opened here and written \"0\" (the caller) there")
    func joinFilesAreTasks() throws {
        let s = try setup()
        let (files, warnings) = try s.manager.openJoinFiles()
        defer { files.close() }
        #expect(warnings.isEmpty)
        #expect(Set(files.files.map(\.path)) == Set(Self.all.map { s.dir($0) + "/tasks" }))
        try files.joinCaller()
        for c in Self.all {
            #expect(s.file(c, "tasks") == "0", "\(c)")
            #expect(s.file(c, "cgroup.procs") == "", "\(c): no PID is written from outside")
        }
    }

    @Test("join files: a missing tasks file is an error naming it; rootless skips a missing cgroup quietly")
    func joinFilesErrors() throws {
        let s = try setup(["memory", "pids"])
        try FileManager.default.removeItem(atPath: s.dir("pids") + "/tasks")
        #expect(throws: SyscallError.self) { _ = try s.manager.openJoinFiles() }
        do {
            _ = try s.manager.openJoinFiles()
        } catch {
            #expect("\(error)" == "open \(s.dir("pids"))/tasks: No such file or directory")
        }
        let r = try setup(["memory", "pids"], rootless: true)
        try FileManager.default.removeItem(atPath: r.dir("pids"))
        let (files, warnings) = try r.manager.openJoinFiles()
        defer { files.close() }
        #expect(warnings.isEmpty)
        #expect(files.files.map(\.path) == [r.dir("memory") + "/tasks"])
    }

    @Test func addProcessFreezerOOM() throws {
        let s = try setup()
        try s.manager.addProcess(4242)
        for c in Self.all { #expect(s.file(c, "cgroup.procs") == "4242") }
        try s.manager.freeze()
        #expect(s.file("freezer", "freezer.state") == "FROZEN")
        #expect(try s.manager.freezerState() == .frozen)
        #expect(s.manager.isPaused)
        try s.manager.thaw()
        #expect(try s.manager.freezerState() == .thawed)
        try s.fake.write("memory/cove/t/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
        #expect(try s.manager.oomKillCount() == 3)
        try s.fake.write("memory/cove/t/cgroup.procs", "12\n7\n")
        try s.fake.write("pids/cove/t/cgroup.procs", "7\n30\n")
        #expect(try s.manager.processes() == [7, 12, 30, 4242])
    }

    @Test func stats() throws {
        let s = try setup()
        try s.fake.write("memory/cove/t/memory.usage_in_bytes", "4096\n")
        try s.fake.write("memory/cove/t/memory.max_usage_in_bytes", "8192\n")
        try s.fake.write("memory/cove/t/memory.limit_in_bytes", "9223372036854771712\n")
        try s.fake.write("memory/cove/t/memory.failcnt", "2\n")
        try s.fake.write("memory/cove/t/memory.stat", "cache 100\nrss 200\ntotal_cache 300\n")
        try s.fake.write("cpuacct/cove/t/cpuacct.usage", "123456\n")
        try s.fake.write("cpuacct/cove/t/cpuacct.usage_percpu", "100000 23456 \n")
        try s.fake.write("cpuacct/cove/t/cpuacct.stat", "user 3\nsystem 1\n")
        try s.fake.write("cpu/cove/t/cpu.stat", "nr_periods 10\nnr_throttled 4\nthrottled_time 999\n")
        try s.fake.write("pids/cove/t/pids.current", "3\n")
        try s.fake.write("pids/cove/t/pids.max", "max\n")
        try s.fake.write("blkio/cove/t/blkio.throttle.io_service_bytes_recursive", "8:0 Read 4096\n8:0 Write 512\nTotal 4608\n")
        try s.fake.write("hugetlb/cove/t/hugetlb.2MB.usage_in_bytes", "0\n")
        let st = try s.manager.stats()
        #expect(st.memory.usage == MemoryEntry(limit: 9223372036854771712, usage: 4096, max: 8192, failcnt: 2))
        #expect(st.memory.cache == 300)
        #expect(st.memory.raw["rss"] == 200)
        #expect(st.cpu.usage.total == 123456)
        #expect(st.cpu.usage.percpu == [100000, 23456])
        let hz = UInt64(sysconf(Int32(_SC_CLK_TCK)))
        #expect(st.cpu.usage.user == 3 * 1_000_000_000 / hz)
        #expect(st.cpu.throttling.throttledPeriods == 4)
        #expect(st.pids.current == 3 && st.pids.limit == UInt64.max)
        #expect(st.blkio.ioServiceBytesRecursive == [BlkioEntry(major: 8, minor: 0, op: "Read", value: 4096), BlkioEntry(major: 8, minor: 0, op: "Write", value: 512)])
        #expect(st.hugetlb["2MB"]?.usage == 0)
        #expect(st.hugetlb["1GB"] == nil)
    }

    @Test func createAndDestroyMakeAndRemoveDirectories() throws {
        let fake = try FakeCgroupfs()
        for c in ["memory", "pids", "cpuset"] { try FileManager.default.createDirectory(atPath: "\(fake.root)/\(c)", withIntermediateDirectories: true) }
        let m = try Cgroup.manager(cgroupsPath: nil, containerID: "c1", layout: .v1(root: fake.root, controllers: ["memory", "pids", "cpuset"]))
        #expect(!m.exists())
        try m.create()
        #expect(m.exists())
        for c in ["memory", "pids", "cpuset"] { #expect(FileManager.default.fileExists(atPath: "\(fake.root)/\(c)/cove-c1")) }
        try m.destroy()
        #expect(!m.exists())
        // The default path is flat: the hierarchy roots (empty here, so an rmdir would take them) stay.
        for c in ["memory", "pids", "cpuset"] { #expect(FileManager.default.fileExists(atPath: "\(fake.root)/\(c)")) }
        try m.destroy()
    }

    @Test("create reports the directories that were there before and the ones it made, parents included")
    func createReportsExistingAndMade() throws {
        let fake = try FakeCgroupfs()
        let fm = FileManager.default
        for c in ["memory", "pids", "cpuset"] { try fm.createDirectory(atPath: "\(fake.root)/\(c)", withIntermediateDirectories: true) }
        try fm.createDirectory(atPath: "\(fake.root)/memory/mine/c", withIntermediateDirectories: true)
        let m = try Cgroup.manager(cgroupsPath: "/mine/c", containerID: "c", layout: .v1(root: fake.root, controllers: ["memory", "pids", "cpuset"]))
        let done = try m.create()
        #expect(done.existing == ["\(fake.root)/memory/mine/c"])
        #expect(Set(done.made) == Set(["pids", "cpuset"].flatMap { ["\(fake.root)/\($0)/mine", "\(fake.root)/\($0)/mine/c"] }))
        let again = try m.create()
        #expect(again.made.isEmpty && again.existing.count == 3)
        done.removeMade()
        for c in ["pids", "cpuset"] { #expect(!fm.fileExists(atPath: "\(fake.root)/\(c)/mine")) }
        #expect(fm.fileExists(atPath: "\(fake.root)/memory/mine/c"), "what was there before stays")
    }

    @Test("a create that fails halfway removes the directories it made and leaves the rest")
    func failedCreateRemovesWhatItMade() throws {
        let fake = try FakeCgroupfs()
        let fm = FileManager.default
        for c in ["cpuset", "memory"] { try fm.createDirectory(atPath: "\(fake.root)/\(c)", withIntermediateDirectories: true) }
        try fake.write("cpuset/cpuset.cpus", "0-1\n")
        try fake.write("cpuset/cpuset.mems", "0\n")
        // "pids" is a file, not a hierarchy: the mkdir below it fails (ENOTDIR) after cpuset's and memory's.
        try fake.write("pids", "")
        let m = try Cgroup.manager(cgroupsPath: nil, containerID: "f", layout: .v1(root: fake.root, controllers: ["cpuset", "memory", "pids"]))
        #expect(throws: (any Error).self) { try m.create() }
        for c in ["cpuset", "memory"] {
            #expect(!fm.fileExists(atPath: "\(fake.root)/\(c)/cove-f"), "\(c)")
            #expect(fm.fileExists(atPath: "\(fake.root)/\(c)"), "\(c)")
        }
    }

    @Test func rootlessWithoutDelegationWarns() throws {
        let fake = try FakeCgroupfs()
        try FileManager.default.createDirectory(atPath: "\(fake.root)/memory", withIntermediateDirectories: true)
        var opts = CgroupOptions()
        opts.rootless = true
        let m = try V1Manager(path: CgroupPath("/cove/r", containerID: "r"), layout: .v1(root: fake.root, controllers: ["memory"]), options: opts)
        let w = try m.apply(CgroupResources(memory: MemoryLimits(limit: 1 << 20)))
        #expect(w.count == 1 && w[0].message.contains("rootless"))
        let strict = try V1Manager(path: CgroupPath("/cove/r", containerID: "r"), layout: .v1(root: fake.root, controllers: ["memory"]))
        #expect(throws: CoveError.self) { try strict.apply(CgroupResources(memory: MemoryLimits(limit: 1 << 20))) }
    }
}
