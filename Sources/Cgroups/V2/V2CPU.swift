import Kernel

/// v2 cpu controller: cpu.weight (converted from shares), cpu.max, cpu.max.burst, cpu.idle.
enum V2CPU {
    static func plan(_ c: CPULimits, dir: String) throws -> [CgroupWrite] {
        if c.realtimeRuntime != nil || c.realtimePeriod != nil {
            throw CoveError("cpu.realtimeRuntime/realtimePeriod cannot be enforced on cgroup v2 (the v2 cpu controller has no realtime group scheduling)")
        }
        func w(_ f: String, _ v: String) -> CgroupWrite { CgroupWrite("cpu", f, v) }
        var out: [CgroupWrite] = []
        if let s = c.shares, s != 0 {
            out.append(w("cpu.weight", String(CgroupConversion.cpuWeight(fromShares: s))))
        }
        var quota = c.quota
        if quota == nil, c.period != nil {
            // cpu.max sets both numbers at once: keep the current quota when only the period changes.
            if let cur = try? CgroupFile.read("\(dir)/cpu.max"), let q = cur.split(separator: " ").first {
                quota = q == "max" ? -1 : Int64(q)
            }
        }
        if let max = CgroupConversion.cpuMax(quota: quota, period: c.period) { out.append(w("cpu.max", max)) }
        if let b = c.burst { out.append(w("cpu.max.burst", String(b))) }
        if let i = c.idle { out.append(w("cpu.idle", String(i))) }
        return out
    }

    static func stats(dir d: String, into s: inout CgroupStats) {
        guard let st = try? CgroupFile.readKeyed("\(d)/cpu.stat") else { return }
        s.cpu.usage.total = (st["usage_usec"] ?? 0) * 1000
        s.cpu.usage.user = (st["user_usec"] ?? 0) * 1000
        s.cpu.usage.kernel = (st["system_usec"] ?? 0) * 1000
        s.cpu.throttling.periods = st["nr_periods"] ?? 0
        s.cpu.throttling.throttledPeriods = st["nr_throttled"] ?? 0
        s.cpu.throttling.throttledTime = (st["throttled_usec"] ?? 0) * 1000
    }
}

/// v2 cpuset controller. Unlike v1, an empty cpuset.cpus means "inherit the parent's".
enum V2CPUSet {
    static func plan(_ c: CPULimits) -> [CgroupWrite] {
        var out: [CgroupWrite] = []
        if let v = c.cpus { out.append(CgroupWrite("cpuset", "cpuset.cpus", v)) }
        if let v = c.mems { out.append(CgroupWrite("cpuset", "cpuset.mems", v)) }
        return out
    }
}
