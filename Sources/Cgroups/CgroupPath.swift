import Kernel

/// `linux.cgroupsPath` as runc reads it with its cgroupfs driver:
/// - absolute (`/cove/web`): under the root of every hierarchy;
/// - relative (`web`): under the cgroup of the calling process (v1: per controller; v2: its parent, because a
///   cgroup that holds processes cannot enable controllers for its children);
/// - empty or absent: the default `/cove-<id>`, directly under each hierarchy's root like crun's `/<id>`, with
///   a prefix so that no container id can name a host cgroup (`user.slice`). Flat: a shared parent would be
///   made and removed again by every create and delete that finds it absent or leaves it empty — sixteen
///   cgroup mkdirs and rmdirs more per container on a v1 host, ~0.25 ms of every sequential `run`.
/// `..` cannot climb out of the hierarchy: the path is cleaned as if rooted first.
public struct CgroupPath: Equatable, Sendable, CustomStringConvertible {
    /// Cleaned; starts with `/` when absolute. Never empty and never the root itself.
    public var path: String
    /// True for the default path (no linux.cgroupsPath).
    public var isDefault: Bool

    public var isRelative: Bool { !path.hasPrefix("/") }
    public var description: String { path }

    public init(_ cgroupsPath: String?, containerID: String) throws {
        let raw = cgroupsPath ?? ""
        if raw.isEmpty {
            guard !containerID.isEmpty, !containerID.contains("/"), containerID != ".", containerID != ".." else {
                throw CoveError("container id \"\(containerID)\" cannot name a cgroup")
            }
            path = "/cove-\(containerID)"
            isDefault = true
            return
        }
        let colonParts = raw.split(separator: ":", omittingEmptySubsequences: false)
        if colonParts.count == 3 && !raw.contains("/") {
            throw CoveError("linux.cgroupsPath \"\(raw)\": the systemd form slice:prefix:name needs the systemd cgroup driver, which cove does not support; use a path such as /cove/\(containerID)")
        }
        let absolute = raw.hasPrefix("/")
        var parts: [String] = []
        for p in Text.pathComponents(raw) {
            if p == "." { continue }
            if p == ".." { _ = parts.popLast(); continue }
            parts.append(p)
        }
        if parts.isEmpty {
            throw CoveError("linux.cgroupsPath \"\(raw)\" names the root cgroup; a container needs a cgroup of its own")
        }
        path = (absolute ? "/" : "") + Text.join(parts[...], separator: "/")
        isDefault = false
    }
}

/// The cgroups a process belongs to, from /proc/PID/cgroup: `4:memory:/a/b`, `2:cpu,cpuacct:/`, `0::/x`.
public struct ProcessCgroups: Equatable, Sendable {
    /// v1 controller (or `name=…`) → path inside its hierarchy.
    public var v1: [String: String]
    /// The path in the v2 hierarchy (the `0::` line).
    public var v2: String?

    public init(v1: [String: String] = [:], v2: String? = nil) {
        self.v1 = v1
        self.v2 = v2
    }

    public init(text: String) {
        v1 = [:]
        v2 = nil
        for (id, controllers, path) in ProcessCgroups.lines(text) {
            if id == "0" && controllers.isEmpty {
                v2 = String(path)
            } else {
                for c in controllers.split(separator: ",") { v1[String(c)] = String(path) }
            }
        }
    }

    /// The v1 hierarchies listed in /proc/PID/cgroup text, each as its controllers sorted and joined by ","
    /// (`cpu,cpuacct`, `name=systemd`): which controllers share a hierarchy, which `v1` does not keep.
    static func v1Hierarchies(_ text: String) -> Set<String> {
        var out: Set<String> = []
        for (id, controllers, _) in lines(text) where id != "0" && !controllers.isEmpty {
            out.insert(Text.join(controllers.split(separator: ",").map(String.init).sorted()[...], separator: ","))
        }
        return out
    }

    /// The `ID:controllers:path` lines; malformed ones are skipped.
    static func lines(_ text: String) -> [(id: Substring, controllers: Substring, path: Substring)] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            return f.count == 3 ? (f[0], f[1], f[2]) : nil
        }
    }

    public static func current(_ file: String = "/proc/self/cgroup") throws -> ProcessCgroups {
        ProcessCgroups(text: try FileIO.readString(file))
    }
}

enum PathJoin {
    /// Joins path pieces with single slashes.
    static func join(_ parts: String...) -> String { join(parts) }

    static func join(_ parts: [String]) -> String {
        var out = ""
        for p in parts {
            let rel = Text.relativePath(p)
            if rel.isEmpty { continue }
            if !out.isEmpty || parts.first?.hasPrefix("/") ?? true { out += "/" }
            out += rel
        }
        let absolute = parts.first?.hasPrefix("/") ?? true
        return absolute && out.isEmpty ? "/" : out
    }

    static func parent(_ path: String) -> String {
        guard let i = path.lastIndex(of: "/") else { return "." }
        return i == path.startIndex ? "/" : String(path[..<i])
    }
}
