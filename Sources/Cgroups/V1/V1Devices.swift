import Kernel

/// v1 devices controller: each rule, in order, to devices.allow or devices.deny (`c 1:3 rwm`). A leading
/// deny-all (`a *:* rwm` to devices.deny) empties the cgroup's list, so the allows that follow are the
/// whole whitelist — the usual shape of a container's rules.
enum V1Devices {
    static func plan(_ rules: [DeviceRule], _ mgr: V1Manager) throws -> [CgroupWrite] {
        _ = try mgr.need("devices", for: "linux.resources.devices")
        return try rules.map { r in
            guard r.access.allSatisfy({ "rwm".contains($0) }) else {
                throw CoveError("device rule access \"\(r.access)\": expected some of r, w, m")
            }
            return CgroupWrite("devices", r.allow ? "devices.allow" : "devices.deny", r.v1Line)
        }
    }
}
