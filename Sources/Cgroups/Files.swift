import Glibc
import Kernel

/// One write a manager makes: `value` into `file` of `controller`'s cgroup directory. Controllers first
/// plan their writes (pure, testable), then the manager checks every controller and file exists and
/// only then writes — so a limit the host cannot enforce fails before anything changed.
public struct CgroupWrite: Equatable, Sendable, CustomStringConvertible {
    /// v1 controller name, or the v2 controller the file belongs to (`cgroup` for core files).
    public var controller: String
    public var file: String
    public var value: String

    public init(_ controller: String, _ file: String, _ value: String) {
        self.controller = controller
        self.file = file
        self.value = value
    }

    public var description: String { "\(file)=\(value)" }
}

/// Something the manager skipped instead of failing — the caller shows it (`cove` prints warnings on
/// stderr). Used for rootless mode without delegation and for settings a cgroup version lacks but which
/// limit nothing (v2 swappiness, net_cls on v2, deprecated kernel memory).
public struct CgroupWarning: Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// How a manager reaches the filesystem. Injectable for tests and `--debug` logging.
public struct CgroupOptions {
    /// Rootless mode: a cgroup the user may not create or write is skipped with a warning, as runc does.
    public var rootless: Bool
    /// Called with (path, value) before every write.
    public var trace: ((String, String) -> Void)?
    /// The caller's own cgroups, used for relative paths; nil reads /proc/self/cgroup when needed.
    public var ownCgroups: ProcessCgroups?
    /// Hugepage sizes the host supports (`2MB`, `1GB`); nil reads /sys/kernel/mm/hugepages.
    public var hugepageSizes: [String]?
    /// v2 only: controllers to enable in cgroup.subtree_control of each ancestor on `create`. nil enables
    /// every controller the parent offers (runc's behaviour); `[]` touches no ancestor's subtree_control.
    public var v2ControllersToEnable: Set<String>?
    /// How long `destroy` keeps retrying rmdir while exiting tasks leave, and `freeze` waits for
    /// the frozen state, in milliseconds.
    public var timeoutMilliseconds: Int

    public init(rootless: Bool = false, trace: ((String, String) -> Void)? = nil, ownCgroups: ProcessCgroups? = nil,
                hugepageSizes: [String]? = nil, v2ControllersToEnable: Set<String>? = nil, timeoutMilliseconds: Int = 2000) {
        self.rootless = rootless
        self.trace = trace
        self.ownCgroups = ownCgroups
        self.hugepageSizes = hugepageSizes
        self.v2ControllersToEnable = v2ControllersToEnable
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

/// Small cgroupfs file helpers (no Foundation).
enum CgroupFile {
    /// Writes `value` with one write(2), O_TRUNC like runc, so a regular file in a test tree ends up holding
    /// exactly that value. Errors name the file and the value.
    static func write(_ path: String, _ value: String, trace: ((String, String) -> Void)?) throws {
        try write(path, [value], trace: trace)
    }

    /// Each value with a write(2) of its own through one open (cgroupfs takes every write as a whole
    /// value; a regular file ends up holding them all, one after the other).
    static func write(_ path: String, _ values: [String], trace: ((String, String) -> Void)?) throws {
        if let first = values.first { trace?(path, first) }
        let fd = Glibc.open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        if fd < 0 { throw SyscallError.last("open", path) }
        defer { close(fd) }
        for (i, value) in values.enumerated() {
            if i > 0 { trace?(path, value) }
            var bytes = Array(value.utf8)
            while true {
                let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if n >= 0 { break }
                let e = errno
                if e == EINTR { continue }
                throw SyscallError("write", "\(path) (\"\(value)\")", errno: .init(rawValue: e))
            }
        }
    }

    static func read(_ path: String) throws -> String {
        var s = try FileIO.readString(path)
        while let last = s.last, last == "\n" || last == " " { s.removeLast() }
        return s
    }

    /// A single number; `max` reads as UInt64.max.
    static func readUInt(_ path: String) throws -> UInt64 {
        let s = try read(path)
        if s == "max" { return UInt64.max }
        guard let n = UInt64(s) else { throw CoveError("\(path): expected a number, found \"\(s)\"") }
        return n
    }

    /// `key value` lines (memory.stat, cpu.stat, memory.events, memory.oom_control).
    static func readKeyed(_ path: String) throws -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for line in try read(path).split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 2 else { continue }
            out[String(f[0])] = f[1] == "max" ? UInt64.max : UInt64(f[1])
        }
        return out
    }

    /// A list of numbers separated by spaces or newlines (cgroup.procs, cpuacct.usage_percpu).
    static func readNumbers(_ path: String) throws -> [UInt64] {
        try read(path).split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { UInt64($0) }
    }

    static func exists(_ path: String) -> Bool { FileIO.exists(path) }

    /// Sleeps `ms` milliseconds (nanosleep; cove has no run loop).
    static func sleep(milliseconds ms: Int) {
        var ts = timespec(tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000)
        var rest = timespec()
        while nanosleep(&ts, &rest) != 0 && errno == EINTR { ts = rest }
    }

    /// Errors that mean "not allowed here" — in rootless mode they turn into warnings.
    static func isPermission(_ error: Error) -> Bool {
        guard let e = error as? SyscallError else { return false }
        return e.errno == .permissionDenied || e.errno == .notPermitted || e.errno == .readOnlyFileSystem
    }
}
