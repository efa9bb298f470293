import FoundationEssentials

/// The `linux` section of config.json.
public struct Linux: Encodable, Equatable, Sendable {
    public var namespaces: [Namespace]?
    public var uidMappings: [IDMapping]?
    public var gidMappings: [IDMapping]?
    public var timeOffsets: TimeOffsets?
    public var devices: [Device]?
    public var netDevices: [String: NetDevice]?
    public var cgroupsPath: String?
    public var resources: Resources?
    public var rootfsPropagation: RootfsPropagation?
    public var seccomp: Seccomp?
    public var sysctl: [String: String]?
    public var maskedPaths: [String]?
    public var readonlyPaths: [String]?
    public var mountLabel: String?
    public var intelRdt: IntelRdt?
    public var memoryPolicy: MemoryPolicy?
    public var personality: Personality?

    public init() {}

    public enum NamespaceType: String, Encodable, Sendable, CaseIterable {
        case mount, pid, network, uts, ipc, user, cgroup, time
    }

    public struct Namespace: Encodable, Equatable, Sendable {
        public var type: NamespaceType
        public var path: String?
        public init(type: NamespaceType, path: String? = nil) {
            self.type = type
            self.path = path
        }
    }

    public struct TimeOffsets: Encodable, Equatable, Sendable {
        public struct Offset: Encodable, Equatable, Sendable {
            public var secs: Int64?
            public var nanosecs: UInt32?
        }
        public var boottime: Offset?
        public var monotonic: Offset?
    }

    public struct Device: Encodable, Equatable, Sendable {
        public var type: String
        public var path: String
        public var major: Int64?
        public var minor: Int64?
        public var fileMode: UInt32?
        public var uid: UInt32?
        public var gid: UInt32?
        public init(type: String, path: String, major: Int64, minor: Int64, fileMode: UInt32? = nil) {
            self.type = type
            self.path = path
            self.major = major
            self.minor = minor
            self.fileMode = fileMode
        }
    }

    public struct NetDevice: Encodable, Equatable, Sendable {
        public var name: String?
    }

    public enum RootfsPropagation: String, Encodable, Sendable {
        case `private`, shared, slave, unbindable
    }

    public struct IntelRdt: Encodable, Equatable, Sendable {
        public var closID: String?
        public var schemata: [String]?
        public var l3CacheSchema: String?
        public var memBwSchema: String?
        public var enableMonitoring: Bool?
    }

    public struct MemoryPolicy: Encodable, Equatable, Sendable {
        public enum Mode: String, Encodable, Sendable {
            case `default` = "MPOL_DEFAULT", bind = "MPOL_BIND", interleave = "MPOL_INTERLEAVE"
            case weightedInterleave = "MPOL_WEIGHTED_INTERLEAVE", preferred = "MPOL_PREFERRED"
            case preferredMany = "MPOL_PREFERRED_MANY", local = "MPOL_LOCAL"
        }
        public enum Flag: String, Encodable, Sendable {
            case numaBalancing = "MPOL_F_NUMA_BALANCING", relativeNodes = "MPOL_F_RELATIVE_NODES"
            case staticNodes = "MPOL_F_STATIC_NODES"
        }
        public var mode: Mode?
        public var nodes: String?
        public var flags: [Flag]?
    }

    public struct Personality: Encodable, Equatable, Sendable {
        public enum Domain: String, Encodable, Sendable { case linux = "LINUX", linux32 = "LINUX32" }
        public var domain: Domain?
        public var flags: [String]?
    }

    /// Shape only: filters are installed by the seccomp work (issue 6); until then a config with seccomp is refused.
    public struct Seccomp: Encodable, Equatable, Sendable {
        public enum Action: String, Encodable, Sendable {
            case kill = "SCMP_ACT_KILL", killProcess = "SCMP_ACT_KILL_PROCESS", killThread = "SCMP_ACT_KILL_THREAD"
            case trap = "SCMP_ACT_TRAP", errno = "SCMP_ACT_ERRNO", trace = "SCMP_ACT_TRACE"
            case allow = "SCMP_ACT_ALLOW", log = "SCMP_ACT_LOG", notify = "SCMP_ACT_NOTIFY"
        }
        public enum Flag: String, Encodable, Sendable {
            case tsync = "SECCOMP_FILTER_FLAG_TSYNC", log = "SECCOMP_FILTER_FLAG_LOG"
            case specAllow = "SECCOMP_FILTER_FLAG_SPEC_ALLOW"
            case waitKillableRecv = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"
        }
        public enum Operator: String, Encodable, Sendable {
            case ne = "SCMP_CMP_NE", lt = "SCMP_CMP_LT", le = "SCMP_CMP_LE", eq = "SCMP_CMP_EQ"
            case ge = "SCMP_CMP_GE", gt = "SCMP_CMP_GT", maskedEq = "SCMP_CMP_MASKED_EQ"
        }
        public struct Arg: Encodable, Equatable, Sendable {
            public var index: UInt32
            public var value: UInt64
            public var valueTwo: UInt64?
            public var op: Operator
        }
        public struct Syscall: Encodable, Equatable, Sendable {
            public var names: [String]
            public var action: Action
            public var errnoRet: UInt32?
            public var args: [Arg]?
        }
        public var defaultAction: Action
        public var defaultErrnoRet: UInt32?
        public var flags: [Flag]?
        public var listenerPath: String?
        public var listenerMetadata: String?
        public var architectures: [String]?
        public var syscalls: [Syscall]?
    }
}
