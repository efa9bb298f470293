/// Linux capability names as the spec spells them (`CAP_SYS_ADMIN`), by number.
public enum CapabilityName {
    public static let all: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    public static func number(_ name: String) -> Int? { all.firstIndex(of: name.uppercased()) }

    /// A bit mask of the named capabilities; throws naming the field for an unknown name.
    public static func mask(_ names: [String]?, field: String) throws -> UInt64 {
        var m: UInt64 = 0
        for (i, n) in (names ?? []).enumerated() {
            guard let bit = number(n) else { throw SpecError("\(field)[\(i)]: unknown capability '\(n)'") }
            m |= UInt64(1) << UInt64(bit)
        }
        return m
    }
}
