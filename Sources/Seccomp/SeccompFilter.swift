import CSeccomp
import Glibc
import Kernel

/// A seccomp filter as the runtime spec describes it, built and loaded with libseccomp.
/// The container process loads it last, just before execve: once loaded, the syscalls it forbids are gone
/// for the rest of setup too.
public struct SeccompFilter: Equatable {
    public enum Action: Equatable {
        case killThread, killProcess, trap, errno(UInt32), trace(UInt32), allow, log, notify

        /// Parses `SCMP_ACT_ERRNO` and friends; `errnoRet` is the spec's per-rule or default errno.
        public init(name: String, errnoRet: UInt32? = nil) throws {
            switch name {
            case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": self = .killThread
            case "SCMP_ACT_KILL_PROCESS": self = .killProcess
            case "SCMP_ACT_TRAP": self = .trap
            case "SCMP_ACT_ERRNO": self = .errno(errnoRet ?? UInt32(EPERM))
            case "SCMP_ACT_TRACE": self = .trace(errnoRet ?? UInt32(EPERM))
            case "SCMP_ACT_ALLOW": self = .allow
            case "SCMP_ACT_LOG": self = .log
            case "SCMP_ACT_NOTIFY": self = .notify
            default: throw CoveError("seccomp: unknown action \(name)")
            }
        }

        var raw: UInt32 {
            switch self {
            case .killThread: UInt32(SCMP_ACT_KILL_THREAD)
            case .killProcess: SCMP_ACT_KILL_PROCESS
            case .trap: UInt32(SCMP_ACT_TRAP)
            case .errno(let e): cove_scmp_act_errno(e)
            case .trace(let m): cove_scmp_act_trace(m)
            case .allow: UInt32(SCMP_ACT_ALLOW)
            case .log: UInt32(SCMP_ACT_LOG)
            case .notify: UInt32(SCMP_ACT_NOTIFY)
            }
        }
    }

    public enum Operator: String, Equatable {
        case notEqual = "SCMP_CMP_NE", lessThan = "SCMP_CMP_LT", lessOrEqual = "SCMP_CMP_LE", equal = "SCMP_CMP_EQ"
        case greaterOrEqual = "SCMP_CMP_GE", greaterThan = "SCMP_CMP_GT", maskedEqual = "SCMP_CMP_MASKED_EQ"

        var raw: scmp_compare {
            switch self {
            case .notEqual: SCMP_CMP_NE
            case .lessThan: SCMP_CMP_LT
            case .lessOrEqual: SCMP_CMP_LE
            case .equal: SCMP_CMP_EQ
            case .greaterOrEqual: SCMP_CMP_GE
            case .greaterThan: SCMP_CMP_GT
            case .maskedEqual: SCMP_CMP_MASKED_EQ
            }
        }
    }

    public struct Condition: Equatable {
        public var index: UInt32
        public var value: UInt64
        public var valueTwo: UInt64
        public var op: Operator

        public init(index: UInt32, value: UInt64, valueTwo: UInt64 = 0, op: Operator) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }
    }

    public struct Rule: Equatable {
        public var names: [String]
        public var action: Action
        public var conditions: [Condition]

        public init(names: [String], action: Action, conditions: [Condition] = []) {
            self.names = names
            self.action = action
            self.conditions = conditions
        }
    }

    public var defaultAction: Action
    /// Spec names such as `SCMP_ARCH_X86_64`.
    public var architectures: [String]
    /// Spec names such as `SECCOMP_FILTER_FLAG_LOG`.
    public var flags: [String]
    public var rules: [Rule]

    public init(defaultAction: Action, architectures: [String] = [], flags: [String] = [], rules: [Rule] = []) {
        self.defaultAction = defaultAction
        self.architectures = architectures
        self.flags = flags
        self.rules = rules
    }

    public var usesNotify: Bool { defaultAction == .notify || rules.contains { $0.action == .notify } }

    public static let supportedFlags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]
    public static let supportedArchitectures = [
        "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
        "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
        "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
    ]
    public static let supportedActions = [
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
        "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
    ]
}
