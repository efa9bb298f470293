import CLinux
import Glibc

/// clone(2)/unshare(2)/setns(2) namespace flags.
public struct CloneFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let newMount = CloneFlags(rawValue: UInt64(CLONE_NEWNS))
    public static let newUTS = CloneFlags(rawValue: UInt64(CLONE_NEWUTS))
    public static let newIPC = CloneFlags(rawValue: UInt64(CLONE_NEWIPC))
    public static let newNet = CloneFlags(rawValue: UInt64(CLONE_NEWNET))
    public static let newPID = CloneFlags(rawValue: UInt64(CLONE_NEWPID))
    public static let newUser = CloneFlags(rawValue: UInt64(CLONE_NEWUSER))
    public static let newCgroup = CloneFlags(rawValue: UInt64(CLONE_NEWCGROUP))
    public static let newTime = CloneFlags(rawValue: UInt64(CLONE_NEWTIME))
    public static let pidfd = CloneFlags(rawValue: UInt64(CLONE_PIDFD))
    public static let intoCgroup = CloneFlags(rawValue: 0x200000000) // CLONE_INTO_CGROUP
}

/// The eight kinds of Linux namespace.
public enum NamespaceKind: String, CaseIterable, Sendable, Codable {
    case mount, uts, ipc, net = "network", pid, user, cgroup, time

    /// The name under /proc/PID/ns.
    public var procName: String {
        switch self {
        case .mount: "mnt"
        case .uts: "uts"
        case .ipc: "ipc"
        case .net: "net"
        case .pid: "pid"
        case .user: "user"
        case .cgroup: "cgroup"
        case .time: "time"
        }
    }

    /// The /proc/PID/ns entry that names the namespace new children get: after unshare(2) of a PID or
    /// time namespace the caller itself stays where it was.
    public var forChildrenProcName: String {
        switch self {
        case .pid: "pid_for_children"
        case .time: "time_for_children"
        default: procName
        }
    }

    /// The name lsns prints in its TYPE column.
    public var lsnsName: String {
        switch self {
        case .mount: "mnt"
        case .net: "net"
        default: rawValue
        }
    }

    public var cloneFlag: CloneFlags {
        switch self {
        case .mount: .newMount
        case .uts: .newUTS
        case .ipc: .newIPC
        case .net: .newNet
        case .pid: .newPID
        case .user: .newUser
        case .cgroup: .newCgroup
        case .time: .newTime
        }
    }

    /// Accepts the OCI spelling ("network", "mount"), the /proc spelling ("net", "mnt") and lsns's.
    public init?(name: String) {
        switch name {
        case "mnt", "mount": self = .mount
        case "net", "network": self = .net
        default:
            guard let k = NamespaceKind(rawValue: name) else { return nil }
            self = k
        }
    }

    public init?(procName: String) {
        guard let k = NamespaceKind.allCases.first(where: { $0.procName == procName }) else { return nil }
        self = k
    }

    /// The order in which to join namespaces: the user namespace first, so the rest are joined with the
    /// capabilities it grants; the mount namespace last but one so /proc paths still resolve; time before PID.
    public static let joinOrder: [NamespaceKind] = [.user, .cgroup, .ipc, .uts, .net, .time, .pid, .mount]
}

public enum Namespaces {
    /// unshare(2).
    public static func unshare(_ flags: CloneFlags) throws {
        try syscallCheck("unshare", flags.description) { cove_unshare(Int32(truncatingIfNeeded: flags.rawValue)) }
    }

    /// setns(2) on an open namespace or pidfd file descriptor.
    public static func setns(_ fd: Int32, _ flags: CloneFlags, _ what: String) throws {
        try syscallCheck("setns", what) { cove_setns(fd, Int32(truncatingIfNeeded: flags.rawValue)) }
    }

    /// The inode number identifying a namespace, from stat(2) on its nsfs file.
    public static func inode(path: String) throws -> UInt64 {
        var st = stat()
        try syscallCheck("stat", path) { stat(path, &st) }
        return UInt64(st.st_ino)
    }

    /// True if `path` is an nsfs file (a /proc/PID/ns entry or a bind mount of one); returns its kind.
    /// Asks the kernel with ioctl(NS_GET_NSTYPE), which fails with ENOTTY on any other file.
    public static func kind(ofFile path: String) throws -> NamespaceKind {
        let fd = try syscallCheck("open", path) { cove_open(path, O_RDONLY | O_CLOEXEC, 0) }
        defer { close(fd) }
        return try kind(ofFD: fd, path: path)
    }

    public static func kind(ofFD fd: Int32, path: String) throws -> NamespaceKind {
        let type = cove_ioctl(fd, COVE_NS_GET_NSTYPE, 0)
        if type == -1 {
            if cove_errno() == ENOTTY || cove_errno() == EINVAL {
                throw CoveError("\(path): not a namespace file")
            }
            throw SyscallError.last("ioctl NS_GET_NSTYPE", path)
        }
        guard let kind = NamespaceKind.allCases.first(where: { $0.cloneFlag.rawValue == UInt64(type) }) else {
            throw CoveError("\(path): unknown namespace type \(type)")
        }
        return kind
    }
}

extension CloneFlags: CustomStringConvertible {
    public var description: String {
        let names: [(CloneFlags, String)] = [
            (.newMount, "CLONE_NEWNS"), (.newUTS, "CLONE_NEWUTS"), (.newIPC, "CLONE_NEWIPC"),
            (.newNet, "CLONE_NEWNET"), (.newPID, "CLONE_NEWPID"), (.newUser, "CLONE_NEWUSER"),
            (.newCgroup, "CLONE_NEWCGROUP"), (.newTime, "CLONE_NEWTIME"),
        ]
        let parts = names.filter { contains($0.0) }.map(\.1)
        return parts.isEmpty ? "0" : Text.join(parts[...], separator: "|")
    }
}
