import ArgumentParser
import Cgroups
import Container
import FoundationEssentials
import Glibc
import Kernel
import OCI

/// runc's cgroup commands: update, pause, resume, ps, events (issue 5). Values that may be -1 are taken
/// unconditionally (`--memory-swap -1` is a value, not an option).

struct RuntimeUpdate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Change the resource limits of a container.",
        discussion: "With --resources, the limits come from a linux.resources JSON object (FILE, or - for stdin); otherwise from the flags. Limits not given stay as they are.")
    @Option(name: [.customShort("r"), .long], help: "linux.resources JSON from FILE, or - for stdin.") var resources: String?
    @Option(name: .long, parsing: .unconditional, help: "Memory limit in bytes (k, m, g suffixes; -1 unlimited).") var memory: String?
    @Option(name: .customLong("memory-swap"), parsing: .unconditional, help: "Memory plus swap limit (-1 unlimited).") var memorySwap: String?
    @Option(name: .customLong("memory-reservation"), parsing: .unconditional, help: "Memory soft limit.") var memoryReservation: String?
    @Option(name: .customLong("cpu-shares"), help: "CPU shares (relative weight).") var cpuShares: UInt64?
    @Option(name: .customLong("cpu-quota"), parsing: .unconditional, help: "CPU CFS quota in microseconds per period (-1 unlimited).") var cpuQuota: Int64?
    @Option(name: .customLong("cpu-period"), help: "CPU CFS period in microseconds.") var cpuPeriod: UInt64?
    @Option(name: .customLong("cpu-burst"), help: "CPU CFS burst in microseconds.") var cpuBurst: UInt64?
    @Option(name: .customLong("cpu-rt-period"), help: "CPU realtime period in microseconds.") var cpuRtPeriod: UInt64?
    @Option(name: .customLong("cpu-rt-runtime"), parsing: .unconditional, help: "CPU realtime runtime in microseconds.") var cpuRtRuntime: Int64?
    @Option(name: .customLong("cpuset-cpus"), help: "CPUs to run on (0-3,5).") var cpusetCpus: String?
    @Option(name: .customLong("cpuset-mems"), help: "Memory nodes to use (0-1).") var cpusetMems: String?
    @Option(name: .customLong("pids-limit"), parsing: .unconditional, help: "Maximum number of tasks (0 or -1 unlimited).") var pidsLimit: Int64?
    @Option(name: .customLong("blkio-weight"), help: "Block IO weight (10-1000).") var blkioWeight: UInt16?
    @Argument(help: "Container id.") var id: String

    func run() throws {
        try RuntimeCLI.perform {
            try RuntimeCLI.runtime.update(id, resources: try limits())
        }
    }

    func limits() throws -> Resources {
        let flagsGiven = [memory, memorySwap, memoryReservation, cpusetCpus, cpusetMems].contains { $0 != nil }
            || cpuShares != nil || cpuQuota != nil || cpuPeriod != nil || cpuBurst != nil || cpuRtPeriod != nil
            || cpuRtRuntime != nil || pidsLimit != nil || blkioWeight != nil
        if let file = resources {
            if flagsGiven { throw CoveError("--resources cannot be combined with the limit flags; put every limit in the JSON") }
            let bytes: [UInt8]
            do { bytes = file == "-" ? try Self.readStdin() : try FileIO.read(file) } catch { throw CoveError("--resources \(file): \(error)") }
            return try Runtime.decodeResources(bytes, source: file == "-" ? "--resources (stdin)" : file)
        }
        if !flagsGiven { throw CoveError("update: no limit given (use --resources or the limit flags)") }
        var r = Resources()
        if memory != nil || memorySwap != nil || memoryReservation != nil {
            var m = Resources.Memory()
            m.limit = try memory.map { try Self.bytes($0, flag: "--memory") }
            m.swap = try memorySwap.map { try Self.bytes($0, flag: "--memory-swap") }
            m.reservation = try memoryReservation.map { try Self.bytes($0, flag: "--memory-reservation") }
            r.memory = m
        }
        if cpuShares != nil || cpuQuota != nil || cpuPeriod != nil || cpuBurst != nil || cpuRtPeriod != nil
            || cpuRtRuntime != nil || cpusetCpus != nil || cpusetMems != nil {
            var c = Resources.CPU()
            c.shares = cpuShares
            c.quota = cpuQuota
            c.period = cpuPeriod
            c.burst = cpuBurst
            c.realtimePeriod = cpuRtPeriod
            c.realtimeRuntime = cpuRtRuntime
            c.cpus = cpusetCpus
            c.mems = cpusetMems
            r.cpu = c
        }
        if let p = pidsLimit { r.pids = Resources.Pids(limit: p) }
        if let w = blkioWeight {
            var b = Resources.BlockIO()
            b.weight = w
            r.blockIO = b
        }
        return r
    }

    /// go-units' RAMInBytes as runc uses it: a number with an optional k/m/g/t/p suffix (powers of 1024,
    /// optionally followed by `i` and/or `b`), or -1 for unlimited.
    static func bytes(_ text: String, flag: String) throws -> Int64 {
        if text == "-1" { return -1 }
        let lower = Array(text.lowercased().filter { $0 != " " })
        var end = lower.count
        if end > 0 && lower[end - 1] == "b" { end -= 1 }
        if end > 0 && lower[end - 1] == "i" { end -= 1 }
        var multiplier: Double = 1
        if end > 0, let i = "kmgtp".firstIndex(of: lower[end - 1]) {
            multiplier = pow(1024, Double("kmgtp".distance(from: "kmgtp".startIndex, to: i) + 1))
            end -= 1
        }
        let number = String(lower[..<end])
        guard !number.isEmpty, number.first!.isNumber, let v = Double(number), v >= 0, v * multiplier < 9.2e18 else {
            throw CoveError("\(flag): invalid size '\(text)' (a number of bytes with an optional k, m, g, t or p suffix, or -1)")
        }
        return Int64(v * multiplier)
    }

    static func readStdin() throws -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = Glibc.read(0, &buf, buf.count)
            if n < 0 { if errno == EINTR { continue }; throw SyscallError.last("read", "stdin") }
            if n == 0 { return out }
            out += buf[..<n]
        }
    }
}

struct RuntimePause: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Freeze every process of a running container.")
    @Argument(help: "Container id.") var id: String
    func run() throws { try RuntimeCLI.perform { try RuntimeCLI.runtime.pause(id) } }
}

struct RuntimeResume: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Thaw a paused container.")
    @Argument(help: "Container id.") var id: String
    func run() throws { try RuntimeCLI.perform { try RuntimeCLI.runtime.resume(id) } }
}

struct RuntimePs: ParsableCommand {
    /// `--format json`: the PIDs as a JSON array (shared with RuntimeFastPath).
    static func showJSON(_ pids: [Int32]) {
        RuntimeCLI.printJSON(Array(("[" + pids.map(String.init).joined(separator: ",") + "]").utf8))
    }

    static let configuration = CommandConfiguration(
        commandName: "ps", abstract: "List the processes of a container.",
        discussion: "table runs ps(1) with the given options (default -ef) and keeps the rows of the container's processes; json prints their PIDs.")
    @Option(name: [.customShort("f"), .long], help: "table or json.") var format: String = "table"
    @Argument(help: "Container id.") var id: String
    @Argument(parsing: .captureForPassthrough, help: "Options for ps(1).") var psArgs: [String] = []

    func run() throws {
        try RuntimeCLI.perform {
            guard format == "table" || format == "json" else { throw CoveError("--format: '\(format)' is not table or json") }
            let pids = try RuntimeCLI.runtime.processes(id)
            if format == "json" { return Self.showJSON(pids) }
            let args = psArgs.isEmpty ? ["-ef"] : psArgs
            let text = try Self.runPS(args)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard !lines.isEmpty, let pidIndex = lines[0].split(separator: " ").firstIndex(of: "PID") else {
                throw CoveError("ps \(args.joined(separator: " ")): no PID column in its output")
            }
            let wanted = Set(pids)
            print(lines.removeFirst())
            for line in lines where !line.isEmpty {
                let fields = line.split(separator: " ")
                if pidIndex < fields.count, let p = pid_t(fields[pidIndex]), wanted.contains(p) { print(line) }
            }
            fflush(stdout)
        }
    }

    /// Runs `ps ARGS` with stdout and stderr on one pipe (as runc's CombinedOutput) and returns the text.
    static func runPS(_ args: [String]) throws -> String {
        var fds: [Int32] = [0, 0]
        try syscallCheck("pipe") { pipe(&fds) }
        let pid = try ProcessControl.fork()
        if pid == 0 {
            close(fds[0])
            dup2(fds[1], 1)
            dup2(fds[1], 2)
            if fds[1] > 2 { close(fds[1]) }
            do { try ProcessControl.exec(["ps"] + args) } catch { fputs("\(error)\n", stderr) }
            ProcessControl.exitChild(127)
        }
        close(fds[1])
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = Glibc.read(fds[0], &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += buf[..<n]
        }
        close(fds[0])
        let status = try ProcessControl.wait(pid)
        let text = String(decoding: out, as: UTF8.self)
        if status != .exited(0) {
            let first = text.split(separator: "\n").first.map(String.init) ?? ""
            throw CoveError("ps \(args.joined(separator: " ")): \(status)\(first.isEmpty ? "" : ": " + first)")
        }
        return text
    }
}

struct RuntimeEvents: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Print a container's events (stats, oom) as JSON lines.",
        discussion: "Every interval a stats event; an oom event whenever the kernel's OOM killer kills a process of the container. Ends when the container stops.")
    @Flag(name: .long, help: "Print one stats event and exit.") var stats = false
    @Option(name: .long, help: "Time between stats events (Go duration: 5s, 500ms, 1m).") var interval: String = "5s"
    @Argument(help: "Container id.") var id: String

    struct Event<Payload: Encodable>: Encodable {
        var type: String
        var id: String
        var data: Payload?
    }

    func run() throws {
        try RuntimeCLI.perform {
            guard let every = Self.milliseconds(interval), every > 0 else {
                throw CoveError("--interval: '\(interval)' is not a duration greater than 0 (such as 5s or 500ms)")
            }
            let runtime = RuntimeCLI.runtime
            var sample = try runtime.sample(id)
            if sample.status == .stopped { throw CoveError("container '\(id)' is not running") }
            if stats {
                try emit(Event(type: "stats", id: id, data: sample.stats))
                return
            }
            // OOM kills are checked every tick (100 ms or the interval, if shorter), stats every interval.
            let tick = min(every, 100)
            var oomSeen = sample.oomKills ?? 0
            var sinceStats = 0
            while true {
                CgroupSleep.milliseconds(tick)
                sinceStats += tick
                do { sample = try runtime.sample(id) } catch { return }
                if let n = sample.oomKills, n > oomSeen {
                    for _ in oomSeen..<n { try emit(Event<CgroupStats>(type: "oom", id: id, data: nil)) }
                    oomSeen = n
                }
                if sample.status == .stopped { return }
                if sinceStats >= every {
                    sinceStats = 0
                    try emit(Event(type: "stats", id: id, data: sample.stats))
                }
            }
        }
    }

    func emit<T: Encodable>(_ event: Event<T>) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.withoutEscapingSlashes]
        RuntimeCLI.printJSON(Array(try enc.encode(event)))
    }

    /// A Go duration (`5s`, `1.5s`, `500ms`, `1m30s`, `2h`) in milliseconds; nil when it is not one.
    static func milliseconds(_ text: String) -> Int? {
        let units: [(String, Double)] = [("ns", 1e-6), ("us", 1e-3), ("µs", 1e-3), ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let v = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !$0.isNumber && $0 != "." }
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += v * unit.1
        }
        return total >= 1 ? Int(total) : (total > 0 ? 1 : 0)
    }
}

enum CgroupSleep {
    static func milliseconds(_ ms: Int) {
        var ts = timespec(tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000)
        var left = timespec()
        while nanosleep(&ts, &left) != 0 && errno == EINTR { ts = left }
    }
}
