import Foundation
import Testing

/// dockerd started by the test with a private data root, exec root, pidfile, socket and daemon.json (its
/// key file moved there too), no iptables and no bridge, cgroupfs under a unique --cgroup-parent, and the
/// runtime under test added with `--add-runtime`. dockerd starts its own containerd under the exec root;
/// containers run through containerd's runc shim with the runtime as `BinaryName`.
final class DockerEngine {
    let runtime: EngineRuntime
    let runtimePath: String
    let runtimeName: String
    let tmp: TempDir
    let rootfs: String
    let cgroupParent: String
    let socket: String
    let dockerPath: String
    let footprint = HostFootprint()
    var daemon: EngineDaemon?
    let image = "covebox:test"

    static let missing = EngineTools.missing(["dockerd", "docker", "containerd", "containerd-shim-runc-v2"], package: "docker.io")

    init(_ runtime: EngineRuntime) throws {
        self.runtime = runtime
        runtimePath = try runtime.path()
        // "runc" is dockerd's built-in name; the harness check adds runc under another one.
        runtimeName = runtime == .cove ? "cove" : "runc-check"
        // Debian's client first: another `docker` may sit earlier in PATH.
        dockerPath = EngineTools.find("docker", prefer: ["/usr/bin/docker"])!
        tmp = try TempDir("cove-eng-docker")
        rootfs = tmp.file("rootfs")
        try BusyboxRootfs.make(at: rootfs)
        cgroupParent = UniqueName.make("coveengd")
        socket = tmp.file("docker.sock")
        try #"{"deprecated-key-path": "\#(tmp.file("key.json"))"}"#.write(toFile: tmp.file("daemon.json"), atomically: true, encoding: .utf8)
        // dockerd stops the containerd it started with SIGUSR1 first, and containerd then writes its goroutine
        // stacks to $TMPDIR/containerd.PID.stacks.log: in the test's directory, not /tmp.
        let daemonTmp = tmp.file("daemon-tmp")
        try FileManager.default.createDirectory(atPath: daemonTmp, withIntermediateDirectories: true)
        let d = try EngineDaemon([
            EngineTools.find("dockerd")!, "--config-file", tmp.file("daemon.json"),
            "--data-root", tmp.file("data"), "--exec-root", tmp.file("exec"), "--pidfile", tmp.file("docker.pid"),
            "-H", "unix://\(socket)", "--iptables=false", "--ip-forward=false", "--ip-masq=false", "--bridge=none",
            "--userland-proxy=false", "--exec-opt", "native.cgroupdriver=cgroupfs", "--cgroup-parent", "/" + cgroupParent,
            "--add-runtime", "\(runtimeName)=\(runtimePath)",
        ], log: tmp.file("dockerd.log"), env: ["TMPDIR": daemonTmp])
        daemon = d
        try d.waitReady { FileManager.default.fileExists(atPath: socket) && (try? docker(["version"], timeout: 20).status) == 0 }
    }

    @discardableResult
    func docker(_ args: [String], timeout: TimeInterval = 180) throws -> RunResult {
        try EngineShell.run([dockerPath, "-H", "unix://\(socket)"] + args,
                            env: ["DOCKER_CONFIG": tmp.file("client")], timeout: timeout)
    }

    /// `docker import` of a tarball of the busybox rootfs.
    func importImage() throws -> RunResult {
        try EngineImage.rootfsTar(rootfs, to: tmp.file("rootfs.tar"))
        return try docker(["import", tmp.file("rootfs.tar"), image])
    }

    /// Flags every container gets: the runtime under test, no network, and no seccomp filter unless
    /// `seccomp` (cove's seccomp is issue 6; its own test covers Docker's default profile).
    func containerFlags(seccomp: Bool = false) -> [String] {
        ["--runtime", runtimeName, "--network", "none"] + (seccomp ? [] : ["--security-opt", "seccomp=unconfined"])
    }

    @discardableResult
    func run(_ flags: [String], _ command: [String], seccomp: Bool = false, timeout: TimeInterval = 180) throws -> RunResult {
        try docker(["run"] + containerFlags(seccomp: seccomp) + flags + [image] + command, timeout: timeout)
    }

    func sh(_ script: String) -> [String] { ["sh", "-c", script, tmp.path] }

    func inspect(_ name: String, _ format: String) throws -> String {
        try docker(["inspect", "--format", format, name]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `body`; then removes every container, stops dockerd (and with it its containerd) and checks
    /// what is left; rethrows `body`'s error after the check.
    func session(_ body: (DockerEngine) throws -> Void) throws {
        var failure: Error?
        do { try body(self) } catch { failure = error }
        var problems: [String] = []
        let ids = (try? docker(["ps", "--all", "--quiet"]).stdout.split(separator: "\n").map(String.init)) ?? []
        if !ids.isEmpty, let rm = try? docker(["rm", "--force"] + ids), rm.status != 0 { problems.append("docker rm --force: \(rm)") }
        let state = tmp.file("exec/runtime-\(runtimeName)/moby")
        problems += ((try? FileManager.default.contentsOfDirectory(atPath: state)) ?? []).map { "runtime state \(state)/\($0)" }
        daemon?.stop()
        problems += EngineAftermath(tmp: tmp, cgroupParent: cgroupParent, footprint: footprint).check()
        #expect(problems.isEmpty, "dockerd with \(runtime) left behind:\n\(problems.joined(separator: "\n"))")
        if let failure { throw failure }
    }
}
