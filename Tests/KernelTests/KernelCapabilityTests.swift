import Foundation
import Testing
@testable import Kernel

@Suite struct KernelCapabilityTests {
    @Test func lastCapFromPrctlMatchesProc() throws {
        let proc = try String(contentsOfFile: "/proc/sys/kernel/cap_last_cap", encoding: .utf8)
        #expect(CapabilitySets.probedLastCap == Int(proc.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(CapabilitySets.allMask == (UInt64(1) << UInt64(CapabilitySets.probedLastCap + 1)) - 1)
    }

    @Test func boundingSetReadsLikeProcStatus() throws {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("CapBnd:") })
        let fromProc = try #require(UInt64(line.split(separator: "\t")[1], radix: 16))
        #expect(try CapabilitySets.bounding() == fromProc)
    }

    @Test func numbersOfAMask() {
        #expect(CapabilitySets.numbers(in: 0) == [])
        #expect(CapabilitySets.numbers(in: (1 << 0) | (1 << 21) | (1 << 40)) == [0, 21, 40])
    }
}
