import Cgroups
import CLinux
import Glibc
import Kernel

/// The cgroups an exec'd process joins: the container's recorded cgroup, or, when the state records none
/// (rootless without delegation), those of the container's init, read from /proc/INIT/cgroup (paths relative
/// to our cgroup namespace) and mapped onto the mounted hierarchies.
enum ExecCgroup {
    /// (hierarchy, directory) pairs, e.g. ("memory", "/sys/fs/cgroup/memory/cove/x") or ("", "/sys/fs/cgroup/cove/x"),
    /// for the hierarchies where the init sits elsewhere than `cove` itself (nothing to join where it does not).
    static func directories(ofInit pid: pid_t) throws -> [(String, String)] {
        let text = try step("reading /proc/\(pid)/cgroup") { try FileIO.readString("/proc/\(pid)/cgroup") }
        let mine = Set(((try? FileIO.readString("/proc/self/cgroup")) ?? "").split(separator: "\n"))
        let layout = try CgroupLayout.detect()
        var dirs: [(String, String)] = []
        for line in text.split(separator: "\n") where !mine.contains(line) {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let controllers = parts[1].split(separator: ",").map(String.init)
            let path = String(parts[2])
            // A deleted cgroup shows as "/path (deleted)": nothing to join there.
            if path.hasSuffix(" (deleted)") { continue }
            let mount: String?
            if parts[0] == "0" && controllers.isEmpty {
                mount = layout.unifiedMount
            } else {
                mount = controllers.lazy.compactMap { layout.v1Mounts[$0] }.first
            }
            guard let mount else { continue }
            dirs.append((String(parts[1]), path == "/" ? mount : mount + path))
        }
        return dirs
    }

    /// The files through which the exec'd process joins (`CgroupJoinFiles`): those of the container's
    /// recorded cgroup when it has one; otherwise of the init's cgroups as /proc shows them. As root a
    /// failure fails the exec; without root (no delegation) it is a warning.
    static func openJoinFiles(record: ContainerRecord, warn: @escaping (String) -> Void,
                              debug: @escaping (String) -> Void) throws -> CgroupJoinFiles {
        if let paths = record.cgroupPaths, !paths.isEmpty,
           let (files, warnings) = try step("joining the container's cgroup", { try RecordedCgroup.openJoinFiles(paths, rootless: geteuid() != 0) }) {
            for w in warnings { warn(w.message) }
            return files
        }
        var files: [CgroupJoinFiles.File] = []
        var refused: [String] = []
        for (name, dir) in try directories(ofInit: record.pid) {
            do {
                files += try CgroupJoinFiles.open(name.isEmpty ? "cgroup.procs" : "tasks", in: [dir], rootless: false).0.files
            } catch {
                if geteuid() == 0 {
                    CgroupJoinFiles(files: files).close()
                    throw CoveError("joining the container's cgroup \(dir): \(error)")
                }
                refused.append(name.isEmpty ? "unified" : name)
            }
        }
        if !refused.isEmpty {
            warn("the exec'd process stays out of the container's cgroups it may not join (\(refused.joined(separator: ", ")))")
        }
        return CgroupJoinFiles(files: files)
    }
}
