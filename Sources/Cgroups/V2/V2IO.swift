import Kernel

/// v2 io controller. Weights: with BFQ, io.bfq.weight takes the v1 scale (1…1000) directly, as runc does;
/// otherwise io.weight takes the converted 1…10000 value. Throttles: one io.max line per device.
enum V2IO {
    static func plan(_ b: BlockIOLimits, dir: String, warnings: inout [CgroupWarning]) throws -> [CgroupWrite] {
        guard b != BlockIOLimits() else { return [] }
        for v in [b.weight, b.leafWeight] + b.weightDevice.flatMap({ [$0.weight, $0.leafWeight] }) {
            if let v, v != 0, !(10...1000).contains(v) {
                throw CoveError("blockIO weight \(v) is out of range (10-1000)")
            }
        }
        func w(_ f: String, _ v: String) -> CgroupWrite { CgroupWrite("io", f, v) }
        let bfq = CgroupFile.exists("\(dir)/io.bfq.weight")
        var out: [CgroupWrite] = []
        if let v = b.weight, v != 0 {
            out.append(bfq ? w("io.bfq.weight", String(v)) : w("io.weight", String(CgroupConversion.ioWeight(fromBlkioWeight: v))))
        }
        for dev in b.weightDevice {
            guard let v = dev.weight else { continue }
            out.append(bfq ? w("io.bfq.weight", "\(dev.major):\(dev.minor) \(v)")
                           : w("io.weight", "\(dev.major):\(dev.minor) \(CgroupConversion.ioWeight(fromBlkioWeight: v))"))
        }
        if b.leafWeight != nil || b.weightDevice.contains(where: { $0.leafWeight != nil }) {
            warnings.append(CgroupWarning("blockIO leafWeight has no cgroup v2 equivalent: not applied"))
        }
        // Merge the four throttle lists into one line per device, in first-seen order.
        var order: [String] = []
        var keys: [String: [String]] = [:]
        let lists: [(String, [ThrottleDevice])] = [
            ("rbps", b.throttleReadBpsDevice), ("wbps", b.throttleWriteBpsDevice),
            ("riops", b.throttleReadIOPSDevice), ("wiops", b.throttleWriteIOPSDevice),
        ]
        for (key, devs) in lists {
            for d in devs {
                let id = "\(d.major):\(d.minor)"
                if keys[id] == nil { order.append(id) }
                keys[id, default: []].append("\(key)=\(d.rate)")
            }
        }
        for id in order { out.append(w("io.max", "\(id) " + Text.join(keys[id]![...], separator: " "))) }
        return out
    }

    /// io.stat: `8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0`.
    static func stats(dir d: String, into s: inout CgroupStats) {
        guard let text = try? CgroupFile.read("\(d)/io.stat") else { return }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard let dev = f.first else { continue }
            let mm = dev.split(separator: ":")
            guard mm.count == 2, let ma = UInt64(mm[0]), let mi = UInt64(mm[1]) else { continue }
            var kv: [Substring: UInt64] = [:]
            for p in f.dropFirst() {
                let x = p.split(separator: "=")
                if x.count == 2, let v = UInt64(x[1]) { kv[x[0]] = v }
            }
            for (key, op) in [("rbytes", "Read"), ("wbytes", "Write")] {
                if let v = kv[Substring(key)] { s.blkio.ioServiceBytesRecursive.append(BlkioEntry(major: ma, minor: mi, op: op, value: v)) }
            }
            for (key, op) in [("rios", "Read"), ("wios", "Write")] {
                if let v = kv[Substring(key)] { s.blkio.ioServicedRecursive.append(BlkioEntry(major: ma, minor: mi, op: op, value: v)) }
            }
        }
    }
}
