import Glibc
import Kernel

/// The v1 ↔ v2 value conversions runc and crun apply, so a spec written for one layout means the same on
/// the other.
public enum CgroupConversion {
    /// cpu.shares (2…262144, default 1024) → cpu.weight (1…10000, default 100). runc ≥ 1.3 and crun ≥ 1.23
    /// use a quadratic fit in log2(shares) through the three points (2→1, 1024→100, 262144→10000); the old
    /// linear rule `1 + (shares-2)*9999/262142` mapped the default 1024 to 39, below the v2 default.
    /// 0 means unset.
    public static func cpuWeight(fromShares shares: UInt64) -> UInt64 {
        if shares == 0 { return 0 }
        if shares <= 2 { return 1 }
        if shares >= 262_144 { return 10_000 }
        let l = log2(Double(shares))
        let exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0
        // A hair of tolerance so exact points (1024 → 10^2) do not round up through float noise.
        return UInt64((pow(10, exponent) - 1e-9).rounded(.up))
    }

    /// blkio.weight (10…1000) → io.weight (1…10000), runc's `ConvertBlkIOToIOWeightValue`. 0 means unset.
    public static func ioWeight(fromBlkioWeight weight: UInt16) -> UInt64 {
        if weight == 0 { return 0 }
        return 1 + (UInt64(max(weight, 10)) - 10) * 9999 / 990
    }

    /// OCI `memory.swap` is memory+swap (v1 memory.memsw.limit_in_bytes); v2 memory.swap.max is swap only.
    /// Returns the v2 value (-1 = max) or nil when swap stays unset. runc's `ConvertMemorySwapToCgroupV2Value`:
    /// unlimited memory with no swap given means unlimited swap too.
    public static func v2Swap(memsw: Int64?, memory: Int64?) throws -> Int64? {
        let swap = memsw ?? 0
        let mem = memory ?? 0
        if mem == -1 && swap == 0 { return -1 }
        if swap == -1 { return -1 }
        if swap == 0 { return memsw == nil ? nil : 0 }
        if mem == 0 || mem == -1 {
            throw CoveError("memory.swap \(swap): a swap limit needs a memory limit (swap is memory+swap)")
        }
        if mem < 0 { throw CoveError("memory.limit \(mem): invalid value") }
        if swap < mem {
            throw CoveError("memory.swap \(swap) is below memory.limit \(mem): swap is the memory+swap total and must be at least the memory limit")
        }
        return swap - mem
    }

    /// A v2 byte limit: -1 (or any negative value) is `max`.
    public static func v2Limit(_ value: Int64) -> String {
        value < 0 ? "max" : String(value)
    }

    /// cpu.max: `$QUOTA $PERIOD`, `max $PERIOD`, or just the quota when no period is given. nil when
    /// neither is set.
    public static func cpuMax(quota: Int64?, period: UInt64?) -> String? {
        if quota == nil && period == nil { return nil }
        var s = "max"
        if let quota, quota > 0 { s = String(quota) }
        if let period, period != 0 { s += " \(period)" }
        return s
    }

    /// Checks an OCI hugepage size (`2MB`, `1GB`, `64KB`) and returns it as the cgroup file infix.
    public static func hugepageSize(_ size: String) throws -> String {
        let units: Set<Character> = ["K", "M", "G"]
        guard size.count >= 3, size.hasSuffix("B"), let unit = size.dropLast().last, units.contains(unit),
              let n = UInt64(size.dropLast(2)), n > 0 else {
            throw CoveError("hugepageLimits pageSize \"\(size)\": expected a size like 2MB or 1GB")
        }
        return size
    }

    /// The hugepage sizes this kernel supports, as cgroup file infixes (`2MB`, `1GB`), read from
    /// /sys/kernel/mm/hugepages/hugepages-2048kB names.
    public static func hostHugepageSizes(sysfs: String = "/sys/kernel/mm/hugepages") -> [String] {
        guard let names = try? FileIO.list(sysfs) else { return [] }
        return names.compactMap { name -> String? in
            guard name.hasPrefix("hugepages-"), name.hasSuffix("kB"),
                  let kb = UInt64(name.dropFirst(10).dropLast(2)) else { return nil }
            if kb >= 1 << 20, kb % (1 << 20) == 0 { return "\(kb >> 20)GB" }
            if kb >= 1 << 10, kb % (1 << 10) == 0 { return "\(kb >> 10)MB" }
            return "\(kb)KB"
        }.sorted()
    }

    /// An rdma.max line: `mlx5_1 hca_handle=3 hca_object=max`; nil when neither limit is set.
    public static func rdmaLine(device: String, _ limit: RdmaLimit) -> String? {
        var parts = [device]
        if let h = limit.hcaHandles { parts.append("hca_handle=\(h)") }
        if let o = limit.hcaObjects { parts.append("hca_object=\(o)") }
        return parts.count > 1 ? Text.join(parts[...], separator: " ") : nil
    }
}
