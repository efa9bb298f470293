import Kernel

/// v1 blkio controller. Kernels without CFQ have no blkio.weight; BFQ offers blkio.bfq.weight with the
/// same 10…1000 scale, which runc uses instead.
enum V1BlkIO {
    static func plan(_ b: BlockIOLimits, _ mgr: V1Manager) throws -> [CgroupWrite] {
        guard b != BlockIOLimits() else { return [] }
        let d = try mgr.need("blkio", for: "linux.resources.blockIO")
        func w(_ f: String, _ v: String) -> CgroupWrite { CgroupWrite("blkio", f, v) }
        func weightFile(_ name: String) -> String {
            !CgroupFile.exists("\(d)/blkio.\(name)") && CgroupFile.exists("\(d)/blkio.bfq.\(name)") ? "blkio.bfq.\(name)" : "blkio.\(name)"
        }
        for v in [b.weight, b.leafWeight] + b.weightDevice.flatMap({ [$0.weight, $0.leafWeight] }) {
            if let v, v != 0, !(10...1000).contains(v) {
                throw CoveError("blockIO weight \(v) is out of range (10-1000)")
            }
        }
        var out: [CgroupWrite] = []
        if let v = b.weight, v != 0 { out.append(w(weightFile("weight"), String(v))) }
        if let v = b.leafWeight, v != 0 { out.append(w("blkio.leaf_weight", String(v))) }
        for dev in b.weightDevice {
            if let v = dev.weight { out.append(w(weightFile("weight_device"), "\(dev.major):\(dev.minor) \(v)")) }
            if let v = dev.leafWeight { out.append(w("blkio.leaf_weight_device", "\(dev.major):\(dev.minor) \(v)")) }
        }
        let throttles: [(String, [ThrottleDevice])] = [
            ("blkio.throttle.read_bps_device", b.throttleReadBpsDevice),
            ("blkio.throttle.write_bps_device", b.throttleWriteBpsDevice),
            ("blkio.throttle.read_iops_device", b.throttleReadIOPSDevice),
            ("blkio.throttle.write_iops_device", b.throttleWriteIOPSDevice),
        ]
        for (file, devs) in throttles {
            for dev in devs { out.append(w(file, "\(dev.major):\(dev.minor) \(dev.rate)")) }
        }
        return out
    }

    /// `8:0 Read 4096` lines; the `Total` line is skipped.
    static func parseEntries(_ text: String) -> [BlkioEntry] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            guard f.count == 3, let v = UInt64(f[2]) else { return nil }
            let mm = f[0].split(separator: ":")
            guard mm.count == 2, let ma = UInt64(mm[0]), let mi = UInt64(mm[1]) else { return nil }
            return BlkioEntry(major: ma, minor: mi, op: String(f[1]), value: v)
        }
    }

    static func stats(dir d: String, into s: inout CgroupStats) {
        // The throttle files count every I/O whatever the scheduler; CFQ/BFQ ones exist only with those.
        let bytes = (try? CgroupFile.read("\(d)/blkio.throttle.io_service_bytes_recursive")) ?? ""
        let ios = (try? CgroupFile.read("\(d)/blkio.throttle.io_serviced_recursive")) ?? ""
        s.blkio.ioServiceBytesRecursive = parseEntries(bytes)
        s.blkio.ioServicedRecursive = parseEntries(ios)
    }
}
