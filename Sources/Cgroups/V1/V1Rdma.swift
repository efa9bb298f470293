import Kernel

/// v1 rdma controller: one rdma.max line per device.
enum V1Rdma {
    static func plan(_ limits: [String: RdmaLimit], _ mgr: V1Manager) throws -> [CgroupWrite] {
        _ = try mgr.need("rdma", for: "linux.resources.rdma")
        return limits.keys.sorted().compactMap { dev in
            CgroupConversion.rdmaLine(device: dev, limits[dev]!).map { CgroupWrite("rdma", "rdma.max", $0) }
        }
    }
}
