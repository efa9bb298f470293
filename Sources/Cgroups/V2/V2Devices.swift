import CLinux
import Glibc
import Kernel

/// v2 has no devices files: access is decided by an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) attached
/// to the cgroup. `apply` loads the program for the rules, attaches it with BPF_F_ALLOW_MULTI, then
/// detaches the programs that were there before (an update), so there is never a moment with none.
enum V2Devices {
    // bpf(2) commands, program and attach types, flags (linux/bpf.h).
    static let progLoad: Int32 = 5, progAttach: Int32 = 8, progDetach: Int32 = 9
    static let progGetFDByID: Int32 = 13, progQuery: Int32 = 16
    static let progTypeCgroupDevice: UInt32 = 15
    static let attachCgroupDevice: UInt32 = 6
    static let allowMulti: UInt32 = 2

    static func check(_ rules: [DeviceRule]) throws {
        for r in rules where !r.access.allSatisfy({ "rwm".contains($0) }) {
            throw CoveError("device rule access \"\(r.access)\": expected some of r, w, m")
        }
    }

    static func apply(_ rules: [DeviceRule], dir: String, options: CgroupOptions) throws {
        try check(rules)
        let program = DeviceProgram(rules: rules)
        options.trace?(dir, "bpf device program: \(program.instructions.count) instructions for \(rules.count) rules")
        let cgroup = Glibc.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if cgroup < 0 { throw SyscallError.last("open", dir) }
        defer { close(cgroup) }
        let old = try query(cgroup: cgroup, dir: dir)
        let prog = try load(program)
        defer { close(prog) }
        var attr = BPFAttr()
        attr.put32(0, UInt32(cgroup))
        attr.put32(4, UInt32(prog))
        attr.put32(8, attachCgroupDevice)
        attr.put32(12, allowMulti)
        try attr.call(progAttach, "bpf BPF_PROG_ATTACH", dir)
        for id in old {
            var get = BPFAttr()
            get.put32(0, id)
            let fd = try get.call(progGetFDByID, "bpf BPF_PROG_GET_FD_BY_ID", "program \(id)")
            defer { close(Int32(fd)) }
            var detach = BPFAttr()
            detach.put32(0, UInt32(cgroup))
            detach.put32(4, UInt32(fd))
            detach.put32(8, attachCgroupDevice)
            try detach.call(progDetach, "bpf BPF_PROG_DETACH", dir)
        }
    }

    /// IDs of the device programs attached to the cgroup itself.
    static func query(cgroup: Int32, dir: String) throws -> [UInt32] {
        var ids = [UInt32](repeating: 0, count: 64)
        var attr = BPFAttr()
        attr.put32(0, UInt32(cgroup))
        attr.put32(4, attachCgroupDevice)
        attr.put32(24, UInt32(ids.count))
        try ids.withUnsafeMutableBytes { buf in
            attr.put64(16, UInt64(UInt(bitPattern: buf.baseAddress)))
            try attr.call(progQuery, "bpf BPF_PROG_QUERY", dir)
        }
        return Array(ids.prefix(Int(attr.get32(24))))
    }

    /// BPF_PROG_LOAD; on a verifier rejection the error carries the verifier's last line.
    static func load(_ program: DeviceProgram) throws -> Int32 {
        var code = program.bytes
        var license = Array("Apache-2.0".utf8CString)
        var log = [CChar](repeating: 0, count: 16 * 1024)
        var attr = BPFAttr()
        attr.put32(0, progTypeCgroupDevice)
        attr.put32(4, UInt32(program.instructions.count))
        let name = Array("cove_devices".utf8)
        for (i, b) in name.enumerated() { attr.bytes[48 + i] = b }
        let fd: Int = try code.withUnsafeMutableBytes { insns in
            try license.withUnsafeMutableBytes { lic in
                attr.put64(8, UInt64(UInt(bitPattern: insns.baseAddress)))
                attr.put64(16, UInt64(UInt(bitPattern: lic.baseAddress)))
                let r = attr.raw(progLoad)
                if r >= 0 { return r }
                // Not allowed (no CAP_BPF/CAP_SYS_ADMIN): say so plainly. Otherwise load again with the
                // verifier log to say why.
                let e = errno
                if e == EPERM || e == EACCES {
                    throw SyscallError("bpf BPF_PROG_LOAD", "cgroup device program", errno: .init(rawValue: e))
                }
                return try log.withUnsafeMutableBytes { lb in
                    attr.put32(24, 1)
                    attr.put32(28, UInt32(lb.count))
                    attr.put64(32, UInt64(UInt(bitPattern: lb.baseAddress)))
                    _ = attr.raw(progLoad)
                    let text = String(decoding: lb.prefix { $0 != 0 }, as: UTF8.self)
                    // The verifier's complaint is the line before its closing statistics.
                    let lines = text.split(separator: "\n").map(String.init)
                    let last = lines.last { !$0.hasPrefix("processed ") } ?? ""
                    let err = SyscallError("bpf BPF_PROG_LOAD", "cgroup device program", errno: .init(rawValue: e))
                    throw last.isEmpty ? CoveError("\(err)") : CoveError("\(err) (verifier: \(last))")
                }
            }
        }
        return Int32(fd)
    }
}

/// A zeroed `union bpf_attr` filled at the kernel ABI's byte offsets (little endian).
struct BPFAttr {
    var bytes = [UInt8](repeating: 0, count: 128)

    mutating func put32(_ at: Int, _ v: UInt32) {
        for i in 0..<4 { bytes[at + i] = UInt8((v >> (8 * UInt32(i))) & 0xff) }
    }

    mutating func put64(_ at: Int, _ v: UInt64) {
        for i in 0..<8 { bytes[at + i] = UInt8((v >> (8 * UInt64(i))) & 0xff) }
    }

    func get32(_ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
    }

    /// bpf(2) with this attr; -1 and errno on failure.
    mutating func raw(_ cmd: Int32) -> Int {
        let n = UInt32(bytes.count)
        return bytes.withUnsafeMutableBytes { Int(cove_bpf(cmd, $0.baseAddress, n)) }
    }

    @discardableResult
    mutating func call(_ cmd: Int32, _ what: String, _ subject: String) throws -> Int {
        while true {
            let r = raw(cmd)
            if r >= 0 { return r }
            if errno == EINTR { continue }
            throw SyscallError.last(what, subject)
        }
    }
}
