import CLinux
import Glibc

/// The bounding and ambient sets, which capget/capset do not cover (prctl).
extension CapabilitySets {
    /// Capability numbers set in `mask`, up to the kernel's last one.
    public static func numbers(in mask: UInt64) -> [Int] {
        (0...probedLastCap).filter { mask & (UInt64(1) << UInt64($0)) != 0 }
    }

    /// Every capability this kernel knows, as a mask.
    public static var allMask: UInt64 {
        let last = probedLastCap
        return last >= 63 ? UInt64.max : (UInt64(1) << UInt64(last + 1)) - 1
    }

    /// The highest capability number, asked of the kernel itself (PR_CAPBSET_READ fails with EINVAL past it):
    /// in the container /proc may be missing, and a guess would leave newer capabilities in the bounding set.
    /// A binary search (six prctl calls), done once per process: the kernel's number does not change.
    public static let probedLastCap: Int = {
        var known = 0, unknown = 64  // CAP_CHOWN (0) always exists; 64 never does (the sets are 64 bits)
        while unknown - known > 1 {
            let mid = (known + unknown) / 2
            if cove_prctl(PR_CAPBSET_READ, UInt(mid), 0, 0, 0) >= 0 { known = mid } else { unknown = mid }
        }
        return known
    }()

    /// PR_CAPBSET_DROP for every capability not in `keeping`. Needs CAP_SETPCAP, so it comes before setuid.
    /// Irreversible: no process (not even root) gets a dropped capability back, across execve too.
    public static func dropBounding(keeping: UInt64) throws {
        let dropping = allMask & ~keeping
        for cap in 0...probedLastCap where dropping & (UInt64(1) << UInt64(cap)) != 0 {
            try syscallCheck("prctl PR_CAPBSET_DROP", String(cap)) { cove_prctl(PR_CAPBSET_DROP, UInt(cap), 0, 0, 0) }
        }
    }

    /// The bounding set as a mask (PR_CAPBSET_READ).
    public static func bounding() throws -> UInt64 {
        var mask: UInt64 = 0
        for cap in 0...probedLastCap {
            let r = try syscallCheck("prctl PR_CAPBSET_READ", String(cap)) { cove_prctl(PR_CAPBSET_READ, UInt(cap), 0, 0, 0) }
            if r == 1 { mask |= UInt64(1) << UInt64(cap) }
        }
        return mask
    }

    /// PR_CAP_AMBIENT_CLEAR_ALL.
    public static func clearAmbient() throws {
        try syscallCheck("prctl", "PR_CAP_AMBIENT_CLEAR_ALL") { cove_prctl(PR_CAP_AMBIENT, UInt(PR_CAP_AMBIENT_CLEAR_ALL), 0, 0, 0) }
    }

    /// PR_SET_KEEPCAPS: whether permitted capabilities survive a switch from uid 0 to non-zero uids.
    public static func setKeepCaps(_ keep: Bool) throws {
        try syscallCheck("prctl", "PR_SET_KEEPCAPS") { cove_prctl(PR_SET_KEEPCAPS, keep ? 1 : 0, 0, 0, 0) }
    }
}
