import Foundation
import Testing

/// Looking at the host's cgroups from the tests of the runtime's cgroup commands (issue 5).
enum HostCgroups {
    /// Every cgroup hierarchy mounted under /sys/fs/cgroup (v1 controllers, the unified v2 one), by name.
    static var mounts: [String: String] {
        var out: [String: String] = [:]
        let info = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        for line in info.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let pre = halves[0].split(separator: " "), post = halves[1].split(separator: " ")
            guard pre.count > 4, post.count > 2, String(pre[4]).hasPrefix("/sys/fs/cgroup") else { continue }
            let mp = String(pre[4])
            if post[0] == "cgroup2" { out["unified"] = mp }
            if post[0] == "cgroup" { out[(mp as NSString).lastPathComponent] = mp }
        }
        return out
    }

    /// The v1 memory/pids/… directory of a cgroup path (`/cove-ID`).
    static func dir(_ controller: String, _ path: String) -> String? {
        mounts[controller].map { $0 + path }
    }

    static func read(_ controller: String, _ path: String, _ file: String) -> String? {
        guard let d = dir(controller, path) else { return nil }
        return (try? String(contentsOfFile: "\(d)/\(file)", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static var isV1: Bool { mounts["memory"] != nil }

    /// Directories left for these cgroup paths in any hierarchy.
    static func leftovers(_ paths: [String]) -> [String] {
        mounts.values.flatMap { m in paths.map { m + $0 } }.filter { FileManager.default.fileExists(atPath: $0) }.sorted()
    }
}

extension RuntimeBundle {
    /// The default cgroup path of a container.
    static func cgroup(_ id: String) -> String { "/cove-\(id)" }

    func resources(_ r: [String: Any]) {
        var l = linux
        l["resources"] = r
        linux = l
    }

    /// The spec's cgroup mount, as `cove spec` writes it (RuntimeBundle drops it by default).
    func mountCgroups() {
        mounts = mounts + [["destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                            "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]]]
    }

    /// `cove ps --format json ID`.
    func pids(_ id: String) throws -> [Int] {
        let r = try cove(["ps", "--format", "json", id])
        guard r.status == 0 else { throw TestFailure("cove ps: \(r)") }
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [Int] ?? []
    }

    /// assertClean plus: no cgroup directory of these paths is left in any hierarchy.
    func assertCleanCgroups(_ paths: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        assertClean(sourceLocation: sourceLocation)
        var left: [String] = []
        for _ in 0..<40 {
            left = HostCgroups.leftovers(paths)
            if left.isEmpty { break }
            usleep(50_000)
        }
        #expect(left.isEmpty, "cgroups left: \(left)", sourceLocation: sourceLocation)
    }

    /// Runs `cove run -d` for the current config; returns the id.
    func runDetached(_ tag: String = "c") throws -> String {
        try writeConfig()
        let id = newID(tag)
        let r = try coveToFiles(["run", "-d", "-b", bundle, id])
        guard r.status == 0 else { throw TestFailure("cove run -d: \(r)") }
        return id
    }
}

enum RuntimeCgroupHost {
    static var available: Bool { RuntimeBundle.available && HostCgroups.isV1 }
    static let reason: Comment = "needs root, /bin/busybox and the v1 memory controller (this host's layout)"
}

enum HostProcess {
    /// No such process, or only its zombie (whoever inherited it may not have reaped it yet).
    static func gone(_ pid: Int) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state == "Z" || state == "X"
    }
}
