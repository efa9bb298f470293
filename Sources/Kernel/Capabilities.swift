import CLinux
import Glibc

/// Capability sets of the calling thread (capget/capset, prctl for bounding and ambient sets).
public struct CapabilitySets: Equatable, Sendable {
    public var effective: UInt64 = 0
    public var permitted: UInt64 = 0
    public var inheritable: UInt64 = 0

    public init(effective: UInt64 = 0, permitted: UInt64 = 0, inheritable: UInt64 = 0) {
        self.effective = effective
        self.permitted = permitted
        self.inheritable = inheritable
    }

    /// capget(2).
    public static func current() throws -> CapabilitySets {
        var header = __user_cap_header_struct(version: UInt32(_LINUX_CAPABILITY_VERSION_3), pid: 0)
        var data = [__user_cap_data_struct](repeating: __user_cap_data_struct(), count: 2)
        try syscallCheck("capget") { cove_capget(&header, &data) }
        func join(_ lo: UInt32, _ hi: UInt32) -> UInt64 { UInt64(lo) | (UInt64(hi) << 32) }
        return CapabilitySets(
            effective: join(data[0].effective, data[1].effective),
            permitted: join(data[0].permitted, data[1].permitted),
            inheritable: join(data[0].inheritable, data[1].inheritable))
    }

    /// capset(2).
    public func apply() throws {
        var header = __user_cap_header_struct(version: UInt32(_LINUX_CAPABILITY_VERSION_3), pid: 0)
        var data = [
            __user_cap_data_struct(effective: UInt32(truncatingIfNeeded: effective), permitted: UInt32(truncatingIfNeeded: permitted), inheritable: UInt32(truncatingIfNeeded: inheritable)),
            __user_cap_data_struct(effective: UInt32(truncatingIfNeeded: effective >> 32), permitted: UInt32(truncatingIfNeeded: permitted >> 32), inheritable: UInt32(truncatingIfNeeded: inheritable >> 32)),
        ]
        try syscallCheck("capset") { cove_capset(&header, &data) }
    }

    /// Raises `caps` in the ambient set (prctl PR_CAP_AMBIENT_RAISE); each must already be permitted and
    /// inheritable — so they survive execve of a program without file capabilities.
    public static func raiseAmbient(_ caps: UInt64) throws {
        for cap in 0...probedLastCap where caps & (UInt64(1) << UInt64(cap)) != 0 {
            try syscallCheck("prctl PR_CAP_AMBIENT_RAISE", String(cap)) {
                cove_prctl(PR_CAP_AMBIENT, UInt(PR_CAP_AMBIENT_RAISE), UInt(cap), 0, 0)
            }
        }
    }
}
