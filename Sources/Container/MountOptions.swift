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

    /// What each flag option sets (`set`) or clears. A switch, not a Dictionary: the init is the only
    /// process that reads mount options, and building a 33-entry dictionary there cost ~20 µs on its
    /// critical path (perf), more than all its lookups.
    static func flagOption(_ o: String) -> (set: Bool, flag: MountFlags)? {
        switch o {
        case "async": return (false, .synchronous)
        case "atime": return (false, .noAtime)
        case "bind": return (true, .bind)
        case "defaults": return (true, [])
        case "dev": return (false, .noDev)
        case "diratime": return (false, .noDirAtime)
        case "dirsync": return (true, .dirSync)
        case "exec": return (false, .noExec)
        case "iversion": return (true, MountFlags(rawValue: 1 << 23))
        case "lazytime": return (true, .lazyTime)
        case "loud": return (false, .silent)
        case "mand": return (true, .mandLock)
        case "noatime": return (true, .noAtime)
        case "nodev": return (true, .noDev)
        case "nodiratime": return (true, .noDirAtime)
        case "noexec": return (true, .noExec)
        case "noiversion": return (false, MountFlags(rawValue: 1 << 23))
        case "nolazytime": return (false, .lazyTime)
        case "nomand": return (false, .mandLock)
        case "norelatime": return (false, .relAtime)
        case "nostrictatime": return (false, .strictAtime)
        case "nosuid": return (true, .noSuid)
        case "nosymfollow": return (true, .noSymFollow)
        case "rbind": return (true, [.bind, .recursive])
        case "relatime": return (true, .relAtime)
        case "remount": return (true, .remount)
        case "ro": return (true, .readOnly)
        case "rw": return (false, .readOnly)
        case "silent": return (true, .silent)
        case "strictatime": return (true, .strictAtime)
        case "suid": return (false, .noSuid)
        case "sync": return (true, .synchronous)
        case "symfollow": return (false, .noSymFollow)
        default: return nil
        }
    }

    static func propagationOption(_ o: String) -> MountFlags? {
        switch o {
        case "private": return .private
        case "rprivate": return [.private, .recursive]
        case "shared": return .shared
        case "rshared": return [.shared, .recursive]
        case "slave": return .slave
        case "rslave": return [.slave, .recursive]
        case "unbindable": return .unbindable
        case "runbindable": return [.unbindable, .recursive]
        default: return nil
        }
    }

    static let flagNames = [
        "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "iversion", "lazytime", "loud", "mand",
        "noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime", "nomand", "norelatime", "nostrictatime",
        "nosuid", "nosymfollow", "rbind", "relatime", "remount", "ro", "rw", "silent", "strictatime", "suid", "sync", "symfollow",
    ]
    static let propagationNames = ["private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable"]

    /// Every option name Cove interprets itself (for `cove features`).
    public static var known: [String] { (flagNames + propagationNames + ["idmap", "ridmap"]).sorted() }

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
