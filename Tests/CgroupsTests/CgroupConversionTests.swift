import Testing
@testable import Cgroups
import Kernel

@Suite("CgroupConversion: v1 ↔ v2 values")
struct CgroupConversionTests {
    /// The three fixed points of runc's quadratic fit (2→1, 1024→100 — v1 and v2 defaults agree —, 262144→10000)
    /// and values in between as runc ≥ 1.3 (opencontainers/runc#4785) computes them.
    @Test(arguments: [
        (UInt64(0), UInt64(0)), (1, 1), (2, 1), (1024, 100), (262_144, 10_000), (300_000, 10_000),
        (3, 2), (10, 4), (100, 17), (512, 59), (2048, 174), (3456, 264), (100_000, 4340),
    ])
    func sharesToWeight(shares: UInt64, weight: UInt64) {
        #expect(CgroupConversion.cpuWeight(fromShares: shares) == weight)
    }

    @Test func weightGrowsWithShares() {
        var last: UInt64 = 0
        for s in stride(from: UInt64(2), through: 262_144, by: 997) {
            let w = CgroupConversion.cpuWeight(fromShares: s)
            #expect(w >= last && (1...10_000).contains(w))
            last = w
        }
    }

    @Test func blkioWeightToIOWeight() {
        #expect(CgroupConversion.ioWeight(fromBlkioWeight: 0) == 0)
        #expect(CgroupConversion.ioWeight(fromBlkioWeight: 10) == 1)
        #expect(CgroupConversion.ioWeight(fromBlkioWeight: 500) == 4950)
        #expect(CgroupConversion.ioWeight(fromBlkioWeight: 1000) == 10_000)
        #expect(CgroupConversion.ioWeight(fromBlkioWeight: 100) == 1 + 90 * 9999 / 990)
    }

    @Test func memorySwapV1TotalBecomesV2SwapOnly() throws {
        #expect(try CgroupConversion.v2Swap(memsw: 300, memory: 100) == 200)
        #expect(try CgroupConversion.v2Swap(memsw: 100, memory: 100) == 0)
        #expect(try CgroupConversion.v2Swap(memsw: -1, memory: 100) == -1)
        #expect(try CgroupConversion.v2Swap(memsw: nil, memory: -1) == -1)
        #expect(try CgroupConversion.v2Swap(memsw: nil, memory: 100) == nil)
        #expect(try CgroupConversion.v2Swap(memsw: nil, memory: nil) == nil)
        #expect(throws: CoveError.self) { try CgroupConversion.v2Swap(memsw: 50, memory: 100) }
        #expect(throws: CoveError.self) { try CgroupConversion.v2Swap(memsw: 500, memory: nil) }
        #expect(throws: CoveError.self) { try CgroupConversion.v2Swap(memsw: 500, memory: -1) }
    }

    @Test func limitsAndCPUMax() {
        #expect(CgroupConversion.v2Limit(-1) == "max")
        #expect(CgroupConversion.v2Limit(4096) == "4096")
        #expect(CgroupConversion.cpuMax(quota: nil, period: nil) == nil)
        #expect(CgroupConversion.cpuMax(quota: 50_000, period: 100_000) == "50000 100000")
        #expect(CgroupConversion.cpuMax(quota: -1, period: 100_000) == "max 100000")
        #expect(CgroupConversion.cpuMax(quota: 20_000, period: nil) == "20000")
    }

    @Test func hugepageSizes() throws {
        #expect(try CgroupConversion.hugepageSize("2MB") == "2MB")
        #expect(try CgroupConversion.hugepageSize("64KB") == "64KB")
        for bad in ["2M", "MB", "0MB", "2TB", "x2MB", ""] {
            #expect(throws: CoveError.self) { try CgroupConversion.hugepageSize(bad) }
        }
        // This host: /sys/kernel/mm/hugepages has 2048kB and 1048576kB.
        let host = CgroupConversion.hostHugepageSizes()
        if !host.isEmpty { #expect(host.allSatisfy { $0.hasSuffix("B") }) }
    }

    @Test func hostHugepageDirectoryNames() throws {
        let fake = try FakeCgroupfs()
        for n in ["hugepages-2048kB", "hugepages-1048576kB", "hugepages-64kB", "other"] {
            try fake.write("\(n)/nr_hugepages", "0")
        }
        #expect(CgroupConversion.hostHugepageSizes(sysfs: fake.root) == ["1GB", "2MB", "64KB"])
    }

    @Test func rdmaAndDeviceLines() {
        #expect(CgroupConversion.rdmaLine(device: "mlx5_1", RdmaLimit(hcaHandles: 3, hcaObjects: 100)) == "mlx5_1 hca_handle=3 hca_object=100")
        #expect(CgroupConversion.rdmaLine(device: "mlx5_1", RdmaLimit(hcaObjects: 7)) == "mlx5_1 hca_object=7")
        #expect(CgroupConversion.rdmaLine(device: "mlx5_1", RdmaLimit()) == nil)
        #expect(DeviceRule(allow: false).v1Line == "a *:* rwm")
        #expect(DeviceRule(allow: true, type: .char, major: 1, minor: 3, access: "rw").v1Line == "c 1:3 rw")
        #expect(DeviceRule(allow: true, type: .block, major: 8, minor: nil, access: "").v1Line == "b 8:* rwm")
    }
}
