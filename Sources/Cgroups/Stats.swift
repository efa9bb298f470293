/// Counters for `cove events --stats`, shaped like runc's `types.Stats` (JSON keys match runc's) so the
/// CLI can encode them directly. Byte and nanosecond units as runc reports them.
public struct CgroupStats: Equatable, Sendable, Codable {
    public var cpu = CPUStats()
    public var memory = MemoryStats()
    public var pids = PidsStats()
    public var blkio = BlkioStats()
    /// Page size (`2MB`) → usage.
    public var hugetlb: [String: HugetlbStats] = [:]

    public init() {}
}

public struct CPUStats: Equatable, Sendable, Codable {
    public struct Usage: Equatable, Sendable, Codable {
        /// Nanoseconds.
        public var total: UInt64 = 0
        public var percpu: [UInt64] = []
        public var percpuKernel: [UInt64] = []
        public var percpuUser: [UInt64] = []
        public var kernel: UInt64 = 0
        public var user: UInt64 = 0

        enum CodingKeys: String, CodingKey {
            case total, percpu, kernel, user
            case percpuKernel = "percpu_kernel", percpuUser = "percpu_user"
        }
    }

    public struct Throttling: Equatable, Sendable, Codable {
        public var periods: UInt64 = 0
        public var throttledPeriods: UInt64 = 0
        /// Nanoseconds.
        public var throttledTime: UInt64 = 0
    }

    public var usage = Usage()
    public var throttling = Throttling()
}

public struct MemoryEntry: Equatable, Sendable, Codable {
    /// UInt64.max when unlimited.
    public var limit: UInt64 = 0
    public var usage: UInt64 = 0
    public var max: UInt64 = 0
    public var failcnt: UInt64 = 0
}

public struct MemoryStats: Equatable, Sendable, Codable {
    public var cache: UInt64 = 0
    public var usage = MemoryEntry()
    public var swap = MemoryEntry()
    public var kernel = MemoryEntry()
    public var kernelTCP = MemoryEntry()
    /// memory.stat as is.
    public var raw: [String: UInt64] = [:]
}

public struct PidsStats: Equatable, Sendable, Codable {
    public var current: UInt64 = 0
    /// UInt64.max when unlimited ("max").
    public var limit: UInt64 = 0
}

public struct BlkioEntry: Equatable, Sendable, Codable {
    public var major: UInt64
    public var minor: UInt64
    public var op: String
    public var value: UInt64

    public init(major: UInt64, minor: UInt64, op: String, value: UInt64) {
        self.major = major
        self.minor = minor
        self.op = op
        self.value = value
    }
}

public struct BlkioStats: Equatable, Sendable, Codable {
    public var ioServiceBytesRecursive: [BlkioEntry] = []
    public var ioServicedRecursive: [BlkioEntry] = []
}

public struct HugetlbStats: Equatable, Sendable, Codable {
    public var usage: UInt64 = 0
    public var max: UInt64 = 0
    public var failcnt: UInt64 = 0
}
