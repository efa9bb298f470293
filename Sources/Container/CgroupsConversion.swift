import Cgroups
import Kernel
import OCI

/// OCI `linux.resources` → the Cgroups module's own types. Every field of the spec maps to a field of
/// `CgroupResources`; values are checked here only where the OCI shape allows something the cgroup types
/// cannot say (a device type other than a/b/c, access letters other than r/w/m, a negative device number).
/// Range checks that depend on the layout (swappiness, shares, v2 conversions) stay in the managers.
public enum CgroupsConversion {
    /// The limits for `resources` as given. An empty sub-object (`"memory": {}`) sets nothing and is
    /// dropped, so it cannot fail for a controller the host lacks.
    public static func convert(_ r: Resources) throws -> CgroupResources {
        var out = CgroupResources()
        if let m = r.memory {
            let limits = MemoryLimits(limit: m.limit, reservation: m.reservation, swap: m.swap, kernel: m.kernel,
                                      kernelTCP: m.kernelTCP, swappiness: m.swappiness, disableOOMKiller: m.disableOOMKiller,
                                      useHierarchy: m.useHierarchy, checkBeforeUpdate: m.checkBeforeUpdate)
            // checkBeforeUpdate alone changes nothing.
            var bare = limits
            bare.checkBeforeUpdate = nil
            if bare != MemoryLimits() { out.memory = limits }
        }
        if let c = r.cpu {
            let limits = CPULimits(shares: c.shares, quota: c.quota, period: c.period, burst: c.burst,
                                   realtimeRuntime: c.realtimeRuntime, realtimePeriod: c.realtimePeriod,
                                   cpus: c.cpus, mems: c.mems, idle: c.idle)
            if limits != CPULimits() { out.cpu = limits }
        }
        if let p = r.pids { out.pids = PidsLimits(limit: p.limit) }
        if let b = r.blockIO {
            func throttle(_ list: [Resources.BlockIO.ThrottleDevice]?, _ field: String) throws -> [ThrottleDevice] {
                try (list ?? []).enumerated().map { i, d in
                    let f = "linux.resources.blockIO.\(field)[\(i)]"
                    // runc reads a missing rate as 0, which removes the device's limit.
                    return ThrottleDevice(major: try deviceNumber(d.major, "\(f).major"), minor: try deviceNumber(d.minor, "\(f).minor"),
                                          rate: d.rate ?? 0)
                }
            }
            let weights = try (b.weightDevice ?? []).enumerated().map { i, d in
                let f = "linux.resources.blockIO.weightDevice[\(i)]"
                return WeightDevice(major: try deviceNumber(d.major, "\(f).major"), minor: try deviceNumber(d.minor, "\(f).minor"),
                                    weight: d.weight, leafWeight: d.leafWeight)
            }
            let limits = BlockIOLimits(weight: b.weight, leafWeight: b.leafWeight, weightDevice: weights,
                                       throttleReadBpsDevice: try throttle(b.throttleReadBpsDevice, "throttleReadBpsDevice"),
                                       throttleWriteBpsDevice: try throttle(b.throttleWriteBpsDevice, "throttleWriteBpsDevice"),
                                       throttleReadIOPSDevice: try throttle(b.throttleReadIOPSDevice, "throttleReadIOPSDevice"),
                                       throttleWriteIOPSDevice: try throttle(b.throttleWriteIOPSDevice, "throttleWriteIOPSDevice"))
            if limits != BlockIOLimits() { out.blockIO = limits }
        }
        out.hugepageLimits = (r.hugepageLimits ?? []).map { HugepageLimit(pageSize: $0.pageSize, limit: $0.limit) }
        if let n = r.network {
            let settings = NetworkSettings(classID: n.classID,
                                           priorities: (n.priorities ?? []).map { InterfacePriority(name: $0.name, priority: $0.priority) })
            if settings != NetworkSettings() { out.network = settings }
        }
        out.devices = try (r.devices ?? []).enumerated().map { i, d in try deviceRule(d, field: "linux.resources.devices[\(i)]") }
        out.rdma = (r.rdma ?? [:]).mapValues { RdmaLimit(hcaHandles: $0.hcaHandles, hcaObjects: $0.hcaObjects) }
        out.unified = r.unified ?? [:]
        return out
    }

    /// The limits a new container's cgroup gets: `convert(resources)`, with runc's default device rules
    /// after the spec's own when the spec has device rules (see `withDefaultDevices`).
    public static func forContainer(_ r: Resources) throws -> CgroupResources {
        var out = try convert(r)
        out.devices = withDefaultDevices(out.devices)
        return out
    }

    /// runc appends its allowed devices (/dev/null, zero, full, random, urandom, tty, ptmx, pts/*, tun, and
    /// mknod of any device) after the spec's rules, so the usual `deny all` still leaves a working /dev.
    /// One difference: a default is left out when the spec has a rule for that very device (same type,
    /// major and minor), so an explicit `deny c 1:3` is obeyed instead of being overridden by the default
    /// (last match wins). No rules at all means no restriction, and nothing is added.
    public static func withDefaultDevices(_ rules: [DeviceRule]) -> [DeviceRule] {
        guard !rules.isEmpty else { return [] }
        let extra = defaultAllowedDevices.filter { d in
            !rules.contains { $0.type == d.type && $0.major == d.major && $0.minor == d.minor }
        }
        return rules + extra
    }

    /// runc's `specconv.AllowedDevices` (with /dev/net/tun as runc ≤ 1.1 and crun have it).
    public static let defaultAllowedDevices: [DeviceRule] = [
        DeviceRule(allow: true, type: .char, major: nil, minor: nil, access: "m"),
        DeviceRule(allow: true, type: .block, major: nil, minor: nil, access: "m"),
        DeviceRule(allow: true, type: .char, major: 1, minor: 3, access: "rwm"),
        DeviceRule(allow: true, type: .char, major: 1, minor: 8, access: "rwm"),
        DeviceRule(allow: true, type: .char, major: 1, minor: 7, access: "rwm"),
        DeviceRule(allow: true, type: .char, major: 5, minor: 0, access: "rwm"),
        DeviceRule(allow: true, type: .char, major: 1, minor: 5, access: "rwm"),
        DeviceRule(allow: true, type: .char, major: 1, minor: 9, access: "rwm"),
        DeviceRule(allow: true, type: .char, major: 136, minor: nil, access: "rwm"),
        DeviceRule(allow: true, type: .char, major: 5, minor: 2, access: "rwm"),
        DeviceRule(allow: true, type: .char, major: 10, minor: 200, access: "rwm"),
    ]

    static func deviceRule(_ d: Resources.DeviceRule, field: String) throws -> DeviceRule {
        let kind: DeviceRule.Kind
        switch d.type ?? "a" {
        case "a", "": kind = .all
        case "c": kind = .char
        case "b": kind = .block
        default: throw CoveError("\(field).type: \"\(d.type!)\" is not a (all), c (char) or b (block)")
        }
        let access = d.access ?? ""
        var seen = Set<Character>()
        for ch in access {
            guard "rwm".contains(ch), seen.insert(ch).inserted else {
                throw CoveError("\(field).access: \"\(access)\" must be some of r, w, m (each once)")
            }
        }
        return DeviceRule(allow: d.allow, type: kind, major: try wildcard(d.major, "\(field).major"),
                          minor: try wildcard(d.minor, "\(field).minor"), access: access.isEmpty ? "rwm" : access)
    }

    /// A device rule's number: absent or -1 (runc's wildcard) matches every number.
    static func wildcard(_ n: Int64?, _ field: String) throws -> Int64? {
        guard let n, n != -1 else { return nil }
        return try deviceNumber(n, field)
    }

    static func deviceNumber(_ n: Int64, _ field: String) throws -> Int64 {
        if n < 0 || n > Int64(UInt32.max) { throw CoveError("\(field): \(n) is not a device number") }
        return n
    }
}
