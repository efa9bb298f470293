/// v1 pids controller.
enum V1Pids {
    static func plan(_ p: PidsLimits, _ mgr: V1Manager) throws -> [CgroupWrite] {
        _ = try mgr.need("pids", for: "linux.resources.pids")
        return [CgroupWrite("pids", "pids.max", p.limit > 0 ? String(p.limit) : "max")]
    }

    static func stats(dir d: String, into s: inout CgroupStats) {
        s.pids.current = (try? CgroupFile.readUInt("\(d)/pids.current")) ?? 0
        s.pids.limit = (try? CgroupFile.readUInt("\(d)/pids.max")) ?? 0
    }
}
