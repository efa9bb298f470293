import Glibc
import Kernel
import OCI

/// process.capabilities as masks, and the order the kernel needs them applied in.
///
/// A missing `process.capabilities` (or a missing set in it) means an empty set, as with runc: a process
/// left with all of root's capabilities would be the surprising default.
///
/// For uid 0 the kernel recomputes the sets at execve: permitted = inheritable | bounding | ambient and
/// effective = permitted (a root process execs as if every file carried every capability). So for a root
/// container the bounding set is what really limits it; for any other uid only ambient capabilities survive
/// execve into a program without file capabilities.
public struct ProcessCapabilities: Equatable {
    public var bounding: UInt64 = 0
    public var effective: UInt64 = 0
    public var permitted: UInt64 = 0
    public var inheritable: UInt64 = 0
    public var ambient: UInt64 = 0

    public init(_ caps: OCI.Process.Capabilities?, field: String = "process.capabilities") throws {
        guard let caps else { return }
        bounding = try CapabilityName.mask(caps.bounding, field: "\(field).bounding")
        effective = try CapabilityName.mask(caps.effective, field: "\(field).effective")
        permitted = try CapabilityName.mask(caps.permitted, field: "\(field).permitted")
        inheritable = try CapabilityName.mask(caps.inheritable, field: "\(field).inheritable")
        ambient = try CapabilityName.mask(caps.ambient, field: "\(field).ambient")
    }

    /// Ambient capabilities the kernel will raise: only those both permitted and inheritable. runc's default
    /// config lists ambient capabilities without inheritable ones and runc skips those the same way.
    public var raisableAmbient: UInt64 { ambient & permitted & inheritable }

    /// Runs `becomeUser` (setgroups/setresgid/setresuid) between the two halves:
    /// 1. the bounding set, while CAP_SETPCAP is still held;
    /// 2. PR_SET_KEEPCAPS, so leaving uid 0 keeps the permitted set (effective is cleared by the kernel);
    /// 3. the user's ids;
    /// 4. effective/permitted/inheritable with capset — effective must be a subset of permitted, which it is
    ///    only if the config says so (capset then fails with EPERM, named);
    /// 5. the ambient set, cleared and raised last: raising needs the capability permitted and inheritable.
    public func apply(becomeUser: () throws -> Void) throws {
        try CapabilitySets.dropBounding(keeping: bounding)
        try CapabilitySets.setKeepCaps(true)
        try becomeUser()
        try CapabilitySets.setKeepCaps(false)
        if effective & ~permitted != 0 {
            let extra = CapabilitySets.numbers(in: effective & ~permitted).map { CapabilityName.all.indices.contains($0) ? CapabilityName.all[$0] : String($0) }
            throw CoveError("process.capabilities.effective: \(extra.joined(separator: ", ")) not in permitted")
        }
        try CapabilitySets(effective: effective, permitted: permitted, inheritable: inheritable).apply()
        try CapabilitySets.clearAmbient()
        try CapabilitySets.raiseAmbient(raisableAmbient)
    }
}

/// Supplementary groups inside user namespaces.
enum SupplementaryGroups {
    /// The groups to pass to setgroups(2), or nil to leave them alone. In a user namespace whose
    /// /proc/self/setgroups says "deny" (an unprivileged single-id mapping) setgroups always fails: with no
    /// additionalGids the inherited groups stay (as with runc; unmapped ones read as the overflow gid), with
    /// some it is an error rather than silently running without them.
    static func forUser(_ user: OCI.Process.User) throws -> [UInt32]? {
        let gids = user.additionalGids ?? []
        let denied = ((try? FileIO.readString("/proc/self/setgroups")) ?? "allow").hasPrefix("deny")
        if !denied { return gids }
        if gids.isEmpty { return nil }
        throw CoveError("process.user.additionalGids: setgroups is denied in this user namespace (an unprivileged mapping of one gid); map gids through /etc/subgid or drop additionalGids")
    }
}
