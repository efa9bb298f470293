import Foundation
import Testing

/// containerd started by the test with a private config.toml (root, state, gRPC and ttrpc sockets; CRI and
/// the snapshotters that write elsewhere disabled), driven with `ctr --address SOCK` in a unique namespace
/// (the containers' cgroups sit under /NAMESPACE). Containers run through the runc shim with
/// `--runc-binary` set to the runtime under test — the shim's `BinaryName`, the path Kubernetes nodes use.
final class ContainerdEngine {
    let runtime: EngineRuntime
    let runtimePath: String
    let tmp: TempDir
    let rootfs: String
    let namespace: String
    let socket: String
    let footprint = HostFootprint()
    var daemon: EngineDaemon?
    let image = "docker.io/library/covebox:test"

    static let missing = EngineTools.missing(["containerd", "ctr", "containerd-shim-runc-v2"], package: "containerd")

    init(_ runtime: EngineRuntime) throws {
        self.runtime = runtime
        runtimePath = try runtime.path()
        tmp = try TempDir("cove-eng-ctrd")
        rootfs = tmp.file("rootfs")
        try BusyboxRootfs.make(at: rootfs)
        namespace = UniqueName.make("coveengc")
        socket = tmp.file("containerd.sock")
        try """
        version = 2
        root = "\(tmp.file("root"))"
        state = "\(tmp.file("state"))"
        disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.aufs",
          "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.opt",
          "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
        [grpc]
          address = "\(socket)"
        [ttrpc]
          address = "\(socket).ttrpc"
        [debug]
          address = ""
        [metrics]
          address = ""
        """.write(toFile: tmp.file("config.toml"), atomically: true, encoding: .utf8)
        let d = try EngineDaemon([EngineTools.find("containerd")!, "--config", tmp.file("config.toml")], log: tmp.file("containerd.log"))
        daemon = d
        try d.waitReady { FileManager.default.fileExists(atPath: socket) && (try? ctr(["version"], timeout: 20).status) == 0 }
    }

    @discardableResult
    func ctr(_ args: [String], timeout: TimeInterval = 180) throws -> RunResult {
        try EngineShell.run([EngineTools.find("ctr")!, "--address", socket, "--namespace", namespace] + args, timeout: timeout)
    }

    /// Builds an OCI image archive from the busybox rootfs and imports it.
    func importImage() throws -> RunResult {
        try EngineImage.ociArchive(rootfs: rootfs, to: tmp.file("image.tar"), name: image, work: tmp.path)
        return try ctr(["image", "import", tmp.file("image.tar")])
    }

    /// The runc shim's options for the runtime under test, and FIFOs inside the test's directory.
    var runtimeFlags: [String] {
        ["--runc-binary", runtimePath, "--runc-root", tmp.file("runc-root"), "--fifo-dir", tmp.file("fifo")]
    }

    /// `ctr run FLAGS IMAGE ID CMD`.
    @discardableResult
    func run(_ flags: [String], id: String, _ command: [String], timeout: TimeInterval = 180) throws -> RunResult {
        try ctr(["run"] + runtimeFlags + flags + [image, id] + command, timeout: timeout)
    }

    func sh(_ script: String) -> [String] { ["sh", "-c", script, tmp.path] }

    /// `ctr task ls` as id → (pid, status).
    func tasks() throws -> [String: (pid: Int32, status: String)] {
        var out: [String: (Int32, String)] = [:]
        for line in try ctr(["task", "ls"]).stdout.split(separator: "\n").dropFirst() {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            if f.count >= 3 { out[String(f[0])] = (Int32(f[1]) ?? 0, String(f[2])) }
        }
        return out
    }

    /// Runs `body`; then kills and deletes every task and container, stops containerd and checks what is
    /// left (state under the runc root included); rethrows `body`'s error after the check.
    func session(_ body: (ContainerdEngine) throws -> Void) throws {
        var failure: Error?
        do { try body(self) } catch { failure = error }
        var problems: [String] = []
        if let tasks = try? tasks() {
            for id in tasks.keys {
                _ = try? ctr(["task", "kill", "--signal", "SIGKILL", id])
                _ = eventually(timeout: 30) { (try? self.tasks()[id]?.status) != "RUNNING" }
                _ = try? ctr(["task", "delete", "--force", id])
            }
        }
        for id in (try? ctr(["container", "ls", "--quiet"]).stdout.split(separator: "\n").map(String.init)) ?? [] {
            _ = try? ctr(["container", "delete", id])
        }
        let state = tmp.file("runc-root/\(namespace)")
        problems += ((try? FileManager.default.contentsOfDirectory(atPath: state)) ?? []).map { "runtime state \(state)/\($0)" }
        daemon?.stop()
        problems += EngineAftermath(tmp: tmp, cgroupParent: namespace, footprint: footprint).check()
        #expect(problems.isEmpty, "containerd with \(runtime) left behind:\n\(problems.joined(separator: "\n"))")
        if let failure { throw failure }
    }
}
