import CLinux
import Glibc
import Kernel
import OCI

/// process.scheduler, process.ioPriority and linux.personality: applied by the init before it drops its
/// capabilities (real-time policies need CAP_SYS_NICE), inherited across exec by the container's process.
extension ProcessSetup {
    public func scheduler() throws {
        guard let s = process.scheduler else { return }
        let policies: [OCI.Process.Scheduler.Policy: UInt32] = [.other: 0, .fifo: 1, .rr: 2, .batch: 3, .iso: 4, .idle: 5, .deadline: 6]
        let flagBits: [OCI.Process.Scheduler.Flag: UInt64] = [
            .resetOnFork: 0x01, .reclaim: 0x02, .dlOverrun: 0x04, .keepPolicy: 0x08, .keepParams: 0x10,
            .utilClampMin: 0x20, .utilClampMax: 0x40,
        ]
        var attr = cove_sched_attr()
        attr.size = UInt32(MemoryLayout<cove_sched_attr>.size)
        attr.sched_policy = policies[s.policy]!
        attr.sched_flags = (s.flags ?? []).reduce(0) { $0 | flagBits[$1]! }
        attr.sched_nice = s.nice ?? 0
        attr.sched_priority = UInt32(max(0, s.priority ?? 0))
        attr.sched_runtime = s.runtime ?? 0
        attr.sched_deadline = s.deadline ?? 0
        attr.sched_period = s.period ?? 0
        try syscallCheck("sched_setattr", s.policy.rawValue) { cove_sched_setattr(0, &attr, 0) }
    }

    public func ioPriority() throws {
        guard let io = process.ioPriority else { return }
        let cls: Int32 = switch io.class {
        case .rt: 1
        case .be: 2
        case .idle: 3
        }
        let value = (cls << 13) | (io.priority ?? 0)
        try syscallCheck("ioprio_set", io.class.rawValue) { cove_ioprio_set(1 /* IOPRIO_WHO_PROCESS */, 0, value) }
    }

    public static func personality(_ p: Linux.Personality?) throws {
        guard let p else { return }
        let persona: UInt = p.domain == .linux32 ? 0x0008 : 0x0000
        try syscallCheck("personality", p.domain?.rawValue ?? "LINUX") { cove_personality(persona) }
    }
}
