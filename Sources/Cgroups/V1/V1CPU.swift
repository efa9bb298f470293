import Glibc
import Kernel

/// v1 cpu and cpuacct controllers.
enum V1CPU {
    static func plan(_ c: CPULimits, _ mgr: V1Manager) throws -> [CgroupWrite] {
        let wantsCPU = c.shares != nil || c.quota != nil || c.period != nil || c.burst != nil ||
            c.realtimePeriod != nil || c.realtimeRuntime != nil || c.idle != nil
        guard wantsCPU else { return [] }
        _ = try mgr.need("cpu", for: "linux.resources.cpu")
        func w(_ f: String, _ v: String) -> CgroupWrite { CgroupWrite("cpu", f, v) }
        var out: [CgroupWrite] = []
        if let s = c.shares, s != 0 { out.append(w("cpu.shares", String(s))) }
        // Period before quota: a quota is checked against the period in force.
        if let p = c.period { out.append(w("cpu.cfs_period_us", String(p))) }
        if let q = c.quota { out.append(w("cpu.cfs_quota_us", String(q))) }
        if let b = c.burst { out.append(w("cpu.cfs_burst_us", String(b))) }
        if let p = c.realtimePeriod { out.append(w("cpu.rt_period_us", String(p))) }
        if let r = c.realtimeRuntime { out.append(w("cpu.rt_runtime_us", String(r))) }
        if let i = c.idle { out.append(w("cpu.idle", String(i))) }
        return out
    }

    /// The kernel clamps cpu.shares silently; read it back and fail like runc when it did.
    static func checkShares(_ shares: UInt64, dir: String) throws {
        guard let got = try? CgroupFile.readUInt("\(dir)/cpu.shares"), got != shares else { return }
        if shares > got { throw CoveError("cpu.shares \(shares) is above the maximum the kernel allows (\(got))") }
        throw CoveError("cpu.shares \(shares) is below the minimum the kernel allows (\(got))")
    }

    static func stats(cpu: String?, cpuacct: String?, into s: inout CgroupStats) {
        if let d = cpu, let st = try? CgroupFile.readKeyed("\(d)/cpu.stat") {
            s.cpu.throttling.periods = st["nr_periods"] ?? 0
            s.cpu.throttling.throttledPeriods = st["nr_throttled"] ?? 0
            s.cpu.throttling.throttledTime = st["throttled_time"] ?? 0
        }
        guard let d = cpuacct else { return }
        s.cpu.usage.total = (try? CgroupFile.readUInt("\(d)/cpuacct.usage")) ?? 0
        s.cpu.usage.percpu = (try? CgroupFile.readNumbers("\(d)/cpuacct.usage_percpu")) ?? []
        s.cpu.usage.percpuKernel = (try? CgroupFile.readNumbers("\(d)/cpuacct.usage_percpu_sys")) ?? []
        s.cpu.usage.percpuUser = (try? CgroupFile.readNumbers("\(d)/cpuacct.usage_percpu_user")) ?? []
        // cpuacct.stat counts USER_HZ ticks.
        if let st = try? CgroupFile.readKeyed("\(d)/cpuacct.stat") {
            let hz = UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1))
            s.cpu.usage.user = (st["user"] ?? 0) * 1_000_000_000 / hz
            s.cpu.usage.kernel = (st["system"] ?? 0) * 1_000_000_000 / hz
        }
    }
}

/// v1 cpuset controller. A new cpuset cgroup starts with empty cpus and mems and refuses tasks until they
/// are set, so `create` copies them down from the parent (runc does the same).
enum V1CPUSet {
    static func plan(_ c: CPULimits, _ mgr: V1Manager) throws -> [CgroupWrite] {
        guard c.cpus != nil || c.mems != nil else { return [] }
        _ = try mgr.need("cpuset", for: "linux.resources.cpu.cpus/mems")
        var out: [CgroupWrite] = []
        if let v = c.cpus { out.append(CgroupWrite("cpuset", "cpuset.cpus", v)) }
        if let v = c.mems { out.append(CgroupWrite("cpuset", "cpuset.mems", v)) }
        return out
    }

    /// A new v1 cpuset has empty cpus and mems, and a process cannot join it (ENOSPC): each level from below
    /// the hierarchy's root down to `dir` that is still empty gets its parent's. Every level, not only the
    /// ones this call made: a parent another `create` made concurrently may not be filled in yet.
    static func inheritParents(of dir: String, root: String, options: CgroupOptions) throws {
        var levels: [String] = []
        var d = dir
        while d.count > root.count && d.hasPrefix(root) {
            levels.append(d)
            d = PathJoin.parent(d)
        }
        for level in levels.reversed() {
            let parent = PathJoin.parent(level)
            for f in ["cpuset.cpus", "cpuset.mems"] {
                // Read without a check first (one kernfs lookup less each): a hierarchy mounted with
                // `noprefix` has no such file, and nothing to fill in.
                let current: String
                do {
                    current = try CgroupFile.read("\(level)/\(f)")
                } catch let e as SyscallError where e.errno == .noSuchFileOrDirectory {
                    continue
                }
                guard current.isEmpty else { continue }
                try CgroupFile.write("\(level)/\(f)", try CgroupFile.read("\(parent)/\(f)"), trace: options.trace)
            }
        }
    }
}
