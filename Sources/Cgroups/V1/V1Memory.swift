import Kernel

/// v1 memory controller: memory.limit_in_bytes, memory.memsw.limit_in_bytes (memory+swap),
/// memory.soft_limit_in_bytes, memory.swappiness, memory.oom_control.
enum V1Memory {
    static func plan(_ m: MemoryLimits, _ mgr: V1Manager, warnings: inout [CgroupWarning]) throws -> [CgroupWrite] {
        let d = try mgr.need("memory", for: "linux.resources.memory")
        func w(_ f: String, _ v: String) -> CgroupWrite { CgroupWrite("memory", f, v) }
        var out: [CgroupWrite] = []

        var swap = m.swap
        // Unlimited memory with swap left unset means unlimited memory+swap too (runc), when the kernel
        // accounts swap at all.
        if m.limit == -1 && swap == nil && CgroupFile.exists("\(d)/memory.memsw.limit_in_bytes") { swap = -1 }
        if let limit = m.limit, let s = swap, limit > 0, s != -1, s < limit {
            throw CoveError("memory.swap \(s) is below memory.limit \(limit): on cgroup v1 swap is the memory+swap total")
        }
        if m.checkBeforeUpdate == true, let limit = m.limit, limit > 0 {
            let usage = (try? CgroupFile.readUInt("\(d)/memory.usage_in_bytes")) ?? 0
            if UInt64(limit) < usage {
                throw CoveError("memory.limit \(limit) is below the cgroup's current usage \(usage) (checkBeforeUpdate)")
            }
        }
        switch (m.limit, swap) {
        case let (limit?, s?):
            // The kernel insists limit <= memsw at every moment: raise memsw first when it grows past the
            // current limit, otherwise lower the limit first.
            let current = (try? CgroupFile.readUInt("\(d)/memory.limit_in_bytes")) ?? UInt64.max
            if s == -1 || (s > 0 && current < UInt64(s)) {
                out += [w("memory.memsw.limit_in_bytes", String(s)), w("memory.limit_in_bytes", String(limit))]
            } else {
                out += [w("memory.limit_in_bytes", String(limit)), w("memory.memsw.limit_in_bytes", String(s))]
            }
        case let (limit?, nil):
            out.append(w("memory.limit_in_bytes", String(limit)))
        case let (nil, s?):
            out.append(w("memory.memsw.limit_in_bytes", String(s)))
        case (nil, nil):
            break
        }
        if let r = m.reservation { out.append(w("memory.soft_limit_in_bytes", String(r))) }
        if let k = m.kernel {
            warnings.append(CgroupWarning("memory.kernel (\(k)) is deprecated and not supported by current kernels: ignored"))
        }
        if let t = m.kernelTCP { out.append(w("memory.kmem.tcp.limit_in_bytes", String(t))) }
        if let s = m.swappiness {
            guard s <= 100 else { throw CoveError("memory.swappiness \(s) is out of range (0-100)") }
            out.append(w("memory.swappiness", String(s)))
        }
        if let off = m.disableOOMKiller { out.append(w("memory.oom_control", off ? "1" : "0")) }
        if let h = m.useHierarchy { out.append(w("memory.use_hierarchy", h ? "1" : "0")) }
        return out
    }

    static func entry(_ d: String, _ prefix: String) -> MemoryEntry {
        var e = MemoryEntry()
        e.usage = (try? CgroupFile.readUInt("\(d)/\(prefix).usage_in_bytes")) ?? 0
        e.max = (try? CgroupFile.readUInt("\(d)/\(prefix).max_usage_in_bytes")) ?? 0
        e.failcnt = (try? CgroupFile.readUInt("\(d)/\(prefix).failcnt")) ?? 0
        e.limit = (try? CgroupFile.readUInt("\(d)/\(prefix).limit_in_bytes")) ?? 0
        return e
    }

    static func stats(dir d: String, into s: inout CgroupStats) {
        s.memory.usage = entry(d, "memory")
        s.memory.swap = entry(d, "memory.memsw")
        s.memory.kernel = entry(d, "memory.kmem")
        s.memory.kernelTCP = entry(d, "memory.kmem.tcp")
        s.memory.raw = (try? CgroupFile.readKeyed("\(d)/memory.stat")) ?? [:]
        s.memory.cache = s.memory.raw["total_cache"] ?? s.memory.raw["cache"] ?? 0
    }
}
