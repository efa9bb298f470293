import Cgroups
import Glibc
import Kernel
import OCI

/// How the init enters its cgroup. `create` makes the cgroup while the init sets up its root filesystem (the
/// two overlap on separate CPUs), then sends `cgroup {"paths": …, "files": […]}` with the join files attached
/// (`CgroupJoinFiles`). The init takes that message at the first point that needs its cgroup — a `cgroup`
/// mount, or else the end of its mounts, before "mounted" and so before any hook — writes "0" to each file, and
/// only then unshares a cgroup namespace, so the namespace is rooted at the container's cgroup.
final class InitCgroup {
    let channel: SyncChannel
    let newNamespace: Bool
    private(set) var entered = false
    private var hostDirs: CgroupMount.HostDirs?

    init(channel: SyncChannel, newNamespace: Bool) {
        self.channel = channel
        self.newNamespace = newNamespace
    }

    /// Joins once. Returns what a cgroup mount binds without a cgroup namespace: the directories `create` made.
    @discardableResult
    func enter() throws -> CgroupMount.HostDirs? {
        if entered { return hostDirs }
        let (text, fds) = try channel.expectWithFDs("cgroup", during: "waiting for the container's cgroup")
        let decoded = try? InitCgroup.decode(text)
        guard let (paths, files) = decoded, files.count == fds.count else {
            for f in fds { close(f) }
            throw CoveError("joining the cgroup: malformed message from cove create (\(fds.count) descriptors): \(text)")
        }
        let join = CgroupJoinFiles(files: zip(files, fds).map { CgroupJoinFiles.File(path: $0, fd: $1) })
        defer { join.close() }
        try step("joining the cgroup") { try join.joinCaller() }
        if newNamespace {
            try step("creating the cgroup namespace") { try Namespaces.unshare(.newCgroup) }
        } else {
            hostDirs = CgroupMount.HostDirs(made: paths, layout: try? ContainerCgroups.hostLayout.get())
        }
        entered = true
        return hostDirs
    }

    /// The message's text after "cgroup ": the directories (for state.json's shape: controller → path) and the
    /// join files' paths, in the order their descriptors are attached.
    static func encode(paths: [String: String], files: [String]) -> String {
        JSONValue.object(["paths": .object(paths.mapValues { .string($0) }), "files": .array(files.map { .string($0) })]).text
    }

    static func decode(_ text: String) throws -> (paths: [String: String], files: [String]) {
        let v = try JSONParser.parse(Array(text.utf8))
        guard case .object(let p)? = v[path: ["paths"]], case .array(let f)? = v[path: ["files"]] else {
            throw CoveError("joining the cgroup: malformed message from cove create: \(text)")
        }
        return (p.compactMapValues(\.stringValue), f.compactMap(\.stringValue))
    }
}
