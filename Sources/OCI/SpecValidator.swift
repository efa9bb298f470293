/// Checks that a decoded spec can run on Linux with Cove: versions, absolute paths, namespace rules,
/// and fields Cove cannot honour (a clear error rather than silently ignoring them). Pure: no file access.
public enum SpecValidator {
    /// Features Cove does not implement are refused by name.
    public static func validateForLinux(_ spec: Spec, source: String = "config.json") throws {
        func fail(_ field: String, _ why: String) -> SpecError { SpecError("\(source): \(field): \(why)") }
        func absolute(_ p: String, _ field: String) throws {
            if !p.hasPrefix("/") { throw fail(field, "must be an absolute path, got '\(p)'") }
        }

        guard let v = SpecVersion(spec.ociVersion) else {
            throw fail("ociVersion", "'\(spec.ociVersion)' is not a version like 1.2.0")
        }
        guard v.major == 1, v.minor <= 3 else {
            throw fail("ociVersion", "\(spec.ociVersion) is not supported (Cove runs 1.0.0 to 1.3.x)")
        }
        for (name, set) in [("solaris", spec.solaris != nil), ("windows", spec.windows != nil), ("vm", spec.vm != nil),
                            ("zos", spec.zos != nil), ("freebsd", spec.freebsd != nil)] where set {
            throw fail(name, "this platform section cannot be used on Linux")
        }
        guard let root = spec.root else { throw fail("root", "required to run a container") }
        if root.path.isEmpty { throw fail("root.path", "must not be empty") }
        guard let process = spec.process else { throw fail("process", "required to run a container") }
        guard let args = process.args, !args.isEmpty, !args[0].isEmpty else {
            throw fail("process.args", "must name the program to run")
        }
        if process.commandLine != nil { throw fail("process.commandLine", "is for Windows; use process.args") }
        try absolute(process.cwd, "process.cwd")
        for (i, e) in (process.env ?? []).enumerated() where !e.contains("=") || e.hasPrefix("=") {
            throw fail("process.env[\(i)]", "'\(e)' is not NAME=VALUE")
        }
        if process.apparmorProfile.map({ !$0.isEmpty }) == true {
            throw fail("process.apparmorProfile", "AppArmor is not available to Cove on this host")
        }
        if process.selinuxLabel.map({ !$0.isEmpty }) == true {
            throw fail("process.selinuxLabel", "SELinux is not available to Cove on this host")
        }
        if let s = process.scheduler {
            let realtime = s.policy == .fifo || s.policy == .rr
            if let p = s.priority, realtime ? !(1...99).contains(p) : p != 0 {
                throw fail("process.scheduler.priority", "\(p) is not valid for \(s.policy.rawValue)")
            }
            if let n = s.nice, !(-20...19).contains(n) { throw fail("process.scheduler.nice", "\(n) is not in -20...19") }
            if s.policy != .deadline && (s.runtime != nil || s.deadline != nil || s.period != nil) {
                throw fail("process.scheduler", "runtime, deadline and period are for SCHED_DEADLINE only")
            }
        }
        if let io = process.ioPriority, let p = io.priority, !(0...7).contains(p) {
            throw fail("process.ioPriority.priority", "\(p) is not in 0...7")
        }
        if process.execCPUAffinity != nil { throw fail("process.execCPUAffinity", "not supported yet") }
        if let caps = process.capabilities {
            _ = try CapabilityName.mask(caps.bounding, field: "\(source): process.capabilities.bounding")
            _ = try CapabilityName.mask(caps.effective, field: "\(source): process.capabilities.effective")
            _ = try CapabilityName.mask(caps.inheritable, field: "\(source): process.capabilities.inheritable")
            _ = try CapabilityName.mask(caps.permitted, field: "\(source): process.capabilities.permitted")
            _ = try CapabilityName.mask(caps.ambient, field: "\(source): process.capabilities.ambient")
        }
        for (i, r) in (process.rlimits ?? []).enumerated() {
            if RlimitName.number(r.type) == nil { throw fail("process.rlimits[\(i)].type", "unknown rlimit '\(r.type)'") }
            if r.soft > r.hard { throw fail("process.rlimits[\(i)]", "soft limit \(r.soft) is above hard limit \(r.hard)") }
        }
        var seenRlimits = Set<String>()
        for (i, r) in (process.rlimits ?? []).enumerated() where !seenRlimits.insert(r.type).inserted {
            throw fail("process.rlimits[\(i)].type", "\(r.type) is given twice")
        }

        for (i, m) in (spec.mounts ?? []).enumerated() {
            try absolute(m.destination, "mounts[\(i)].destination")
            let opts = m.options ?? []
            let wantsIDMap = m.uidMappings != nil || m.gidMappings != nil || opts.contains("idmap") || opts.contains("ridmap")
            if wantsIDMap {
                guard opts.contains("bind") || opts.contains("rbind") else {
                    throw fail("mounts[\(i)]", "idmapped mounts must be bind mounts (options bind or rbind)")
                }
                guard let u = m.uidMappings, !u.isEmpty, let g = m.gidMappings, !g.isEmpty else {
                    throw fail("mounts[\(i)]", "an idmapped mount needs both uidMappings and gidMappings")
                }
            }
        }
        for (kind, hooks) in spec.hooks?.all ?? [] {
            for (i, h) in hooks.enumerated() { try absolute(h.path, "hooks.\(kind)[\(i)].path") }
        }

        let linux = spec.linux ?? Linux()
        var kinds = Set<Linux.NamespaceType>()
        for (i, ns) in (linux.namespaces ?? []).enumerated() {
            if !kinds.insert(ns.type).inserted { throw fail("linux.namespaces[\(i)]", "namespace '\(ns.type.rawValue)' is given twice") }
            if let p = ns.path { try absolute(p, "linux.namespaces[\(i)].path") }
        }
        let userNS = linux.namespaces?.first { $0.type == .user }
        let hasMappings = !(linux.uidMappings ?? []).isEmpty || !(linux.gidMappings ?? []).isEmpty
        if hasMappings && userNS == nil {
            throw fail("linux.uidMappings", "id mappings need a user namespace in linux.namespaces")
        }
        if let userNS, userNS.path == nil {
            if (linux.uidMappings ?? []).isEmpty { throw fail("linux.uidMappings", "a new user namespace needs uid mappings") }
            if (linux.gidMappings ?? []).isEmpty { throw fail("linux.gidMappings", "a new user namespace needs gid mappings") }
        }
        if let userNS, userNS.path != nil, hasMappings {
            throw fail("linux.uidMappings", "mappings cannot be set when joining an existing user namespace")
        }
        let newUTS = kinds.contains(.uts) && linux.namespaces?.first(where: { $0.type == .uts })?.path == nil
        if let h = spec.hostname, !h.isEmpty, !newUTS { throw fail("hostname", "needs a new uts namespace") }
        if let d = spec.domainname, !d.isEmpty, !newUTS { throw fail("domainname", "needs a new uts namespace") }
        if linux.timeOffsets != nil, !(kinds.contains(.time) && linux.namespaces?.first(where: { $0.type == .time })?.path == nil) {
            throw fail("linux.timeOffsets", "needs a new time namespace")
        }
        if !kinds.contains(.mount) { throw fail("linux.namespaces", "a mount namespace is required") }
        for (key, _) in linux.sysctl ?? [:] {
            if key.hasPrefix("net.") && !kinds.contains(.network) { throw fail("linux.sysctl.\(key)", "needs a network namespace") }
            let ipc = key.hasPrefix("kernel.msg") || key.hasPrefix("kernel.sem") || key.hasPrefix("kernel.shm") || key.hasPrefix("fs.mqueue.")
            if ipc && !kinds.contains(.ipc) { throw fail("linux.sysctl.\(key)", "needs an ipc namespace") }
            if !ipc && !key.hasPrefix("net.") { throw fail("linux.sysctl.\(key)", "not namespaced: it would change the host") }
        }
        for (i, p) in (linux.maskedPaths ?? []).enumerated() { try absolute(p, "linux.maskedPaths[\(i)]") }
        for (i, p) in (linux.readonlyPaths ?? []).enumerated() { try absolute(p, "linux.readonlyPaths[\(i)]") }
        for (i, d) in (linux.devices ?? []).enumerated() {
            try absolute(d.path, "linux.devices[\(i)].path")
            if d.type != "p" && (d.major == nil || d.minor == nil) {
                throw fail("linux.devices[\(i)]", "major and minor are required for type \(d.type)")
            }
        }
        if let cp = linux.cgroupsPath, cp.contains("..") { throw fail("linux.cgroupsPath", "must not contain '..'") }
        if linux.mountLabel.map({ !$0.isEmpty }) == true { throw fail("linux.mountLabel", "SELinux is not available to Cove on this host") }
        if linux.intelRdt != nil { throw fail("linux.intelRdt", "Intel RDT (resctrl) is not supported by Cove") }
        if linux.memoryPolicy != nil { throw fail("linux.memoryPolicy", "not supported yet") }
        for (name, dev) in (linux.netDevices ?? [:]).sorted(by: { $0.key < $1.key }) {
            let newNet = linux.namespaces?.contains { $0.type == .network && $0.path == nil } == true
            if !newNet { throw fail("linux.netDevices.\(name)", "needs a new network namespace") }
            func valid(_ n: String) -> Bool {
                !n.isEmpty && n.utf8.count <= 15 && n != "." && n != ".." && !n.contains("/") && !n.contains(where: \.isWhitespace)
            }
            if !valid(name) { throw fail("linux.netDevices", "'\(name)' is not a valid interface name") }
            if let n = dev.name, !n.isEmpty, !valid(n) { throw fail("linux.netDevices.\(name).name", "'\(n)' is not a valid interface name") }
        }
        if let p = linux.personality, let flags = p.flags, !flags.isEmpty {
            throw fail("linux.personality.flags", "no personality flags are supported, got \(flags)")
        }
    }
}

/// `major.minor.patch[-suffix]`.
public struct SpecVersion: Comparable, Sendable {
    public var major: Int, minor: Int, patch: Int

    public init?(_ text: String) {
        let core = text.split(separator: "-", maxSplits: 1).first.map(String.init) ?? ""
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let a = Int(parts[0]), let b = Int(parts[1]), let c = Int(parts[2]) else { return nil }
        major = a; minor = b; patch = c
    }

    public static func < (l: SpecVersion, r: SpecVersion) -> Bool {
        (l.major, l.minor, l.patch) < (r.major, r.minor, r.patch)
    }
}

/// RLIMIT_* names and their numbers on Linux.
public enum RlimitName {
    public static let all: [String: Int32] = [
        "RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_CORE": 4, "RLIMIT_RSS": 5,
        "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7, "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9, "RLIMIT_LOCKS": 10,
        "RLIMIT_SIGPENDING": 11, "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13, "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
    ]
    public static func number(_ name: String) -> Int32? { all[name] }
}
