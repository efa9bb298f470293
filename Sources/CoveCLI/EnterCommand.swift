import Glibc
import Kernel
import Toolkit

/// `cove enter` (nsenter): argument parsing only; the work is Toolkit.Enter.
enum EnterCommand {
    static let getopt = Getopt(options: [
        .init("target", "t", .required, "pid", "target process to get namespaces from"),
        .init("all", "a", .none, "", "enter all namespaces of the target that differ from ours"),
        .init("mount", "m", .optional, "file", "enter mount namespace"),
        .init("uts", "u", .optional, "file", "enter UTS namespace (hostname etc)"),
        .init("ipc", "i", .optional, "file", "enter System V IPC namespace"),
        .init("net", "n", .optional, "file", "enter network namespace"),
        .init("pid", "p", .optional, "file", "enter pid namespace"),
        .init("cgroup", "C", .optional, "file", "enter cgroup namespace"),
        .init("user", "U", .optional, "file", "enter user namespace"),
        .init("time", "T", .optional, "file", "enter time namespace"),
        .init("setuid", "S", .required, "uid", "set uid in entered namespace"),
        .init("setgid", "G", .required, "gid", "set gid in entered namespace"),
        .init("preserve-credentials", nil, .none, "", "do not touch uids or gids"),
        .init("root", "r", .optional, "dir", "set the root directory (default: the target's)"),
        .init("wd", "w", .optional, "dir", "set the working directory (default: the target's)"),
        .init("no-fork", "F", .none, "", "do not fork before exec'ing <program>"),
        .init("help", "h", .none, "", "display this help"),
    ])

    static func main(_ args: [String]) -> Int32 {
        do {
            guard let options = try parse(args) else {
                print(getopt.help(usage: "cove enter [options] [<program> [<argument>...]]",
                                  summary: "Run a program with namespaces of other processes."))
                return 0
            }
            return try Enter.run(options)
        } catch {
            fputs("cove enter: \(error)\n", stderr)
            if let e = error as? ExecError { return e.exitCode }
            return 1
        }
    }

    static func parse(_ args: [String]) throws -> EnterOptions? {
        let parsed = try getopt.parse(args)
        var o = EnterOptions()
        for (name, value) in parsed.options {
            if let kind = UnshareCommand.namespaceKind(name) {
                o.namespaces[kind] = .some(value)
                continue
            }
            switch name {
            case "help": return nil
            case "target":
                guard let pid = Int32(value!), pid > 0 else { throw CoveError("invalid PID argument: '\(value!)'") }
                guard ProcessControl.exists(pid) else { throw CoveError("no such process: \(pid)") }
                o.target = pid
            case "all": o.all = true
            case "setuid": o.uid = try UnshareCommand.id(value!, user: true)
            case "setgid": o.gid = try UnshareCommand.id(value!, user: false)
            case "preserve-credentials": o.preserveCredentials = true
            case "root": o.root = .some(value)
            case "wd": o.workingDirectory = .some(value)
            case "no-fork": o.fork = false
            default: throw CoveError("unhandled option --\(name)")
            }
        }
        o.command = parsed.operands
        return o
    }
}
