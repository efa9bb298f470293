/// v1 net_cls (classid for tc and iptables) and net_prio (per-interface priority). One ifpriomap entry
/// per write, as the kernel parses one.
enum V1Network {
    static func plan(_ n: NetworkSettings, _ mgr: V1Manager) throws -> [CgroupWrite] {
        var out: [CgroupWrite] = []
        if let id = n.classID {
            _ = try mgr.need("net_cls", for: "linux.resources.network.classID")
            out.append(CgroupWrite("net_cls", "net_cls.classid", String(id)))
        }
        if !n.priorities.isEmpty {
            _ = try mgr.need("net_prio", for: "linux.resources.network.priorities")
            for p in n.priorities { out.append(CgroupWrite("net_prio", "net_prio.ifpriomap", "\(p.name) \(p.priority)")) }
        }
        return out
    }
}
