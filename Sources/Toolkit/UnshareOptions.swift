import Kernel

/// What `cove unshare` was asked to do, already parsed and checked.
public struct UnshareOptions {
    /// The namespaces to create; a non-nil value is the file the namespace is bind-mounted on to persist it.
    public var namespaces = NamespaceSelection()
    public var fork = false
    public var mountProc: String?
    public var killChild: Int32?
    public var propagation: Propagation = .private
    public var root: String?
    public var workingDirectory: String?
    /// nil leaves /proc/PID/setgroups alone (a map that needs "deny" still writes it).
    public var setgroupsAllow: Bool?
    public var uidMaps: [IDMapping] = []
    public var gidMaps: [IDMapping] = []
    /// Map ranges from /etc/subuid and /etc/subgid through newuidmap/newgidmap.
    public var uidMapAuto = false
    public var gidMapAuto = false
    public var keepCaps = false
    public var monotonicOffset: Int64?
    public var boottimeOffset: Int64?
    public var hostname: String?
    public var command: [String] = []

    /// The caller's ids in the original user namespace, fixed before unshare(2) changes what geteuid() says.
    public let hostUID = Identity.effectiveUID
    public let hostGID = Identity.effectiveGID
    public let hostIsRoot = Identity.isRoot

    public init() {}

    var flags: CloneFlags {
        namespaces.kinds.reduce(into: CloneFlags()) { $0.insert($1.cloneFlag) }
    }

    var persisted: [(NamespaceKind, String)] {
        NamespaceKind.joinOrder.reversed().compactMap { kind in
            guard let entry = namespaces[kind], let file = entry else { return nil }
            return (kind, file)
        }
    }

    public var hasMaps: Bool { !uidMaps.isEmpty || !gidMaps.isEmpty || uidMapAuto || gidMapAuto }

    /// The process can write its own maps only for the one-line "map my own id" case (user_namespaces(7));
    /// anything else is written from the parent namespace by a helper child.
    var canWriteOwnMaps: Bool {
        if uidMapAuto || gidMapAuto { return false }
        let uid = hostUID, gid = hostGID
        let uidOK = uidMaps.isEmpty || (uidMaps.count == 1 && uidMaps[0].outer == uid && uidMaps[0].count == 1)
        let gidOK = gidMaps.isEmpty || (gidMaps.count == 1 && gidMaps[0].outer == gid && gidMaps[0].count == 1 && setgroupsAllow != true)
        return uidOK && gidOK
    }

    /// Cross-option checks, as util-linux makes them.
    public func validate() throws {
        if hasMaps || keepCaps, namespaces[.user] == nil {
            throw CoveError("options --map-* and --keep-caps need --user")
        }
        try IDMap.validate(uidMaps, what: "uid map")
        try IDMap.validate(gidMaps, what: "gid map")
        if (monotonicOffset != nil || boottimeOffset != nil), namespaces[.time] == nil {
            throw CoveError("options --monotonic and --boottime need --time")
        }
        if hostname != nil, namespaces[.uts] == nil {
            throw CoveError("option --hostname needs --uts")
        }
        if setgroupsAllow == true, !gidMaps.isEmpty, canWriteOwnMapsIgnoringSetgroups {
            throw CoveError("--setgroups=allow and a gid map of only your own group (--map-root-user, --map-current-user, --map-group) are mutually exclusive")
        }
        for (kind, file) in persisted where file.isEmpty {
            throw CoveError("--\(kind.procName): empty file name")
        }
    }

    private var canWriteOwnMapsIgnoringSetgroups: Bool {
        !hostIsRoot && gidMaps.count == 1 && gidMaps[0].outer == hostGID && gidMaps[0].count == 1
    }
}
