/// v2 pids controller.
enum V2Pids {
    static func plan(_ p: PidsLimits) -> [CgroupWrite] {
        [CgroupWrite("pids", "pids.max", p.limit > 0 ? String(p.limit) : "max")]
    }

    static func stats(dir d: String, into s: inout CgroupStats) {
        s.pids.current = (try? CgroupFile.readUInt("\(d)/pids.current")) ?? 0
        s.pids.limit = (try? CgroupFile.readUInt("\(d)/pids.max")) ?? 0
    }
}
