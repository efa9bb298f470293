import Glibc
import Kernel
import Toolkit

/// `cove unshare`: argument parsing only; the work is Toolkit.Unshare.
enum UnshareCommand {
    static let getopt = Getopt(options: [
        .init("mount", "m", .optional, "file", "unshare mounts namespace"),
        .init("uts", "u", .optional, "file", "unshare UTS namespace (hostname etc)"),
        .init("ipc", "i", .optional, "file", "unshare System V IPC namespace"),
        .init("net", "n", .optional, "file", "unshare network namespace"),
        .init("pid", "p", .optional, "file", "unshare pid namespace"),
        .init("user", "U", .optional, "file", "unshare user namespace"),
        .init("cgroup", "C", .optional, "file", "unshare cgroup namespace"),
        .init("time", "T", .optional, "file", "unshare time namespace"),
        .init("fork", "f", .none, "", "fork before launching <program>"),
        .init("kill-child", nil, .optional, "signame", "when dying, kill the forked child (implies --fork); default SIGKILL"),
        .init("mount-proc", nil, .optional, "dir", "mount proc filesystem first (implies --mount)"),
        .init("map-user", nil, .required, "uid|name", "map current user to uid (implies --user)"),
        .init("map-group", nil, .required, "gid|name", "map current group to gid (implies --user)"),
        .init("map-root-user", "r", .none, "", "map current user to root (implies --user)"),
        .init("map-current-user", "c", .none, "", "map current user to itself (implies --user)"),
        .init("map-users", nil, .required, "inner:outer:count|auto", "map a range of uids (repeatable; implies --user)"),
        .init("map-groups", nil, .required, "inner:outer:count|auto", "map a range of gids (repeatable; implies --user)"),
        .init("map-auto", nil, .none, "", "map users and groups automatically from /etc/subuid and /etc/subgid (implies --user)"),
        .init("keep-caps", nil, .none, "", "retain capabilities granted in user namespaces"),
        .init("propagation", nil, .required, "slave|shared|private|unchanged", "modify mount propagation in mount namespace"),
        .init("setgroups", nil, .required, "allow|deny", "control the setgroups syscall in user namespaces"),
        .init("root", "R", .required, "dir", "run the command with root directory set to <dir>"),
        .init("wd", "w", .required, "dir", "change working directory to <dir>"),
        .init("monotonic", nil, .required, "offset", "set clock monotonic offset (seconds) in time namespaces"),
        .init("boottime", nil, .required, "offset", "set clock boottime offset (seconds) in time namespaces"),
        .init("hostname", nil, .required, "name", "set the hostname in the new UTS namespace"),
        .init("help", "h", .none, "", "display this help"),
    ], shortOptionalValues: false)

    static func main(_ args: [String]) -> Int32 {
        do {
            guard let options = try parse(args) else {
                print(getopt.help(usage: "cove unshare [options] [<program> [<argument>...]]",
                                  summary: "Run a program with some namespaces unshared from the parent."))
                return 0
            }
            return try Unshare.run(options)
        } catch let failure as ReportedFailure {
            return failure.exitCode
        } catch {
            fputs("cove unshare: \(error)\n", stderr)
            if let e = error as? ExecError { return e.exitCode }
            return 1
        }
    }

    /// nil means --help.
    static func parse(_ args: [String]) throws -> UnshareOptions? {
        let parsed = try getopt.parse(args)
        var o = UnshareOptions()
        for (name, value) in parsed.options {
            if let kind = namespaceKind(name) {
                o.namespaces[kind] = .some(value)
                continue
            }
            switch name {
            case "help": return nil
            case "fork": o.fork = true
            case "kill-child":
                o.fork = true
                o.killChild = try signal(value ?? "KILL")
            case "mount-proc":
                o.mountProc = value ?? "/proc"
                if o.namespaces[.mount] == nil { o.namespaces[.mount] = .some(nil) }
            case "map-user":
                o.uidMaps.append(IDMapping(inner: try id(value!, user: true), outer: Identity.effectiveUID, count: 1))
            case "map-group":
                o.gidMaps.append(IDMapping(inner: try id(value!, user: false), outer: Identity.effectiveGID, count: 1))
            case "map-root-user":
                o.uidMaps.append(IDMapping(inner: 0, outer: Identity.effectiveUID, count: 1))
                o.gidMaps.append(IDMapping(inner: 0, outer: Identity.effectiveGID, count: 1))
            case "map-current-user":
                o.uidMaps.append(IDMapping(inner: Identity.effectiveUID, outer: Identity.effectiveUID, count: 1))
                o.gidMaps.append(IDMapping(inner: Identity.effectiveGID, outer: Identity.effectiveGID, count: 1))
            case "map-users":
                if value == "auto" { o.uidMapAuto = true } else { o.uidMaps.append(try IDMapping(parsing: value!)) }
            case "map-groups":
                if value == "auto" { o.gidMapAuto = true } else { o.gidMaps.append(try IDMapping(parsing: value!)) }
            case "map-auto":
                o.uidMapAuto = true
                o.gidMapAuto = true
            case "keep-caps": o.keepCaps = true
            case "propagation":
                guard let p = Propagation(rawValue: value!), p != .unbindable else {
                    throw CoveError("unsupported propagation mode: \(value!)")
                }
                o.propagation = p
            case "setgroups":
                switch value! {
                case "allow": o.setgroupsAllow = true
                case "deny": o.setgroupsAllow = false
                default: throw CoveError("unsupported --setgroups argument '\(value!)': use allow or deny")
                }
            case "root": o.root = value
            case "wd": o.workingDirectory = value
            case "monotonic": o.monotonicOffset = try offset(value!, name)
            case "boottime": o.boottimeOffset = try offset(value!, name)
            case "hostname": o.hostname = value
            default: throw CoveError("unhandled option --\(name)")
            }
        }
        if o.hasMaps || o.keepCaps, o.namespaces[.user] == nil { o.namespaces[.user] = .some(nil) }
        if o.monotonicOffset != nil || o.boottimeOffset != nil, o.namespaces[.time] == nil { o.namespaces[.time] = .some(nil) }
        o.command = parsed.operands
        return o
    }

    static func namespaceKind(_ option: String) -> NamespaceKind? {
        switch option {
        case "mount": .mount
        case "uts": .uts
        case "ipc": .ipc
        case "net": .net
        case "pid": .pid
        case "user": .user
        case "cgroup": .cgroup
        case "time": .time
        default: nil
        }
    }

    static func signal(_ text: String) throws -> Int32 {
        guard let s = Signal.parse(text) else { throw CoveError("unknown signal: \(text)") }
        return s
    }

    static func offset(_ text: String, _ option: String) throws -> Int64 {
        guard let v = Int64(text) else { throw CoveError("--\(option): invalid offset '\(text)' (seconds)") }
        return v
    }

    /// A numeric id, or a user or group name looked up in the host's databases.
    static func id(_ text: String, user: Bool) throws -> UInt32 {
        if let n = UInt32(text) { return n }
        if user, let pw = getpwnam(text) { return pw.pointee.pw_uid }
        if !user, let gr = getgrnam(text) { return gr.pointee.gr_gid }
        throw CoveError("unknown \(user ? "user" : "group") '\(text)'")
    }
}
