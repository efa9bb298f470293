import Foundation
import Testing

/// podman, containerd and Docker (Debian's packages) driving a runtime: each test starts its engine with
/// private roots and sockets and stops it afterwards, leaving nothing behind. Every test runs twice: on cove
/// (the proof) and on runc (the engines' default: a check of the harness itself). A cove case whose feature
/// cove does not have yet is cancelled with cove's own words or the missing command, never passed.
/// One engine at a time: they share host paths they hard-code (/run/containerd/s) and two cores.
@Suite(.serialized)
enum EngineSuites {}

/// A process's cgroup file on the host: v1 `controller`'s `v1File`, or `v2File` on a v2 host.
func cgroupFile(pid: String, controller: String, v1File: String, v2File: String) -> String? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
    let unified = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
    for line in text.split(separator: "\n") {
        let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard f.count == 3 else { continue }
        if unified, f[0] == "0" { return "/sys/fs/cgroup\(f[2])/\(v2File)" }
        if !unified, f[1].split(separator: ",").contains(Substring(controller)) {
            return "/sys/fs/cgroup/\(controller)\(f[2])/\(v1File)"
        }
    }
    return nil
}

func readTrimmed(_ path: String?) -> String? {
    guard let path else { return nil }
    return (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
}
