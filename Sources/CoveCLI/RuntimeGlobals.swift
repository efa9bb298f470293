import ArgumentParser
import Container
import FoundationEssentials
import Glibc
import Kernel
import OCI

/// runc's global options, given before the subcommand (`cove --root /x state ID`): taken off the argument
/// list before ArgumentParser sees it, so every runtime subcommand shares them.
enum RuntimeGlobals {
    /// Unprivileged (rootless) with XDG_RUNTIME_DIR set: $XDG_RUNTIME_DIR/cove, as runc does.
    static var root: String = {
        if geteuid() != 0, let xdg = getenv("XDG_RUNTIME_DIR").map({ String(cString: $0) }), xdg.hasPrefix("/") {
            return xdg + "/cove"
        }
        return "/run/cove"
    }()
    static var logPath: String?
    static var logFormat = "text"
    static var debug = false
    static var systemdCgroup = false

    static let help = """
    Runtime global options (before the subcommand, as with runc):
      --root DIR            state directory (default /run/cove; $XDG_RUNTIME_DIR/cove when not root)
      --log FILE            also write errors, warnings and debug lines to FILE
      --log-format text|json
      --debug               debug output
      --systemd-cgroup      use systemd for cgroups (not supported)
    """

    /// Consumes leading global options; a bad one ends the process with a one-line error.
    static func consume(_ args: [String]) -> [String] {
        var rest = args[...]
        func value(_ name: String, _ arg: String) -> String {
            if let eq = arg.firstIndex(of: "=") { return String(arg[arg.index(after: eq)...]) }
            rest = rest.dropFirst()
            guard let v = rest.first else { fail("option \(name) needs a value") }
            return v
        }
        while let arg = rest.first, arg.hasPrefix("-") {
            let name = String(arg.split(separator: "=", maxSplits: 1).first ?? "")
            switch name {
            case "--root": root = value(name, arg)
            case "--log": logPath = value(name, arg)
            case "--log-format":
                logFormat = value(name, arg)
                if logFormat != "text" && logFormat != "json" { fail("--log-format: '\(logFormat)' is not text or json") }
            case "--debug": debug = true
            case "--systemd-cgroup": systemdCgroup = true
            default: return Array(rest)
            }
            rest = rest.dropFirst()
        }
        if root.isEmpty { fail("--root: must not be empty") }
        if !root.hasPrefix("/") {
            var buf = [CChar](repeating: 0, count: 4097)
            if getcwd(&buf, 4096) != nil { root = String(cString: buf) + "/" + root }
        }
        return Array(rest)
    }

    static func fail(_ message: String) -> Never {
        printError(message)
        exit(1)
    }
}

/// Log lines for --log / --log-format, in logrus's shapes (what containerd and podman read back).
enum RuntimeLog {
    static func write(_ level: String, _ message: String) {
        guard let path = RuntimeGlobals.logPath else { return }
        let line: String
        let time = isoTime()
        if RuntimeGlobals.logFormat == "json" {
            line = "{\"level\":\"\(level)\",\"msg\":\(jsonString(message)),\"time\":\"\(time)\"}\n"
        } else {
            line = "time=\"\(time)\" level=\(level) msg=\(jsonString(message))\n"
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        _ = line.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
    }

    static func error(_ message: String) { write("error", message) }

    /// Warnings and debug lines go to --log when it is given, else to stderr (runc's logrus output). During
    /// `create` stderr is the container's own stderr (engines hand their stdio through the runtime), so a
    /// warning printed there would land in the container's log.
    static func warn(_ message: String) {
        if RuntimeGlobals.logPath != nil { write("warning", message) } else { fputs("cove: warning: \(message)\n", stderr) }
    }

    static func debug(_ message: String) {
        guard RuntimeGlobals.debug else { return }
        if RuntimeGlobals.logPath != nil { write("debug", message) } else { fputs("cove: debug: \(message)\n", stderr) }
    }

    static func jsonString(_ s: String) -> String { JSONText.quote(s) }

    static func isoTime() -> String {
        var t = time(nil)
        var tm = Glibc.tm()
        gmtime_r(&t, &tm)
        var buf = [CChar](repeating: 0, count: 64)
        strftime(&buf, 64, "%Y-%m-%dT%H:%M:%SZ", &tm)
        return String(cString: buf)
    }
}

/// Shared by the runtime subcommands: the configured runtime, and errors logged before they are printed.
enum RuntimeCLI {
    static var runtime: Runtime {
        Runtime(root: RuntimeGlobals.root, warn: RuntimeLog.warn, debug: RuntimeLog.debug, debugging: RuntimeGlobals.debug)
    }

    static func perform(_ body: () throws -> Void) throws {
        do {
            if RuntimeGlobals.systemdCgroup {
                throw CoveError("--systemd-cgroup: systemd cgroup management is not supported")
            }
            try body()
        } catch let e as ExitCode {
            throw e
        } catch {
            let text = "\(error)"
            RuntimeLog.error(text)
            throw CoveError(text)
        }
    }

    static func printJSON(_ bytes: [UInt8]) {
        var out = bytes
        out.append(0x0a)
        out.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, stdout) }
        fflush(stdout)
    }
}
