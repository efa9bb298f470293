import CLinux
import Glibc

/// mount(2) flags.
public struct MountFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }

    public static let readOnly = MountFlags(rawValue: UInt(MS_RDONLY))
    public static let noSuid = MountFlags(rawValue: UInt(MS_NOSUID))
    public static let noDev = MountFlags(rawValue: UInt(MS_NODEV))
    public static let noExec = MountFlags(rawValue: UInt(MS_NOEXEC))
    public static let synchronous = MountFlags(rawValue: UInt(MS_SYNCHRONOUS))
    public static let remount = MountFlags(rawValue: UInt(MS_REMOUNT))
    public static let mandLock = MountFlags(rawValue: UInt(MS_MANDLOCK))
    public static let dirSync = MountFlags(rawValue: UInt(MS_DIRSYNC))
    public static let noSymFollow = MountFlags(rawValue: 256) // MS_NOSYMFOLLOW
    public static let noAtime = MountFlags(rawValue: UInt(MS_NOATIME))
    public static let noDirAtime = MountFlags(rawValue: UInt(MS_NODIRATIME))
    public static let bind = MountFlags(rawValue: UInt(MS_BIND))
    public static let move = MountFlags(rawValue: UInt(MS_MOVE))
    public static let recursive = MountFlags(rawValue: UInt(MS_REC))
    public static let silent = MountFlags(rawValue: UInt(MS_SILENT))
    public static let unbindable = MountFlags(rawValue: UInt(MS_UNBINDABLE))
    public static let `private` = MountFlags(rawValue: UInt(MS_PRIVATE))
    public static let slave = MountFlags(rawValue: UInt(MS_SLAVE))
    public static let shared = MountFlags(rawValue: UInt(MS_SHARED))
    public static let relAtime = MountFlags(rawValue: UInt(MS_RELATIME))
    public static let strictAtime = MountFlags(rawValue: UInt(MS_STRICTATIME))
    public static let lazyTime = MountFlags(rawValue: UInt(MS_LAZYTIME))

    public static let propagationMask: MountFlags = [.private, .slave, .shared, .unbindable]
}

/// Mount propagation, as `unshare --propagation` and OCI `rootfsPropagation` name it.
public enum Propagation: String, Sendable, CaseIterable {
    case `private`, shared, slave, unbindable, unchanged

    public var flags: MountFlags? {
        switch self {
        case .private: .private
        case .shared: .shared
        case .slave: .slave
        case .unbindable: .unbindable
        case .unchanged: nil
        }
    }
}

public enum Mounts {
    /// mount(2).
    public static func mount(source: String?, target: String, type: String?, flags: MountFlags = [], data: String? = nil) throws {
        let rc = Glibc.mount(source, target, type, flags.rawValue, data)
        if rc != 0 {
            throw SyscallError.last("mount", mountSubject(source, target, type))
        }
    }

    /// umount2(2).
    public static func unmount(_ target: String, detach: Bool = false) throws {
        try syscallCheck("umount", target) { umount2(target, detach ? Int32(MNT_DETACH) : 0) }
    }

    /// Bind-mounts `source` on `target` (`mount --bind`, or `--rbind` with `recursive`).
    public static func bind(_ source: String, on target: String, recursive: Bool = false) throws {
        try mount(source: source, target: target, type: nil, flags: recursive ? [.bind, .recursive] : .bind)
    }

    /// Sets the propagation of `target` (and, with `recursive`, every mount under it).
    public static func setPropagation(_ propagation: Propagation, of target: String, recursive: Bool = true) throws {
        guard var flags = propagation.flags else { return }
        if recursive { flags.insert(.recursive) }
        let rc = Glibc.mount("none", target, nil, flags.rawValue, nil)
        if rc != 0 { throw SyscallError.last("mount --make-\(recursive ? "r" : "")\(propagation.rawValue)", target) }
    }

    /// mount_setattr(2) (Linux 5.12) on the mount `fd` names and, with `recursive` (AT_RECURSIVE), every mount
    /// beneath it: sets `adding` (only ro, nosuid, nodev, noexec) in one call where remounting takes one
    /// mount(2) per mount point. Flags the kernel locks are never cleared, as nothing is cleared.
    /// Throws ENOSYS on older kernels; callers fall back to `mount(... .remount, .bind ...)`.
    public static func setAttributes(of fd: Int32, adding: MountFlags, recursive: Bool, what: String) throws {
        var set: UInt64 = 0
        if adding.contains(.readOnly) { set |= COVE_MOUNT_ATTR_RDONLY }
        if adding.contains(.noSuid) { set |= COVE_MOUNT_ATTR_NOSUID }
        if adding.contains(.noDev) { set |= COVE_MOUNT_ATTR_NODEV }
        if adding.contains(.noExec) { set |= COVE_MOUNT_ATTR_NOEXEC }
        var attr = cove_mount_attr(attr_set: set, attr_clr: 0, propagation: 0, userns_fd: 0)
        let flags = UInt32(COVE_AT_EMPTY_PATH) | (recursive ? UInt32(COVE_AT_RECURSIVE) : 0)
        try syscallCheck("mount_setattr", what) { cove_mount_setattr(fd, "", flags, &attr) }
    }

    /// A fresh proc filesystem on `target`, as `mount -t proc proc TARGET` with nosuid, nodev, noexec.
    public static func mountProc(on target: String) throws {
        try mount(source: "proc", target: target, type: "proc", flags: [.noSuid, .noDev, .noExec])
    }

    static func mountSubject(_ source: String?, _ target: String, _ type: String?) -> String {
        var s = ""
        if let type { s += "-t \(type) " }
        if let source { s += "\(source) " }
        return s + target
    }
}
