import Kernel

/// v2 has no devices files: access is decided by an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE
/// attached to the cgroup.
enum V2Devices {
    static func check(_ rules: [DeviceRule]) throws {
        for r in rules where !r.access.allSatisfy({ "rwm".contains($0) }) {
            throw CoveError("device rule access \"\(r.access)\": expected some of r, w, m")
        }
        throw CoveError("linux.resources.devices on cgroup v2 needs an eBPF device program, which cove does not support yet")
    }

    static func apply(_ rules: [DeviceRule], dir: String, options: CgroupOptions) throws {
        try check(rules)
    }
}
