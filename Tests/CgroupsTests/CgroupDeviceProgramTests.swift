import Foundation
import Testing
@testable import Cgroups
import Kernel

@Suite("CgroupDeviceProgram: eBPF device rules")
struct CgroupDeviceProgramTests {
    /// runc's default container rules, shortened: deny all, then a whitelist.
    static let container: [DeviceRule] = [
        DeviceRule(allow: false),
        DeviceRule(allow: true, type: .char, major: 1, minor: 3, access: "rwm"),   // /dev/null
        DeviceRule(allow: true, type: .char, major: 1, minor: 5, access: "rw"),    // /dev/zero
        DeviceRule(allow: true, type: .char, major: 136, minor: nil, access: "rwm"), // /dev/pts/*
        DeviceRule(allow: true, type: .char, major: 5, minor: 1, access: "r"),
    ]

    @Test func whitelistDecisions() {
        let p = DeviceProgram(rules: Self.container)
        #expect(p.decide(type: .char, major: 1, minor: 3, access: "rw"))
        #expect(p.decide(type: .char, major: 1, minor: 3, access: "m"))
        #expect(p.decide(type: .char, major: 1, minor: 5, access: "r"))
        #expect(!p.decide(type: .char, major: 1, minor: 5, access: "m"))
        #expect(p.decide(type: .char, major: 136, minor: 42, access: "rw"))
        #expect(!p.decide(type: .block, major: 136, minor: 42, access: "r"))
        #expect(p.decide(type: .char, major: 5, minor: 1, access: "r"))
        #expect(!p.decide(type: .char, major: 5, minor: 1, access: "rw"))
        #expect(!p.decide(type: .block, major: 8, minor: 0, access: "r"))
        #expect(!p.decide(type: .char, major: 1, minor: 1, access: "r"))  // /dev/mem
    }

    @Test func laterRulesWinAndDenyOverlaps() {
        // No leading deny-all: like a fresh v1 cgroup, everything else stays allowed.
        let p = DeviceRule(allow: false, type: .char, major: 1, minor: 3, access: "w")
        let prog = DeviceProgram(rules: [p])
        #expect(!prog.decide(type: .char, major: 1, minor: 3, access: "rw"))
        #expect(prog.decide(type: .char, major: 1, minor: 3, access: "r"))
        #expect(prog.decide(type: .block, major: 8, minor: 0, access: "rwm"))
        // deny all, allow all, deny one: the last word counts.
        let q = DeviceProgram(rules: [DeviceRule(allow: false), DeviceRule(allow: true), DeviceRule(allow: false, type: .block, major: 8, minor: nil)])
        #expect(q.decide(type: .char, major: 1, minor: 3, access: "rw"))
        #expect(!q.decide(type: .block, major: 8, minor: 16, access: "r"))
        #expect(q.decide(type: .block, major: 9, minor: 0, access: "r"))
        // A match-everything rule ends the program (no unreachable code for the verifier).
        let r = DeviceProgram(rules: [DeviceRule(allow: false, type: .char, major: 1, minor: 3), DeviceRule(allow: false)])
        #expect(r.instructions.count == 6 + 2)
        #expect(!r.decide(type: .char, major: 4, minor: 0, access: "r"))
    }

    @Test func encoding() {
        let p = DeviceProgram(rules: [DeviceRule(allow: true, type: .char, major: 1, minor: 3, access: "rw")])
        // prologue 6, rule: type, mov, and, jne-access, major, minor, mov r0, exit = 8, epilogue 2.
        #expect(p.instructions.count == 16)
        #expect(p.bytes.count == 16 * 8)
        // First instruction: r2 = *(u32 *)(r1 + 0).
        #expect(Array(p.bytes.prefix(8)) == [0x61, 0x12, 0, 0, 0, 0, 0, 0])
        // The type check jumps over the rest of its block (7 instructions).
        #expect(p.instructions[6] == DeviceProgram.Instruction(0x56, dst: 2, offset: 7, imm: 2))
        #expect(p.instructions.last == DeviceProgram.Instruction(0x95))
        #expect(Array(p.instructions[6].bytes) == [0x56, 0x02, 7, 0, 2, 0, 0, 0])
    }
}

/// The program loaded into the kernel and attached to a real v2 cgroup (on this hybrid host the v2
/// hierarchy holds no controllers, but device programs need none).
@Suite("CgroupV2Devices: real eBPF device program", .enabled(if: CgroupHost.v2Mount != nil, CgroupHost.v2Reason))
struct CgroupV2DeviceRootTests {
    func tryOpenDevNull(_ m: V2Manager) throws -> String {
        let child = try TestChild("read go; if echo x > /dev/null; then echo open; else echo denied; fi")
        defer { child.stop() }
        try m.addProcess(child.pid)
        child.go()
        child.wait(seconds: 10)
        return child.output()
    }

    func attached(_ m: V2Manager) throws -> Int {
        let fd = open(m.dir, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        return try V2Devices.query(cgroup: fd, dir: m.dir).count
    }

    @Test func denyMakesDevNullUnopenableAndUpdateReplacesTheProgram() throws {
        try RealCgroup.v2("v2dev") { m in
            try m.apply(CgroupResources(devices: [DeviceRule(allow: true), DeviceRule(allow: false, type: .char, major: 1, minor: 3)]))
            #expect(try attached(m) == 1)
            #expect(try tryOpenDevNull(m).contains("denied"))
            try m.apply(CgroupResources(devices: CgroupDeviceProgramTests.container))
            #expect(try attached(m) == 1)
            #expect(try tryOpenDevNull(m).contains("open"))
        }
    }
}
