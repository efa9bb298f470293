import Glibc
import Kernel

/// The `options` of an OCI mount split the way mount(2) needs them: flags to set, flags to clear,
/// propagation changes applied afterwards, and the rest as the filesystem's data string.
public struct MountOptions: Equatable {
    public var flags: MountFlags = []
    public var cleared: MountFlags = []
    public var propagation: [MountFlags] = []
    public var data: [String] = []

    public var isBind: Bool { flags.contains(.bind) }

    /// What each flag option sets (`set`) or clears. An array searched in order, not a Dictionary: the init is
    /// the only process that reads mount options, and hashing 33 keys to build a dictionary there cost ~20 µs on
    /// its critical path (perf), more than all its lookups.
    static let flagTable: [(name: String, set: Bool, flag: MountFlags)] = [
        ("async", false, .synchronous), ("atime", false, .noAtime), ("bind", true, .bind), ("defaults", true, []),
        ("dev", false, .noDev), ("diratime", false, .noDirAtime), ("dirsync", true, .dirSync), ("exec", false, .noExec),
        ("iversion", true, MountFlags(rawValue: 1 << 23)), ("lazytime", true, .lazyTime), ("loud", false, .silent),
        ("mand", true, .mandLock), ("noatime", true, .noAtime), ("nodev", true, .noDev), ("nodiratime", true, .noDirAtime),
        ("noexec", true, .noExec), ("noiversion", false, MountFlags(rawValue: 1 << 23)), ("nolazytime", false, .lazyTime),
        ("nomand", false, .mandLock), ("norelatime", false, .relAtime), ("nostrictatime", false, .strictAtime),
        ("nosuid", true, .noSuid), ("nosymfollow", true, .noSymFollow), ("rbind", true, [.bind, .recursive]),
        ("relatime", true, .relAtime), ("remount", true, .remount), ("ro", true, .readOnly), ("rw", false, .readOnly),
        ("silent", true, .silent), ("strictatime", true, .strictAtime), ("suid", false, .noSuid), ("sync", true, .synchronous),
        ("symfollow", false, .noSymFollow),
    ]

    static let propagationTable: [(name: String, flag: MountFlags)] = [
        ("private", .private), ("rprivate", [.private, .recursive]), ("shared", .shared), ("rshared", [.shared, .recursive]),
        ("slave", .slave), ("rslave", [.slave, .recursive]), ("unbindable", .unbindable), ("runbindable", [.unbindable, .recursive]),
    ]

    static func flagOption(_ o: String) -> (set: Bool, flag: MountFlags)? {
        for e in flagTable where e.name == o { return (e.set, e.flag) }
        return nil
    }

    static func propagationOption(_ o: String) -> MountFlags? {
        for e in propagationTable where e.name == o { return e.flag }
        return nil
    }

    /// Every option name Cove interprets itself (for `cove features`).
    public static var known: [String] { (flagTable.map { $0.name } + propagationTable.map { $0.name } + ["idmap", "ridmap"]).sorted() }

    public init(_ options: [String]?, field: String) throws {
        for o in options ?? [] {
            if let (set, flag) = MountOptions.flagOption(o) {
                if set { flags.formUnion(flag); cleared.subtract(flag) } else { flags.subtract(flag); cleared.formUnion(flag) }
            } else if let p = MountOptions.propagationOption(o) {
                propagation.append(p)
            } else if o == "idmap" || o == "ridmap" {
                continue // handled with the mount's uidMappings/gidMappings
            } else if o == "tmpcopyup" || o.hasPrefix("r") && MountOptions.flagOption(String(o.dropFirst())) != nil && o != "relatime" && o != "remount" {
                throw CoveError("\(field): option '\(o)' is not supported yet")
            } else {
                data.append(o)
            }
        }
    }

    public var dataString: String? { data.isEmpty ? nil : Text.join(data[...], separator: ",") }
}
