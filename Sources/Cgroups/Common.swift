import Glibc
import Kernel

/// Steps both managers share: checking and performing planned writes, removing directories, listing PIDs.
enum CgroupCommon {
    /// Checks every planned write (controller present, file present), then performs them in order.
    /// Rootless: a controller directory that could not be created, or a write refused for permissions, is
    /// skipped with a warning.
    static func perform(_ writes: [CgroupWrite], version: CgroupVersion, options: CgroupOptions,
                        dir: (String) -> String?, warnings: inout [CgroupWarning]) throws {
        var skipped = Set<String>()
        var checked = Set<String>()
        for w in writes {
            guard let d = dir(w.controller) else {
                throw missingController(w.controller, version: version, file: w.file)
            }
            let path = "\(d)/\(w.file)"
            if checked.contains(path) || CgroupFile.exists(path) {
                checked.insert(path)
                continue
            }
            if options.rootless && !FileIO.isDirectory(d) {
                if skipped.insert(w.controller).inserted {
                    warnings.append(CgroupWarning("rootless: cgroup \(d) does not exist (no delegation); \(w.controller) limits are not applied"))
                }
                continue
            }
            if !FileIO.isDirectory(d) {
                throw CoveError("cgroup \(d) does not exist: create the cgroup before applying limits")
            }
            let owner = w.controller == "cgroup" ? "the cgroup v2 core" : "the \(w.controller) controller (cgroup \(version == .v1 ? "v1" : "v2"))"
            throw CoveError("cannot set \(w.file)=\(w.value): \(path) does not exist — \(owner) on this kernel cannot enforce it")
        }
        // Runs of writes to one file (a container's dozen device rules) share one open: each write(2) is
        // still one value to the kernel.
        var runs: [(path: String, file: String, values: [String])] = []
        for w in writes where !skipped.contains(w.controller) {
            let path = "\(dir(w.controller)!)/\(w.file)"
            if runs.last?.path == path { runs[runs.count - 1].values.append(w.value) } else { runs.append((path, w.file, [w.value])) }
        }
        for run in runs {
            do {
                try CgroupFile.write(run.path, run.values, trace: options.trace)
            } catch where options.rootless && CgroupFile.isPermission(error) {
                warnings.append(CgroupWarning("rootless: cannot write \(run.path) (\(error)); \(run.file) is not applied"))
            }
        }
    }

    static func missingController(_ controller: String, version: CgroupVersion, file: String) -> CoveError {
        switch version {
        case .v1:
            return CoveError("the \(controller) cgroup controller is not mounted on this host (cgroup v1): cannot set \(file)")
        case .v2:
            return CoveError("the \(controller) cgroup controller is not available in this cgroup v2 hierarchy: cannot set \(file)")
        }
    }

    /// mkdir -p that reports which directories it made, outermost first.
    @discardableResult
    static func makeDirectories(_ path: String) throws -> [String] {
        // A parent made here can be removed again by another container's delete (it removes its parent
        // when that is empty) before the child is made: start over a few times.
        var attempts = 0
        while true {
            do {
                return try makeDirectoriesOnce(path)
            } catch let e as SyscallError where e.errno == .noSuchFileOrDirectory && attempts < 8 {
                attempts += 1
            }
        }
    }

    /// From the leaf up: usually only the last one or two levels are missing, and each mkdir on a cgroup
    /// file system takes the cgroup mutex.
    static func makeDirectoriesOnce(_ path: String) throws -> [String] {
        if mkdir(path, 0o755) == 0 { return [path] }
        switch errno {
        case EEXIST: return []
        case ENOENT:
            let parent = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
            guard !parent.isEmpty else { throw SyscallError.last("mkdir", path) }
            let made = try makeDirectoriesOnce(parent)
            if mkdir(path, 0o755) == 0 { return made + [path] }
            if errno == EEXIST { return made }
            throw SyscallError.last("mkdir", path)
        default:
            throw SyscallError.last("mkdir", path)
        }
    }

    /// Removes a cgroup directory and any child cgroups, deepest first. rmdir fails with EBUSY while
    /// tasks are still leaving; retry with a growing pause until `timeout` ms have passed.
    static func removeTree(_ path: String, timeoutMilliseconds: Int) throws {
        guard FileIO.isDirectory(path) else { return }
        for name in (try? FileIO.listDirectories(path)) ?? [] {
            try removeTree("\(path)/\(name)", timeoutMilliseconds: timeoutMilliseconds)
        }
        var waited = 0
        var pause = 1
        while true {
            if rmdir(path) == 0 || errno == ENOENT { return }
            let e = errno
            guard e == EBUSY || e == EAGAIN, waited < timeoutMilliseconds else {
                throw SyscallError("rmdir", path, errno: .init(rawValue: e))
            }
            CgroupFile.sleep(milliseconds: pause)
            waited += pause
            pause = min(pause * 2, 100)
        }
    }

    /// rmdir once; true when the directory is gone (or was never there).
    static func removeIfEmpty(_ path: String) -> Bool {
        rmdir(path) == 0 || errno == ENOENT
    }

    /// PIDs listed in cgroup.procs of `dirs` and of every child cgroup below them, sorted, deduplicated.
    static func processes(in dirs: [String]) throws -> [pid_t] {
        var pids = Set<pid_t>()
        func walk(_ d: String) throws {
            for n in try CgroupFile.readNumbers("\(d)/cgroup.procs") { pids.insert(pid_t(n)) }
            for name in (try? FileIO.listDirectories(d)) ?? [] {
                try walk("\(d)/\(name)")
            }
        }
        for d in dirs where FileIO.isDirectory(d) { try walk(d) }
        return pids.sorted()
    }

    /// Signals each PID, ignoring ones that already exited.
    static func signal(_ pids: [pid_t], _ signal: Int32) throws {
        for pid in pids where pid > 0 {
            if Glibc.kill(pid, signal) != 0 && errno != ESRCH {
                throw SyscallError.last("kill", String(pid))
            }
        }
    }

    /// A container made by a Cove whose default path was /cove/<id> (before /cove-<id>), deleted by this one:
    /// /cove goes too once no other container uses it. Errors (another container's cgroup still inside) are
    /// expected and ignored. The flat default's parent is the hierarchy's root: nothing to try.
    static func removeLegacyDefaultParent(of dir: String) {
        let parent = PathJoin.parent(dir)
        guard parent.hasSuffix("/cove") else { return }
        _ = rmdir(parent)
    }

    static func dedupe(_ dirs: [String]) -> [String] {
        var seen = Set<String>()
        return dirs.filter { seen.insert($0).inserted }
    }
}
