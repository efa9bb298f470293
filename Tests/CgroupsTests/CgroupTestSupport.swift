import Foundation
import Testing
@testable import Cgroups
import Kernel

enum CgroupHost {
    static let isRoot = geteuid() == 0
    static let rootReason: Comment = "needs root: creates real cgroups"

    /// v1 controllers mounted at /sys/fs/cgroup/<name> (this build machine's hybrid layout).
    static func v1Mounted(_ controllers: String...) -> Bool {
        guard isRoot, let layout = try? CgroupLayout.detect() else { return false }
        return layout.mode != .unified && controllers.allSatisfy { layout.v1Mounts[$0] == "/sys/fs/cgroup/\($0)" }
    }
    static let v1Reason: Comment = "needs root and cgroup v1 controllers under /sys/fs/cgroup"

    /// A v2 hierarchy with cgroup.freeze and cgroup.kill in its children (kernel ≥ 5.14).
    static var v2Mount: String? {
        guard isRoot, let layout = try? CgroupLayout.detect(), let m = layout.unifiedMount else { return nil }
        return m
    }
    static let v2Reason: Comment = "needs root and a mounted cgroup v2 hierarchy"
}

/// Unique cgroup names for tests: `cove-test-<pid>-<n>`.
enum CgroupName {
    nonisolated(unsafe) private static var counter = 0
    private static let lock = NSLock()
    static func make(_ tag: String) -> String {
        lock.lock(); defer { lock.unlock() }
        counter += 1
        return "cove-test-\(tag)-\(getpid())-\(counter)"
    }
}

/// A temporary directory laid out like cgroupfs: controller directories with their root files, and
/// leaf cgroups pre-populated with the files the kernel would create.
final class FakeCgroupfs {
    let root: String
    let fm = FileManager.default

    init() throws {
        var template = Array("/tmp/cove-cgfake-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        root = String(cString: p)
    }

    deinit { try? fm.removeItem(atPath: root) }

    static let v1Files: [String: [String]] = [
        "cpu": ["cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.cfs_burst_us", "cpu.rt_period_us", "cpu.rt_runtime_us", "cpu.idle", "cpu.stat"],
        "cpuacct": ["cpuacct.usage", "cpuacct.usage_percpu", "cpuacct.stat", "cpuacct.usage_percpu_sys", "cpuacct.usage_percpu_user"],
        "cpuset": ["cpuset.cpus", "cpuset.mems"],
        "memory": ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.swappiness",
                   "memory.oom_control", "memory.use_hierarchy", "memory.kmem.tcp.limit_in_bytes", "memory.usage_in_bytes",
                   "memory.max_usage_in_bytes", "memory.failcnt", "memory.stat", "memory.memsw.usage_in_bytes"],
        "pids": ["pids.max", "pids.current"],
        "blkio": ["blkio.bfq.weight", "blkio.bfq.weight_device", "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
                  "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device", "blkio.throttle.io_service_bytes_recursive",
                  "blkio.throttle.io_serviced_recursive"],
        "devices": ["devices.allow", "devices.deny", "devices.list"],
        "freezer": ["freezer.state"],
        "hugetlb": ["hugetlb.2MB.limit_in_bytes", "hugetlb.1GB.limit_in_bytes", "hugetlb.2MB.usage_in_bytes"],
        "net_cls": ["net_cls.classid"],
        "net_prio": ["net_prio.ifpriomap"],
        "rdma": ["rdma.max"],
    ]

    static let v2Files: [String: [String]] = [
        "cgroup": ["cgroup.procs", "cgroup.freeze", "cgroup.events", "cgroup.kill", "cgroup.controllers", "cgroup.subtree_control", "cgroup.max.depth"],
        "cpu": ["cpu.weight", "cpu.max", "cpu.max.burst", "cpu.idle", "cpu.stat"],
        "cpuset": ["cpuset.cpus", "cpuset.mems"],
        "memory": ["memory.max", "memory.swap.max", "memory.low", "memory.high", "memory.current", "memory.events", "memory.stat", "memory.oom.group"],
        "pids": ["pids.max", "pids.current"],
        "io": ["io.weight", "io.max", "io.stat"],
        "hugetlb": ["hugetlb.2MB.max", "hugetlb.1GB.max"],
        "rdma": ["rdma.max"],
    ]

    func write(_ rel: String, _ text: String) throws {
        let path = "\(root)/\(rel)"
        try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    func read(_ rel: String) -> String? {
        try? String(contentsOfFile: "\(root)/\(rel)", encoding: .utf8)
    }

    /// A v1 tree: root/<controller>/ with root files, and `cgroup` pre-created in each controller.
    func v1(controllers: [String], cgroup: String) throws -> CgroupLayout {
        for c in controllers {
            try fm.createDirectory(atPath: "\(root)/\(c)", withIntermediateDirectories: true)
            try write("\(c)/cgroup.procs", "")
            if c == "cpuset" {
                try write("cpuset/cpuset.cpus", "0-1\n")
                try write("cpuset/cpuset.mems", "0\n")
            }
            for f in (FakeCgroupfs.v1Files[c] ?? []) + ["cgroup.procs", "tasks"] { try write("\(c)\(cgroup)/\(f)", "") }
        }
        return CgroupLayout.v1(root: root, controllers: controllers)
    }

    /// A v2 tree with `controllers` offered by the root and enabled down to `cgroup`.
    func v2(controllers: [String], cgroup: String) throws -> CgroupLayout {
        try write("cgroup.controllers", controllers.joined(separator: " ") + "\n")
        try write("cgroup.subtree_control", "")
        for f in FakeCgroupfs.v2Files["cgroup"]! { try write("\(cgroup.dropFirst())/\(f)", "") }
        try write("\(cgroup.dropFirst())/cgroup.controllers", controllers.joined(separator: " ") + "\n")
        for c in controllers {
            for f in FakeCgroupfs.v2Files[c] ?? [] { try write("\(cgroup.dropFirst())/\(f)", "") }
        }
        return CgroupLayout.v2(root: root)
    }
}

/// Records every write a manager makes, in order.
final class WriteLog {
    var entries: [(String, String)] = []
    var options: CgroupOptions {
        var o = CgroupOptions(hugepageSizes: ["2MB", "1GB"])
        o.trace = { [unowned self] path, value in self.entries.append((path, value)) }
        return o
    }

    /// The writes into files directly in `dir`, as `file=value`.
    func names(relativeTo dir: String) -> [String] {
        entries.compactMap { (path, value) in
            guard path.hasPrefix(dir + "/") else { return nil }
            let rel = String(path.dropFirst(dir.count + 1))
            return rel.contains("/") ? nil : "\(rel)=\(value)"
        }
    }
}

/// A `/bin/sh -c SCRIPT` child for root tests, started with posix_spawn so it gets a clean signal mask
/// (Foundation's Process passes on the test runner's blocked signals, and SIGTERM would never arrive).
/// The test talks to it over stdin/stdout and reaps it itself.
final class TestChild {
    let pid: pid_t
    private let input: Kernel.Pipe
    private let output_: Kernel.Pipe
    private(set) var status: Kernel.ExitStatus?

    init(_ script: String) throws {
        input = try Kernel.Pipe()
        output_ = try Kernel.Pipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input.readEnd, 0)
        posix_spawn_file_actions_adddup2(&actions, output_.writeEnd, 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let args: [String] = ["/bin/sh", "-c", script]
        let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, "/bin/sh", &actions, &attr, argv, environ)
        input.closeRead()
        output_.closeWrite()
        if rc != 0 {
            input.closeWrite()
            output_.closeRead()
            throw SyscallError("posix_spawn", "/bin/sh", errno: .init(rawValue: rc))
        }
        pid = child
    }

    deinit {
        stop()
        input.closeWrite()
        output_.closeRead()
    }

    func go() {
        var line = Array("go\n".utf8)
        _ = write(input.writeEnd, &line, line.count)
    }

    /// Waits up to `seconds` for the child to end; nil on timeout.
    @discardableResult
    func wait(seconds: Double) -> Kernel.ExitStatus? {
        let deadline = Date().addingTimeInterval(seconds)
        while status == nil {
            if let s = try? ProcessControl.poll(pid) { status = s; break }
            if Date() >= deadline { break }
            usleep(10_000)
        }
        return status
    }

    /// Everything the child wrote to stdout, once it closed it.
    func output() -> String {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(output_.readEnd, &buf, buf.count)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Kills the child by its PID and reaps it.
    func stop() {
        guard status == nil else { return }
        kill(pid, SIGKILL)
        wait(seconds: 10)
    }
}
