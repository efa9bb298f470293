import Foundation
import Testing

/// Host-wide paths engines write to whatever they are told. podman 4.3 hard-codes netavark's run directory
/// /run/containers/networks; containerd's shims put their sockets in /run/containerd/s; dockerd makes
/// /run/docker/plugins; podman passes no `--root` to the runtime's `delete` and `kill`, so the runtime keeps
/// its state in its default root (/run/cove, /run/runc). ctr's FIFOs (/run/containerd/fifo) and dockerd's
/// key (/etc/docker/key.json) are moved into the test's directory by flags; they are watched all the same.
/// What appeared during a test is removed afterwards when it holds nothing but empty directories; a file in
/// it (a socket, a state file) is a leftover: reported, and left for a person to look at rather than deleted
/// (on a shared machine someone else's runtime may be using the same default root).
struct HostFootprint {
    static let watched = ["/run/containers", "/run/containerd", "/run/docker", "/run/cove", "/run/runc", "/etc/docker/key.json"]
    private let existed: [String: Set<String>]

    init() {
        var m: [String: Set<String>] = [:]
        for p in Self.watched where FileManager.default.fileExists(atPath: p) {
            m[p] = Set((try? FileManager.default.contentsOfDirectory(atPath: p)) ?? [])
        }
        existed = m
    }

    /// Removes the empty directories that appeared since `init` and returns the leftovers found: files under
    /// a path that did not exist before, and new entries in one that did.
    func cleanUp() -> [String] {
        let fm = FileManager.default
        var left: [String] = []
        for p in Self.watched {
            if let before = existed[p] {
                let now = Set((try? fm.contentsOfDirectory(atPath: p)) ?? [])
                left += now.subtracting(before).sorted().map { "\(p)/\($0)" }
            } else if fm.fileExists(atPath: p) {
                left += Self.nonDirectories(under: p)
                Self.removeEmptyDirectories(p)
            }
        }
        return left
    }

    /// rmdir(2) deepest first: never deletes a file.
    static func removeEmptyDirectories(_ path: String) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return }
        for e in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] { removeEmptyDirectories("\(path)/\(e)") }
        rmdir(path)
    }

    static func nonDirectories(under path: String) -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return [] }
        guard isDir.boolValue else { return [path] }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return entries.sorted().flatMap { nonDirectories(under: "\(path)/\($0)") }
    }
}

/// Cgroups an engine made for a test's containers: every hierarchy's /NAME (cgroup v1 and hybrid) or
/// /sys/fs/cgroup/NAME (v2). Tests give each engine a unique parent (podman and dockerd --cgroup-parent,
/// a containerd namespace) so these are theirs alone.
enum EngineCgroups {
    static let root = "/sys/fs/cgroup"

    static func dirs(_ name: String) -> [String] {
        let fm = FileManager.default
        if fm.fileExists(atPath: "\(root)/cgroup.controllers") {
            return fm.fileExists(atPath: "\(root)/\(name)") ? ["\(root)/\(name)"] : []
        }
        let hierarchies = ((try? fm.contentsOfDirectory(atPath: root)) ?? []).sorted().map { "\(root)/\($0)" }.filter {
            fm.fileExists(atPath: "\($0)/cgroup.procs")
        }
        return hierarchies.map { "\($0)/\(name)" }.filter { fm.fileExists(atPath: $0) }
    }

    /// Cgroup directories below NAME, except those named in `allowed` (the engine's own, like podman's conmon).
    static func children(_ name: String, except allowed: Set<String> = []) -> [String] {
        dirs(name).flatMap { d in
            ((try? FileManager.default.contentsOfDirectory(atPath: d)) ?? []).filter { e in
                !allowed.contains(e) && FileManager.default.fileExists(atPath: "\(d)/\(e)/cgroup.procs")
            }.map { "\(d)/\($0)" }
        }
    }

    /// PIDs still in NAME's tree.
    static func processes(_ name: String) -> [String] {
        dirs(name).flatMap { tree($0) }.flatMap { d -> [String] in
            let procs = (try? String(contentsOfFile: "\(d)/cgroup.procs", encoding: .utf8)) ?? ""
            return procs.split(separator: "\n").map { "\(d): pid \($0)" }
        }
    }

    /// Removes NAME's tree deepest first; returns what could not be removed.
    @discardableResult
    static func remove(_ name: String) -> [String] {
        for d in dirs(name) {
            for sub in tree(d).reversed() { rmdir(sub) }
        }
        return dirs(name)
    }

    /// A cgroup directory and every cgroup below it, parents first.
    static func tree(_ dir: String) -> [String] {
        let subs = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().map { "\(dir)/\($0)" }.filter {
            FileManager.default.fileExists(atPath: "\($0)/cgroup.procs")
        }
        return [dir] + subs.flatMap { tree($0) }
    }
}

/// The common end of an engine test, once the engine has stopped: waits for the engine's helpers
/// (conmon, shims, `podman container cleanup`) to exit, then lists whatever is left and cleans it up.
struct EngineAftermath {
    let tmp: TempDir
    let cgroupParent: String
    /// Cgroups the engine itself keeps under the parent (not containers').
    var engineCgroups: Set<String> = []
    let footprint: HostFootprint

    /// Everything left behind, described; empty when the engine and runtime cleaned up after themselves.
    func check() -> [String] {
        var problems: [String] = []
        // Every helper and container process carries the test's directory in its command line.
        if !eventually(timeout: 60, { Leftovers.processes(containing: tmp.path).isEmpty }) {
            let pids = Leftovers.processes(containing: tmp.path)
            problems += pids.map { "process \($0): \(cmdline($0))" }
            for pid in pids { kill(pid, SIGKILL) }
            _ = eventually(timeout: 10) { Leftovers.processes(containing: tmp.path).isEmpty }
        }
        let containerCgroups = EngineCgroups.children(cgroupParent, except: engineCgroups)
        problems += containerCgroups.map { "container cgroup \($0)" }
        problems += EngineCgroups.processes(cgroupParent).map { "process in cgroup \($0)" }
        problems += EngineCgroups.remove(cgroupParent).map { "cgroup \($0) cannot be removed" }
        problems += Leftovers.mounts(under: tmp.path).map { "mount \($0)" }
        problems += footprint.cleanUp().map { "host path \($0)" }
        return problems
    }

    func cmdline(_ pid: Int32) -> String {
        let d = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        return String(decoding: d, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
    }
}

/// Image files built from the busybox root filesystem (no registry is reachable).
enum EngineImage {
    /// A tarball of the root filesystem, for `docker import` and `podman import`.
    static func rootfsTar(_ rootfs: String, to path: String) throws {
        let r = try EngineShell.run([EngineTools.find("tar")!, "-C", rootfs, "--numeric-owner", "-cf", path, "."], timeout: 120)
        guard r.status == 0 else { throw TestFailure("tar: \(r)") }
    }

    /// An OCI image archive (oci-layout, index.json, blobs) holding the root filesystem as one layer, named
    /// `name` for containerd (`io.containerd.image.name`).
    static func ociArchive(rootfs: String, to path: String, name: String, work: String) throws {
        let blobs = "\(work)/layout/blobs/sha256"
        try FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        func store(_ data: Data) throws -> (digest: String, size: Int) {
            let tmp = "\(work)/blob.tmp"
            try data.write(to: URL(fileURLWithPath: tmp))
            return try storeFile(tmp)
        }
        func storeFile(_ file: String) throws -> (digest: String, size: Int) {
            let sum = try EngineShell.run([EngineTools.find("sha256sum")!, file], timeout: 120)
            guard sum.status == 0, let hex = sum.stdout.split(separator: " ").first else { throw TestFailure("sha256sum: \(sum)") }
            let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            try FileManager.default.moveItem(atPath: file, toPath: "\(blobs)/\(hex)")
            return ("sha256:\(hex)", size)
        }
        func json(_ object: Any) throws -> Data { try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) }

        try rootfsTar(rootfs, to: "\(work)/layer.tar")
        let layer = try storeFile("\(work)/layer.tar")
        let config = try store(try json([
            "architecture": Self.architecture, "os": "linux",
            "config": ["Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["/bin/sh"]],
            "rootfs": ["type": "layers", "diff_ids": [layer.digest]],
        ]))
        let manifest = try store(try json([
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": config.digest, "size": config.size],
            "layers": [["mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer.digest, "size": layer.size]],
        ]))
        let tag = name.split(separator: ":").last.map(String.init) ?? "latest"
        try json([
            "schemaVersion": 2,
            "manifests": [[
                "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest.digest, "size": manifest.size,
                "annotations": ["io.containerd.image.name": name, "org.opencontainers.image.ref.name": tag],
            ]],
        ]).write(to: URL(fileURLWithPath: "\(work)/layout/index.json"))
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: "\(work)/layout/oci-layout"))
        let r = try EngineShell.run([EngineTools.find("tar")!, "-C", "\(work)/layout", "-cf", path, "."], timeout: 120)
        guard r.status == 0 else { throw TestFailure("tar: \(r)") }
        try FileManager.default.removeItem(atPath: "\(work)/layout")
    }

    /// The OCI architecture name of this machine.
    static var architecture: String {
        var u = utsname()
        uname(&u)
        let m = withUnsafeBytes(of: &u.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        switch m {
        case "x86_64": return "amd64"
        case "aarch64": return "arm64"
        default: return m
        }
    }
}
