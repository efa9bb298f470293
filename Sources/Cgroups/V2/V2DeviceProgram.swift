/// A hand-assembled eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE deciding device access the way a
/// v1 devices cgroup does: the cgroup starts allowing everything and every rule, in order, overrides
/// what came before — so the program checks the rules last-to-first and the first match decides; with no
/// match, access is allowed (a spec's rules normally begin with a deny-all, which then always matches).
///
/// An allow rule matches when the requested access is a subset of its access; a deny rule when the two
/// overlap. The context is `struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }` with
/// access_type = access << 16 | type.
public struct DeviceProgram: Equatable, Sendable {
    /// One 8-byte eBPF instruction.
    public struct Instruction: Equatable, Sendable {
        public var opcode: UInt8
        public var dst: UInt8
        public var src: UInt8
        public var offset: Int16
        public var imm: Int32

        public init(_ opcode: UInt8, dst: UInt8 = 0, src: UInt8 = 0, offset: Int16 = 0, imm: Int32 = 0) {
            self.opcode = opcode
            self.dst = dst
            self.src = src
            self.offset = offset
            self.imm = imm
        }

        /// struct bpf_insn, little endian: code, dst_reg:4 | src_reg:4, off, imm.
        public var bytes: [UInt8] {
            let off = UInt16(bitPattern: offset)
            let i = UInt32(bitPattern: imm)
            return [opcode, (src << 4) | (dst & 0x0f), UInt8(off & 0xff), UInt8(off >> 8),
                    UInt8(i & 0xff), UInt8((i >> 8) & 0xff), UInt8((i >> 16) & 0xff), UInt8(i >> 24)]
        }
    }

    // Opcodes used (BPF_CLASS | BPF_OP | BPF_SRC).
    static let ldxMemW: UInt8 = 0x61   // dst = *(u32 *)(src + off)
    static let and32K: UInt8 = 0x54    // dst &= imm
    static let rsh32K: UInt8 = 0x74    // dst >>= imm
    static let mov32X: UInt8 = 0xbc    // dst = src
    static let mov32K: UInt8 = 0xb4    // dst = imm
    // JMP32 compares the low 32 bits, so a major number above 2^31 is not sign-extended.
    static let jneK: UInt8 = 0x56      // if (u32)dst != (u32)imm goto +off
    static let jeqK: UInt8 = 0x16      // if (u32)dst == (u32)imm goto +off
    static let jneX: UInt8 = 0x5e      // if (u32)dst != (u32)src goto +off
    static let exit: UInt8 = 0x95

    // BPF_DEVCG_DEV_* and BPF_DEVCG_ACC_*.
    static let devBlock: Int32 = 1, devChar: Int32 = 2
    static let accMknod: Int32 = 1, accRead: Int32 = 2, accWrite: Int32 = 4

    public var instructions: [Instruction]

    public init(rules: [DeviceRule]) {
        // r2 = type, r3 = access, r4 = major, r5 = minor.
        var p: [Instruction] = [
            Instruction(Self.ldxMemW, dst: 2, src: 1, offset: 0),
            Instruction(Self.and32K, dst: 2, imm: 0xffff),
            Instruction(Self.ldxMemW, dst: 3, src: 1, offset: 0),
            Instruction(Self.rsh32K, dst: 3, imm: 16),
            Instruction(Self.ldxMemW, dst: 4, src: 1, offset: 4),
            Instruction(Self.ldxMemW, dst: 5, src: 1, offset: 8),
        ]
        var complete = false
        for rule in rules.reversed() {
            let b = Self.block(for: rule)
            p += b
            // A rule matching everything ends the program: the verifier rejects unreachable code.
            if b.count == 2 { complete = true; break }
        }
        if !complete { p += [Instruction(Self.mov32K, dst: 0, imm: 1), Instruction(Self.exit)] }
        instructions = p
    }

    static func accessBits(_ access: String) -> Int32 {
        var bits: Int32 = 0
        let a = access.isEmpty ? "rwm" : access
        if a.contains("r") { bits |= accRead }
        if a.contains("w") { bits |= accWrite }
        if a.contains("m") { bits |= accMknod }
        return bits
    }

    /// The checks for one rule; each failed check jumps past the rule's own `return` to the next rule.
    static func block(for rule: DeviceRule) -> [Instruction] {
        var checks: [Instruction] = []  // jumps with offset filled in below
        switch rule.type {
        case .all: break
        case .char: checks.append(Instruction(jneK, dst: 2, imm: devChar))
        case .block: checks.append(Instruction(jneK, dst: 2, imm: devBlock))
        }
        let bits = accessBits(rule.access)
        var accessCheck: [Instruction] = []
        if bits != accRead | accWrite | accMknod {
            accessCheck = [Instruction(mov32X, dst: 1, src: 3), Instruction(and32K, dst: 1, imm: bits)]
            // allow: (req & bits) != req → no match;  deny: (req & bits) == 0 → no match.
            accessCheck.append(rule.allow ? Instruction(jneX, dst: 1, src: 3) : Instruction(jeqK, dst: 1, imm: 0))
        }
        var tail: [Instruction] = []
        if let ma = rule.major { tail.append(Instruction(jneK, dst: 4, imm: Int32(truncatingIfNeeded: ma))) }
        if let mi = rule.minor { tail.append(Instruction(jneK, dst: 5, imm: Int32(truncatingIfNeeded: mi))) }
        var block = checks + accessCheck + tail + [Instruction(mov32K, dst: 0, imm: rule.allow ? 1 : 0), Instruction(exit)]
        // Every jump lands on the first instruction after this block.
        for i in block.indices where [jneK, jeqK, jneX].contains(block[i].opcode) {
            block[i].offset = Int16(block.count - i - 1)
        }
        return block
    }

    public var bytes: [UInt8] { instructions.flatMap(\.bytes) }

    /// Runs the program on one access request — a reference interpreter of the instruction subset above,
    /// used by tests and `--debug`; the kernel's verifier and JIT run the real thing.
    public func decide(type: DeviceRule.Kind, major: UInt32, minor: UInt32, access: String) -> Bool {
        let typeBits: UInt32 = type == .block ? UInt32(Self.devBlock) : UInt32(Self.devChar)
        let ctx: [UInt32] = [UInt32(Self.accessBits(access)) << 16 | typeBits, major, minor]
        var r = [UInt64](repeating: 0, count: 11)
        var pc = 0
        while pc < instructions.count {
            let ins = instructions[pc]
            let d = Int(ins.dst), s = Int(ins.src)
            let imm = UInt64(UInt32(bitPattern: ins.imm))
            switch ins.opcode {
            case Self.ldxMemW: r[d] = UInt64(ctx[Int(ins.offset) / 4])
            case Self.and32K: r[d] = (r[d] & imm) & 0xffff_ffff
            case Self.rsh32K: r[d] = (r[d] & 0xffff_ffff) >> imm
            case Self.mov32X: r[d] = r[s] & 0xffff_ffff
            case Self.mov32K: r[d] = imm
            case Self.jneK: if r[d] & 0xffff_ffff != imm { pc += Int(ins.offset) }
            case Self.jeqK: if r[d] & 0xffff_ffff == imm { pc += Int(ins.offset) }
            case Self.jneX: if r[d] & 0xffff_ffff != r[s] & 0xffff_ffff { pc += Int(ins.offset) }
            case Self.exit: return r[0] == 1
            default: return false
            }
            pc += 1
        }
        return false
    }
}
