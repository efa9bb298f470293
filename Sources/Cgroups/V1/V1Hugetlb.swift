import Kernel

/// v1 hugetlb controller: hugetlb.<size>.limit_in_bytes (and the reservation limit where the kernel has it).
enum V1Hugetlb {
    static func plan(_ limits: [HugepageLimit], _ mgr: V1Manager) throws -> [CgroupWrite] {
        let d = try mgr.need("hugetlb", for: "linux.resources.hugepageLimits")
        let sizes = mgr.options.hugepageSizes ?? CgroupConversion.hostHugepageSizes()
        var out: [CgroupWrite] = []
        for l in limits {
            let size = try CgroupConversion.hugepageSize(l.pageSize)
            guard sizes.contains(size) else {
                throw CoveError("hugepage size \(size) is not supported by this host (supported: \(sizes.isEmpty ? "none" : sizes.joined(separator: ", ")))")
            }
            out.append(CgroupWrite("hugetlb", "hugetlb.\(size).limit_in_bytes", String(l.limit)))
            if CgroupFile.exists("\(d)/hugetlb.\(size).rsvd.limit_in_bytes") {
                out.append(CgroupWrite("hugetlb", "hugetlb.\(size).rsvd.limit_in_bytes", String(l.limit)))
            }
        }
        return out
    }

    static func stats(dir d: String, sizes: [String], into s: inout CgroupStats) {
        for size in sizes {
            var h = HugetlbStats()
            guard let u = try? CgroupFile.readUInt("\(d)/hugetlb.\(size).usage_in_bytes") else { continue }
            h.usage = u
            h.max = (try? CgroupFile.readUInt("\(d)/hugetlb.\(size).max_usage_in_bytes")) ?? 0
            h.failcnt = (try? CgroupFile.readUInt("\(d)/hugetlb.\(size).failcnt")) ?? 0
            s.hugetlb[size] = h
        }
    }
}
