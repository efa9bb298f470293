/// v2 rdma controller: one rdma.max line per device, same format as v1.
enum V2Rdma {
    static func plan(_ limits: [String: RdmaLimit]) -> [CgroupWrite] {
        limits.keys.sorted().compactMap { dev in
            CgroupConversion.rdmaLine(device: dev, limits[dev]!).map { CgroupWrite("rdma", "rdma.max", $0) }
        }
    }
}
