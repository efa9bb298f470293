import FoundationEssentials

/// A container's state as `cove state` prints it: the runtime-spec State plus runc's rootfs, created and owner.
/// Hooks get the spec's fields only (`forHooks`).
public struct State: Encodable, TreeDecodable, Equatable, Sendable {
    public enum Status: String, Encodable, TreeDecodable, Sendable { case creating, created, running, paused, stopped }

    public var ociVersion: String
    public var id: String
    public var pid: Int32
    public var status: Status
    public var bundle: String
    public var rootfs: String?
    public var created: String?
    public var owner: String?
    public var annotations: [String: String]?

    public init(ociVersion: String = Spec.version, id: String, pid: Int32, status: Status, bundle: String,
                rootfs: String? = nil, created: String? = nil, owner: String? = nil, annotations: [String: String]? = nil) {
        self.ociVersion = ociVersion
        self.id = id
        self.pid = pid
        self.status = status
        self.bundle = bundle
        self.rootfs = rootfs
        self.created = created
        self.owner = owner
        self.annotations = annotations
    }

    public init(tree: TreeNode) throws {
        let o = try tree.object()
        ociVersion = try o.required("ociVersion")
        id = try o.required("id")
        pid = try o.required("pid")
        status = try o.required("status")
        bundle = try o.required("bundle")
        rootfs = try o.optional("rootfs")
        created = try o.optional("created")
        owner = try o.optional("owner")
        annotations = try o.optional("annotations")
    }

    /// The runtime-spec's state (what hooks read on stdin).
    public var forHooks: State {
        var s = self
        s.rootfs = nil
        s.created = nil
        s.owner = nil
        return s
    }

    /// runc's field order (JSONEncoder does not keep one); `pretty` indents like runc's `state` output.
    public func json(pretty: Bool = false) throws -> [UInt8] {
        var fields: [(String, String)] = [
            ("ociVersion", JSONText.quote(ociVersion)), ("id", JSONText.quote(id)), ("pid", String(pid)),
            ("status", JSONText.quote(status.rawValue)), ("bundle", JSONText.quote(bundle)),
        ]
        if let rootfs { fields.append(("rootfs", JSONText.quote(rootfs))) }
        if let created { fields.append(("created", JSONText.quote(created))) }
        if let owner { fields.append(("owner", JSONText.quote(owner))) }
        if let a = annotations, !a.isEmpty {
            let inner = a.keys.sorted().map { (pretty ? "    " : "") + JSONText.quote($0) + (pretty ? ": " : ":") + JSONText.quote(a[$0]!) }
            fields.append(("annotations", pretty ? "{\n" + JSONText.join(inner, ",\n") + "\n  }" : "{" + JSONText.join(inner, ",") + "}"))
        }
        let body = fields.map { (pretty ? "  " : "") + JSONText.quote($0.0) + (pretty ? ": " : ":") + $0.1 }
        return Array((pretty ? "{\n" + JSONText.join(body, ",\n") + "\n}" : "{" + JSONText.join(body, ",") + "}").utf8)
    }

    enum CodingKeys: String, CodingKey { case ociVersion, id, pid, status, bundle, rootfs, created, owner, annotations }

    /// runc prints `"annotations"` only when there are some.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ociVersion, forKey: .ociVersion)
        try c.encode(id, forKey: .id)
        try c.encode(pid, forKey: .pid)
        try c.encode(status, forKey: .status)
        try c.encode(bundle, forKey: .bundle)
        try c.encodeIfPresent(rootfs, forKey: .rootfs)
        try c.encodeIfPresent(created, forKey: .created)
        try c.encodeIfPresent(owner, forKey: .owner)
        if let a = annotations, !a.isEmpty { try c.encode(a, forKey: .annotations) }
    }
}

/// `cove features`: what this runtime really supports (runtime-spec features.md).
public struct Features: Codable, Equatable, Sendable {
    public var ociVersionMin: String
    public var ociVersionMax: String
    public var hooks: [String]?
    public var mountOptions: [String]?
    public var linux: LinuxFeatures?
    public var annotations: [String: String]?
    public var potentiallyUnsafeConfigAnnotations: [String]?

    public struct Enabled: Codable, Equatable, Sendable {
        public var enabled: Bool?
        public init(_ e: Bool) { enabled = e }
    }
    public struct Cgroup: Codable, Equatable, Sendable {
        public var v1: Bool?
        public var v2: Bool?
        public var systemd: Bool?
        public var systemdUser: Bool?
        public var rdma: Bool?
        public init(v1: Bool? = nil, v2: Bool? = nil, systemd: Bool? = nil, systemdUser: Bool? = nil, rdma: Bool? = nil) {
            self.v1 = v1
            self.v2 = v2
            self.systemd = systemd
            self.systemdUser = systemdUser
            self.rdma = rdma
        }
    }
    public struct Seccomp: Codable, Equatable, Sendable {
        public var enabled: Bool?
        public var actions: [String]?
        public var operators: [String]?
        public var archs: [String]?
        public var knownFlags: [String]?
        public var supportedFlags: [String]?

        public init(enabled: Bool?, actions: [String]? = nil, operators: [String]? = nil, archs: [String]? = nil,
                    knownFlags: [String]? = nil, supportedFlags: [String]? = nil) {
            self.enabled = enabled
            self.actions = actions
            self.operators = operators
            self.archs = archs
            self.knownFlags = knownFlags
            self.supportedFlags = supportedFlags
        }
    }
    public struct MountExtensions: Codable, Equatable, Sendable {
        public var idmap: Enabled?
    }
    public struct LinuxFeatures: Codable, Equatable, Sendable {
        public var namespaces: [String]?
        public var capabilities: [String]?
        public var cgroup: Cgroup?
        public var seccomp: Seccomp?
        public var apparmor: Enabled?
        public var selinux: Enabled?
        public var intelRdt: Enabled?
        public var mountExtensions: MountExtensions?
        public var netDevices: Enabled?
    }

    /// Only what Cove implements today; `cgroup` is filled in by the runtime from the cgroup manager (issue 5).
    public static func cove(mountOptions: [String], cgroup: Cgroup?, seccomp: Seccomp = Seccomp(enabled: false)) -> Features {
        Features(
            ociVersionMin: "1.0.0", ociVersionMax: Spec.version, hooks: Hooks.names, mountOptions: mountOptions,
            linux: LinuxFeatures(
                namespaces: Linux.NamespaceType.allCases.map(\.rawValue), capabilities: CapabilityName.all,
                cgroup: cgroup, seccomp: seccomp, apparmor: Enabled(false), selinux: Enabled(false),
                intelRdt: Enabled(false), mountExtensions: MountExtensions(idmap: Enabled(true)), netDevices: Enabled(true)),
            annotations: nil, potentiallyUnsafeConfigAnnotations: nil)
    }
}

/// JSON string literals without Foundation.
public enum JSONText {
    /// `parts.joined(separator:)` without the stdlib's generic code, whose first use makes the Swift runtime
    /// scan every conformance in the binary (about 0.1 ms, on each `state` and each hook's state).
    public static func join(_ parts: [String], _ separator: String) -> String {
        var out = ""
        for (i, p) in parts.enumerated() {
            if i > 0 { out += separator }
            out += p
        }
        return out
    }

    public static func quote(_ s: String) -> String {
        // Most strings need no escape: one scan of the contiguous bytes and one copy. (Walking `s.utf8` as a
        // Sequence and concatenating cost ~1500 instructions per short string, in every state.json written.)
        var s = s
        let plain: String? = s.withUTF8 { bytes in
            for b in bytes where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return nil }
            return String(unsafeUninitializedCapacity: bytes.count + 2) { out in
                out[0] = UInt8(ascii: "\"")
                if let base = bytes.baseAddress { (out.baseAddress! + 1).initialize(from: base, count: bytes.count) }
                out[bytes.count + 1] = UInt8(ascii: "\"")
                return bytes.count + 2
            }
        }
        if let plain { return plain }
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
