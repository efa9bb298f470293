import Kernel

/// v2 hugetlb controller: hugetlb.<size>.max (and .rsvd.max where present).
enum V2Hugetlb {
    static func plan(_ limits: [HugepageLimit], dir: String, options: CgroupOptions) throws -> [CgroupWrite] {
        let sizes = options.hugepageSizes ?? CgroupConversion.hostHugepageSizes()
        var out: [CgroupWrite] = []
        for l in limits {
            let size = try CgroupConversion.hugepageSize(l.pageSize)
            guard sizes.contains(size) else {
                throw CoveError("hugepage size \(size) is not supported by this host (supported: \(sizes.isEmpty ? "none" : sizes.joined(separator: ", ")))")
            }
            out.append(CgroupWrite("hugetlb", "hugetlb.\(size).max", String(l.limit)))
            if CgroupFile.exists("\(dir)/hugetlb.\(size).rsvd.max") {
                out.append(CgroupWrite("hugetlb", "hugetlb.\(size).rsvd.max", String(l.limit)))
            }
        }
        return out
    }

    static func stats(dir d: String, sizes: [String], into s: inout CgroupStats) {
        for size in sizes {
            guard let u = try? CgroupFile.readUInt("\(d)/hugetlb.\(size).current") else { continue }
            var h = HugetlbStats()
            h.usage = u
            h.max = (try? CgroupFile.readUInt("\(d)/hugetlb.\(size).max")) ?? 0
            h.failcnt = (try? CgroupFile.readKeyed("\(d)/hugetlb.\(size).events"))?["max"] ?? 0
            s.hugetlb[size] = h
        }
    }
}
