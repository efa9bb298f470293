import Foundation
import Testing

/// A private OCI bundle (busybox rootfs + config.json from `cove spec`) and a private `--root` state
/// directory. Every container id it hands out is force-deleted at the end; `assertClean` checks that
/// nothing was left: no state, no mounts under the bundle, no processes carrying the test's marker.
final class RuntimeBundle {
    let tmp: TempDir
    let bundle: String
    let rootfs: String
    let stateRoot: String
    let marker: String
    var config: [String: Any]
    private var ids: [String] = []

    static var available: Bool { Host.isRoot && BusyboxRootfs.available }

    init(_ tag: String = "rt", args: [String]? = nil) throws {
        tmp = try TempDir("cove-\(tag)")
        bundle = tmp.file("bundle")
        rootfs = bundle + "/rootfs"
        stateRoot = tmp.file("state")
        marker = UniqueName.make("mk")
        try FileManager.default.createDirectory(atPath: rootfs, withIntermediateDirectories: true)
        try BusyboxRootfs.make(at: rootfs)
        let r = try Cove.run(["spec", "--bundle", bundle])
        guard r.status == 0 else { throw TestFailure("cove spec: \(r)") }
        config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: bundle + "/config.json"))) as! [String: Any]
        // Runnable without a terminal and without cgroups (issue 5): the rest is runc's default.
        process["terminal"] = false
        var linux = self.linux
        linux.removeValue(forKey: "resources")
        self.linux = linux
        config["mounts"] = (config["mounts"] as! [[String: Any]]).filter { ($0["type"] as? String) != "cgroup" }
        if let args { process["args"] = args }
    }

    deinit {
        for id in ids { _ = try? Cove.run(["--root", stateRoot, "delete", "--force", id]) }
    }

    var process: [String: Any] {
        get { config["process"] as! [String: Any] }
        set { config["process"] = newValue }
    }

    var linux: [String: Any] {
        get { config["linux"] as! [String: Any] }
        set { config["linux"] = newValue }
    }

    var mounts: [[String: Any]] {
        get { config["mounts"] as? [[String: Any]] ?? [] }
        set { config["mounts"] = newValue }
    }

    /// Runs the shell script in the container (with the marker in its argv, so leftovers can be found).
    func script(_ text: String) {
        process["args"] = ["sh", "-c", text, marker]
    }

    func namespaces(_ kinds: [String]) {
        linux["namespaces"] = kinds.map { ["type": $0] }
    }

    func writeConfig() throws {
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: bundle + "/config.json"))
    }

    func newID(_ tag: String = "c") -> String {
        let id = UniqueName.make(tag)
        ids.append(id)
        return id
    }

    /// `cove --root STATE ARGS`.
    @discardableResult
    func cove(_ args: [String], stdin: String? = nil, timeout: TimeInterval = 60) throws -> RunResult {
        try Cove.run(["--root", stateRoot] + args, stdin: stdin, timeout: timeout)
    }

    /// `cove run --bundle B ID` with the current config; returns the result and checks cleanup.
    func run(_ extra: [String] = [], timeout: TimeInterval = 60) throws -> RunResult {
        try writeConfig()
        let id = newID()
        return try cove(["run", "--bundle", bundle] + extra + [id], timeout: timeout)
    }

    /// Runs `cove ARGS` with its stdio on files (a created container keeps its stdio open: pipes would
    /// never reach end of file). Returns status; the container's output collects in `outFile`/`errFile`.
    func coveToFiles(_ args: [String], prefix: String = "") throws -> RunResult {
        let out = tmp.file("out"), err = tmp.file("err")
        let r = try Shell.run(["/bin/sh", "-c", prefix + "exec \"$0\" \"$@\" >>\(out) 2>>\(err) </dev/null", Cove.binary, "--root", stateRoot] + args)
        return RunResult(status: r.status, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    func output() -> String { (try? String(contentsOfFile: tmp.file("out"), encoding: .utf8)) ?? "" }

    func state(_ id: String) throws -> [String: Any] {
        let r = try cove(["state", id])
        guard r.status == 0 else { throw TestFailure("cove state \(id): \(r)") }
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    }

    /// Waits until `cond` holds (up to 10 s).
    func eventually(_ what: String, _ cond: () throws -> Bool) throws {
        for _ in 0..<200 {
            if try cond() { return }
            usleep(50_000)
        }
        throw TestFailure("timed out waiting for \(what)")
    }

    func assertClean(sourceLocation: SourceLocation = #_sourceLocation) {
        assertNoContainerLeftovers(stateRoot: stateRoot, bundle: bundle, marker: marker, sourceLocation: sourceLocation)
    }
}

/// No state under `stateRoot`, no mount under `bundle`, and (after up to 2 s for reaping) no process whose
/// command line carries `marker`.
func assertNoContainerLeftovers(stateRoot: String, bundle: String, marker: String,
                                sourceLocation: SourceLocation = #_sourceLocation) {
    let left = (try? FileManager.default.contentsOfDirectory(atPath: stateRoot)) ?? []
    #expect(left.isEmpty, "state left: \(left)", sourceLocation: sourceLocation)
    #expect(Leftovers.mounts(under: bundle).isEmpty, "mounts left: \(Leftovers.mounts(under: bundle))", sourceLocation: sourceLocation)
    var procs: [Int32] = []
    for _ in 0..<40 {
        procs = Leftovers.processes(containing: marker)
        if procs.isEmpty { break }
        usleep(50_000)
    }
    #expect(procs.isEmpty, "processes left: \(procs)", sourceLocation: sourceLocation)
}

extension RunResult {
    /// The single stderr line of a failed command.
    var errorLine: String { stderr.split(separator: "\n").filter { !$0.hasPrefix("cove: warning") }.joined(separator: "\n") }
}
