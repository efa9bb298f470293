/// Cgroups' own mirror of the OCI `linux.resources` object. The `Container` module converts the OCI
/// types into these, so Cgroups does not depend on OCI. A nil field means "leave the current value alone":
/// `apply` is also how `cove update` changes a live cgroup.
public struct CgroupResources: Equatable, Sendable {
    public var memory: MemoryLimits?
    public var cpu: CPULimits?
    public var pids: PidsLimits?
    public var blockIO: BlockIOLimits?
    public var hugepageLimits: [HugepageLimit]
    public var network: NetworkSettings?
    public var devices: [DeviceRule]
    /// Keyed by RDMA device name (e.g. `mlx5_1`).
    public var rdma: [String: RdmaLimit]
    /// cgroup v2 file name → value, written as is (`linux.resources.unified`).
    public var unified: [String: String]

    public init(memory: MemoryLimits? = nil, cpu: CPULimits? = nil, pids: PidsLimits? = nil,
                blockIO: BlockIOLimits? = nil, hugepageLimits: [HugepageLimit] = [],
                network: NetworkSettings? = nil, devices: [DeviceRule] = [],
                rdma: [String: RdmaLimit] = [:], unified: [String: String] = [:]) {
        self.memory = memory
        self.cpu = cpu
        self.pids = pids
        self.blockIO = blockIO
        self.hugepageLimits = hugepageLimits
        self.network = network
        self.devices = devices
        self.rdma = rdma
        self.unified = unified
    }

    public var isEmpty: Bool { self == CgroupResources() }
}

/// `linux.resources.memory`. Byte values; -1 means unlimited. `swap` has the v1 meaning of the OCI spec:
/// memory + swap together (memory.memsw.limit_in_bytes); on v2 it is converted to swap alone.
public struct MemoryLimits: Equatable, Sendable {
    public var limit: Int64?
    public var reservation: Int64?
    public var swap: Int64?
    /// Deprecated in the spec and ignored by current kernels; reported as a warning when set.
    public var kernel: Int64?
    public var kernelTCP: Int64?
    public var swappiness: UInt64?
    public var disableOOMKiller: Bool?
    public var useHierarchy: Bool?
    /// Refuse a new limit below the current usage instead of letting the kernel reclaim or OOM-kill.
    public var checkBeforeUpdate: Bool?

    public init(limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil, kernel: Int64? = nil,
                kernelTCP: Int64? = nil, swappiness: UInt64? = nil, disableOOMKiller: Bool? = nil,
                useHierarchy: Bool? = nil, checkBeforeUpdate: Bool? = nil) {
        self.limit = limit
        self.reservation = reservation
        self.swap = swap
        self.kernel = kernel
        self.kernelTCP = kernelTCP
        self.swappiness = swappiness
        self.disableOOMKiller = disableOOMKiller
        self.useHierarchy = useHierarchy
        self.checkBeforeUpdate = checkBeforeUpdate
    }
}

/// `linux.resources.cpu`. `shares` uses the v1 scale (2…262144, default 1024) and is converted to
/// cpu.weight on v2; 0 means unset, as in runc. Quota -1 means no limit. Periods and runtimes are in
/// microseconds.
public struct CPULimits: Equatable, Sendable {
    public var shares: UInt64?
    public var quota: Int64?
    public var period: UInt64?
    public var burst: UInt64?
    public var realtimeRuntime: Int64?
    public var realtimePeriod: UInt64?
    public var cpus: String?
    public var mems: String?
    public var idle: Int64?

    public init(shares: UInt64? = nil, quota: Int64? = nil, period: UInt64? = nil, burst: UInt64? = nil,
                realtimeRuntime: Int64? = nil, realtimePeriod: UInt64? = nil, cpus: String? = nil,
                mems: String? = nil, idle: Int64? = nil) {
        self.shares = shares
        self.quota = quota
        self.period = period
        self.burst = burst
        self.realtimeRuntime = realtimeRuntime
        self.realtimePeriod = realtimePeriod
        self.cpus = cpus
        self.mems = mems
        self.idle = idle
    }
}

/// `linux.resources.pids`: a limit above 0 is the maximum number of tasks; 0 or below means "max".
public struct PidsLimits: Equatable, Sendable {
    public var limit: Int64
    public init(limit: Int64) { self.limit = limit }
}

/// `linux.resources.blockIO`. Weights use the v1 scale (10…1000) and are converted to io.weight on v2;
/// a weight of 0 means unset, as in runc.
public struct BlockIOLimits: Equatable, Sendable {
    public var weight: UInt16?
    public var leafWeight: UInt16?
    public var weightDevice: [WeightDevice]
    public var throttleReadBpsDevice: [ThrottleDevice]
    public var throttleWriteBpsDevice: [ThrottleDevice]
    public var throttleReadIOPSDevice: [ThrottleDevice]
    public var throttleWriteIOPSDevice: [ThrottleDevice]

    public init(weight: UInt16? = nil, leafWeight: UInt16? = nil, weightDevice: [WeightDevice] = [],
                throttleReadBpsDevice: [ThrottleDevice] = [], throttleWriteBpsDevice: [ThrottleDevice] = [],
                throttleReadIOPSDevice: [ThrottleDevice] = [], throttleWriteIOPSDevice: [ThrottleDevice] = []) {
        self.weight = weight
        self.leafWeight = leafWeight
        self.weightDevice = weightDevice
        self.throttleReadBpsDevice = throttleReadBpsDevice
        self.throttleWriteBpsDevice = throttleWriteBpsDevice
        self.throttleReadIOPSDevice = throttleReadIOPSDevice
        self.throttleWriteIOPSDevice = throttleWriteIOPSDevice
    }
}

public struct WeightDevice: Equatable, Sendable {
    public var major: Int64
    public var minor: Int64
    public var weight: UInt16?
    public var leafWeight: UInt16?
    public init(major: Int64, minor: Int64, weight: UInt16? = nil, leafWeight: UInt16? = nil) {
        self.major = major
        self.minor = minor
        self.weight = weight
        self.leafWeight = leafWeight
    }
}

/// A per-device rate: bytes or I/O operations per second.
public struct ThrottleDevice: Equatable, Sendable {
    public var major: Int64
    public var minor: Int64
    public var rate: UInt64
    public init(major: Int64, minor: Int64, rate: UInt64) {
        self.major = major
        self.minor = minor
        self.rate = rate
    }
}

/// `pageSize` as the spec writes it: `2MB`, `1GB`, `64KB`.
public struct HugepageLimit: Equatable, Sendable {
    public var pageSize: String
    public var limit: UInt64
    public init(pageSize: String, limit: UInt64) {
        self.pageSize = pageSize
        self.limit = limit
    }
}

/// `linux.resources.network`: net_cls and net_prio, which exist only on cgroup v1.
public struct NetworkSettings: Equatable, Sendable {
    public var classID: UInt32?
    public var priorities: [InterfacePriority]
    public init(classID: UInt32? = nil, priorities: [InterfacePriority] = []) {
        self.classID = classID
        self.priorities = priorities
    }
}

public struct InterfacePriority: Equatable, Sendable {
    public var name: String
    public var priority: UInt32
    public init(name: String, priority: UInt32) {
        self.name = name
        self.priority = priority
    }
}

/// One `linux.resources.devices` rule. Rules apply in order; a later rule wins over an earlier one.
public struct DeviceRule: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case all = "a", char = "c", block = "b"
    }

    public var allow: Bool
    public var type: Kind
    /// nil matches every major/minor number (`*`).
    public var major: Int64?
    public var minor: Int64?
    /// Some of `r`, `w`, `m`; empty means all three.
    public var access: String

    public init(allow: Bool, type: Kind = .all, major: Int64? = nil, minor: Int64? = nil, access: String = "rwm") {
        self.allow = allow
        self.type = type
        self.major = major
        self.minor = minor
        self.access = access
    }

    /// The v1 devices.allow/devices.deny line: `c 1:3 rwm`, `a *:* rwm`.
    public var v1Line: String {
        let ma = major.map(String.init) ?? "*"
        let mi = minor.map(String.init) ?? "*"
        return "\(type.rawValue) \(ma):\(mi) \(access.isEmpty ? "rwm" : access)"
    }
}

public struct RdmaLimit: Equatable, Sendable {
    public var hcaHandles: UInt32?
    public var hcaObjects: UInt32?
    public init(hcaHandles: UInt32? = nil, hcaObjects: UInt32? = nil) {
        self.hcaHandles = hcaHandles
        self.hcaObjects = hcaObjects
    }
}
