import Kernel

/// v2 memory controller: memory.max, memory.swap.max (swap alone, converted from the spec's memory+swap),
/// memory.low (reservation). v1-only knobs become warnings: they limit nothing.
enum V2Memory {
    static func plan(_ m: MemoryLimits, dir: String, warnings: inout [CgroupWarning]) throws -> [CgroupWrite] {
        func w(_ f: String, _ v: String) -> CgroupWrite { CgroupWrite("memory", f, v) }
        var out: [CgroupWrite] = []
        if m.checkBeforeUpdate == true, let limit = m.limit, limit > 0 {
            let usage = (try? CgroupFile.readUInt("\(dir)/memory.current")) ?? 0
            if UInt64(limit) < usage {
                throw CoveError("memory.limit \(limit) is below the cgroup's current usage \(usage) (checkBeforeUpdate)")
            }
        }
        let swap = try CgroupConversion.v2Swap(memsw: m.swap, memory: m.limit)
        // Swap before memory.max, as runc: a failing swap write then leaves memory.max untouched.
        if let s = swap { out.append(w("memory.swap.max", CgroupConversion.v2Limit(s))) }
        if let l = m.limit { out.append(w("memory.max", CgroupConversion.v2Limit(l))) }
        if let r = m.reservation { out.append(w("memory.low", CgroupConversion.v2Limit(r))) }
        if let s = m.swappiness {
            warnings.append(CgroupWarning("memory.swappiness (\(s)) has no cgroup v2 equivalent: not applied"))
        }
        if m.disableOOMKiller == true {
            warnings.append(CgroupWarning("memory.disableOOMKiller has no cgroup v2 equivalent: the OOM killer stays enabled"))
        }
        if let k = m.kernel {
            warnings.append(CgroupWarning("memory.kernel (\(k)) is deprecated and has no cgroup v2 equivalent: not applied"))
        }
        if let k = m.kernelTCP {
            warnings.append(CgroupWarning("memory.kernelTCP (\(k)) has no cgroup v2 equivalent: not applied"))
        }
        if m.useHierarchy == false {
            warnings.append(CgroupWarning("memory.useHierarchy=false: cgroup v2 is always hierarchical"))
        }
        return out
    }

    static func stats(dir d: String, into s: inout CgroupStats) {
        guard let usage = try? CgroupFile.readUInt("\(d)/memory.current") else { return }
        s.memory.usage.usage = usage
        s.memory.usage.limit = (try? CgroupFile.readUInt("\(d)/memory.max")) ?? UInt64.max
        s.memory.usage.max = (try? CgroupFile.readUInt("\(d)/memory.peak")) ?? 0
        s.memory.usage.failcnt = (try? CgroupFile.readKeyed("\(d)/memory.events"))?["max"] ?? 0
        // runc reports v2 swap as memory+swap, the v1 meaning, so `events --stats` reads the same on both.
        if let swap = try? CgroupFile.readUInt("\(d)/memory.swap.current") {
            s.memory.swap.usage = swap &+ usage
            let lim = (try? CgroupFile.readUInt("\(d)/memory.swap.max")) ?? UInt64.max
            s.memory.swap.limit = (lim == .max || s.memory.usage.limit == .max) ? .max : lim + s.memory.usage.limit
            s.memory.swap.failcnt = (try? CgroupFile.readKeyed("\(d)/memory.swap.events"))?["max"] ?? 0
        }
        s.memory.raw = (try? CgroupFile.readKeyed("\(d)/memory.stat")) ?? [:]
        s.memory.cache = s.memory.raw["file"] ?? 0
        s.memory.kernel.usage = s.memory.raw["kernel"] ?? 0
        s.memory.kernelTCP.usage = s.memory.raw["sock"] ?? 0
    }
}
