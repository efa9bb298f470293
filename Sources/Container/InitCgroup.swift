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
        guard let message = InitCgroup.Message(text), message.files.count == fds.count else {
            for f in fds { close(f) }
            throw CoveError("joining the cgroup: malformed message from cove create (\(fds.count) descriptors): \(text)")
        }
        let join = CgroupJoinFiles(files: zip(message.files, fds).map { CgroupJoinFiles.File(path: $0, fd: $1) })
        defer { join.close() }
        try step("joining the cgroup") { try join.joinCaller() }
        if newNamespace {
            try step("creating the cgroup namespace") { try Namespaces.unshare(.newCgroup) }
        } else {
            hostDirs = CgroupMount.HostDirs(made: message.paths, layout: message.layout)
        }
        entered = true
        return hostDirs
    }

    /// The message's text after "cgroup ": the directories (controller → path, as state.json keeps them), the
    /// join files' paths in the order their descriptors are attached, and the host's cgroup mounts — `create`
    /// read mountinfo after the init was cloned, so the init would otherwise read and parse it again.
    struct Message: Equatable {
        var paths: [String: String]
        var files: [String]
        var layout: CgroupLayout?

        init(paths: [String: String], files: [String], layout: CgroupLayout?) {
            self.paths = paths
            self.files = files
            self.layout = layout
        }

        /// Written directly: building a JSONValue tree of dictionaries and rendering it with sorted keys cost
        /// ~140K instructions in `create` (callgrind); the receiver parses it back into dictionaries anyway.
        var text: String {
            var out = "{\"paths\":"
            out.reserveCapacity(1024)
            Message.append(paths, to: &out)
            out += ",\"files\":["
            for (i, f) in files.enumerated() {
                if i > 0 { out += "," }
                out += JSONText.quote(f)
            }
            out += "]"
            if let layout {
                out += ",\"mounts\":"
                Message.append(layout.v1Mounts, to: &out)
                if let u = layout.unifiedMount { out += ",\"unified\":" + JSONText.quote(u) }
            }
            return out + "}"
        }

        private static func append(_ object: [String: String], to out: inout String) {
            out += "{"
            var first = true
            for (key, value) in object {
                if !first { out += "," }
                first = false
                out += JSONText.quote(key)
                out += ":"
                out += JSONText.quote(value)
            }
            out += "}"
        }

        /// nil for anything `text` does not make.
        init?(_ text: String) {
            guard let v = try? JSONParser.parse(Array(text.utf8)),
                  case .object(let p)? = v[path: ["paths"]], case .array(let f)? = v[path: ["files"]] else { return nil }
            paths = p.compactMapValues(\.stringValue)
            files = f.compactMap(\.stringValue)
            if case .object(let m)? = v[path: ["mounts"]] {
                let unified = v[path: ["unified"]]?.stringValue
                let mounts = m.compactMapValues(\.stringValue)
                layout = CgroupLayout(mode: mounts.isEmpty ? .unified : (unified == nil ? .legacy : .hybrid),
                                      v1Mounts: mounts, unifiedMount: unified)
            }
        }
    }
}
