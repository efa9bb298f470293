import FoundationEssentials

/// The OCI runtime configuration (config.json), runtime-spec 1.3.0. Field names are the spec's.
/// Platform sections Cove cannot run (windows, solaris, vm, zos) are kept as raw JSON so that decoding
/// never drops them; `SpecValidator` then refuses them with a clear error.
public struct Spec: Encodable, Equatable, Sendable {
    public var ociVersion: String
    public var process: Process?
    public var root: Root?
    public var hostname: String?
    public var domainname: String?
    public var mounts: [Mount]?
    public var hooks: Hooks?
    public var annotations: [String: String]?
    public var linux: Linux?
    public var freebsd: FreeBSD?
    public var solaris: JSONValue?
    public var windows: JSONValue?
    public var vm: JSONValue?
    public var zos: JSONValue?

    public init(ociVersion: String = Spec.version) { self.ociVersion = ociVersion }

    /// The spec version Cove implements.
    public static let version = "1.3.0"
}

public struct Root: Encodable, Equatable, Sendable {
    public var path: String
    public var readonly: Bool?
    public init(path: String, readonly: Bool? = nil) {
        self.path = path
        self.readonly = readonly
    }
}

public struct Mount: Encodable, Equatable, Sendable {
    public var destination: String
    public var source: String?
    public var options: [String]?
    public var type: String?
    public var uidMappings: [IDMapping]?
    public var gidMappings: [IDMapping]?
    public init(destination: String, type: String? = nil, source: String? = nil, options: [String]? = nil) {
        self.destination = destination
        self.type = type
        self.source = source
        self.options = options
    }
}

public struct IDMapping: Encodable, Equatable, Sendable {
    public var containerID: UInt32
    public var hostID: UInt32
    public var size: UInt32
    public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
        self.containerID = containerID
        self.hostID = hostID
        self.size = size
    }
}

public struct Process: Encodable, Equatable, Sendable {
    public var terminal: Bool?
    public var consoleSize: ConsoleSize?
    public var user: User?
    public var args: [String]?
    public var commandLine: String?
    public var env: [String]?
    public var cwd: String
    public var capabilities: Capabilities?
    public var rlimits: [Rlimit]?
    public var noNewPrivileges: Bool?
    public var apparmorProfile: String?
    public var oomScoreAdj: Int?
    public var scheduler: Scheduler?
    public var selinuxLabel: String?
    public var ioPriority: IOPriority?
    public var execCPUAffinity: CPUAffinity?

    public init(args: [String], cwd: String = "/") {
        self.args = args
        self.cwd = cwd
    }

    public struct ConsoleSize: Encodable, Equatable, Sendable {
        public var height: UInt64
        public var width: UInt64
    }

    public struct User: Encodable, Equatable, Sendable {
        public var uid: UInt32?
        public var gid: UInt32?
        public var umask: UInt32?
        public var additionalGids: [UInt32]?
        public var username: String?
        public init(uid: UInt32 = 0, gid: UInt32 = 0) {
            self.uid = uid
            self.gid = gid
        }
    }

    public struct Capabilities: Encodable, Equatable, Sendable {
        public var bounding: [String]?
        public var effective: [String]?
        public var inheritable: [String]?
        public var permitted: [String]?
        public var ambient: [String]?
        public init(bounding: [String]? = nil, effective: [String]? = nil, inheritable: [String]? = nil,
                    permitted: [String]? = nil, ambient: [String]? = nil) {
            self.bounding = bounding
            self.effective = effective
            self.inheritable = inheritable
            self.permitted = permitted
            self.ambient = ambient
        }
    }

    public struct Rlimit: Encodable, Equatable, Sendable {
        public var type: String
        public var hard: UInt64
        public var soft: UInt64
        public init(type: String, hard: UInt64, soft: UInt64) {
            self.type = type
            self.hard = hard
            self.soft = soft
        }
    }

    public struct Scheduler: Encodable, Equatable, Sendable {
        public enum Policy: String, Encodable, Sendable {
            case other = "SCHED_OTHER", fifo = "SCHED_FIFO", rr = "SCHED_RR", batch = "SCHED_BATCH"
            case iso = "SCHED_ISO", idle = "SCHED_IDLE", deadline = "SCHED_DEADLINE"
        }
        public enum Flag: String, Encodable, Sendable {
            case resetOnFork = "SCHED_FLAG_RESET_ON_FORK", reclaim = "SCHED_FLAG_RECLAIM"
            case dlOverrun = "SCHED_FLAG_DL_OVERRUN", keepPolicy = "SCHED_FLAG_KEEP_POLICY"
            case keepParams = "SCHED_FLAG_KEEP_PARAMS", utilClampMin = "SCHED_FLAG_UTIL_CLAMP_MIN"
            case utilClampMax = "SCHED_FLAG_UTIL_CLAMP_MAX"
        }
        public var policy: Policy
        public var nice: Int32?
        public var priority: Int32?
        public var flags: [Flag]?
        public var runtime: UInt64?
        public var deadline: UInt64?
        public var period: UInt64?
    }

    public struct IOPriority: Encodable, Equatable, Sendable {
        public enum Class: String, Encodable, Sendable {
            case rt = "IOPRIO_CLASS_RT", be = "IOPRIO_CLASS_BE", idle = "IOPRIO_CLASS_IDLE"
        }
        public var `class`: Class
        public var priority: Int32?
    }

    public struct CPUAffinity: Encodable, Equatable, Sendable {
        public var initial: String?
        public var final: String?
    }
}

public struct Hook: Encodable, Equatable, Sendable {
    public var path: String
    public var args: [String]?
    public var env: [String]?
    public var timeout: Int?
    public init(path: String, args: [String]? = nil, env: [String]? = nil, timeout: Int? = nil) {
        self.path = path
        self.args = args
        self.env = env
        self.timeout = timeout
    }
}

public struct Hooks: Encodable, Equatable, Sendable {
    public var prestart: [Hook]?
    public var createRuntime: [Hook]?
    public var createContainer: [Hook]?
    public var startContainer: [Hook]?
    public var poststart: [Hook]?
    public var poststop: [Hook]?
    public init() {}

    /// The hook lists by their spec names, for messages and `features`.
    public static let names = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
}

/// FreeBSD jails: typed only so that decoding checks its enums (the spec's fixtures test them).
public struct FreeBSD: Encodable, Equatable, Sendable {
    public enum SharingMode: String, Encodable, Sendable { case disable, new, inherit }
    public enum SharingModeNoDisable: String, Encodable, Sendable { case new, inherit }
    public struct Device: Encodable, Equatable, Sendable {
        public var path: String?
        public var mode: UInt32?
    }
    public struct Jail: Encodable, Equatable, Sendable {
        public struct Allow: Encodable, Equatable, Sendable {
            public var setHostname, rawSockets, chflags: Bool?
            public var mount: [String]?
            public var quotas, socketAf, mlock, reservedPorts, suser: Bool?
        }
        public var parent: String?
        public var host: SharingModeNoDisable?
        public var ip4: SharingMode?
        public var ip4Addr: [String]?
        public var ip6: SharingMode?
        public var ip6Addr: [String]?
        public var vnet: SharingModeNoDisable?
        public var interface: String?
        public var vnetInterfaces: [String]?
        public var sysvmsg, sysvsem, sysvshm: SharingMode?
        public var enforceStatfs: UInt8?
        public var allow: Allow?
    }
    public var devices: [Device]?
    public var jail: Jail?
}
