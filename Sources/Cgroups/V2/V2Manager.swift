import Glibc
import Kernel

/// cgroup v2: one directory in the unified hierarchy. Controllers must be enabled in every ancestor's
/// cgroup.subtree_control for their files to appear in the container's directory.
public struct V2Manager: CgroupManager {
    public var version: CgroupVersion { .v2 }
    public let cgroupPath: CgroupPath
    public let layout: CgroupLayout
    public let options: CgroupOptions
    public let root: String
    /// The container's cgroup directory.
    public let dir: String
    public var paths: [String: String] { ["": dir] }

    public init(path: CgroupPath, layout: CgroupLayout, options: CgroupOptions = CgroupOptions()) throws {
        guard let root = layout.unifiedMount else { throw CoveError("no cgroup v2 hierarchy is mounted") }
        cgroupPath = path
        self.layout = layout
        self.options = options
        self.root = root
        if path.isRelative {
            // The caller's own cgroup most likely holds processes and then cannot enable controllers for a
            // child ("no internal processes"); its parent can — runc's rule.
            let own = try options.ownCgroups ?? ProcessCgroups.current()
            dir = PathJoin.join(root, PathJoin.parent(own.v2 ?? "/"), path.path)
        } else {
            dir = PathJoin.join(root, path.path)
        }
    }

    /// A manager for a directory recorded earlier (state.json); see V1Manager's counterpart.
    public init(path: CgroupPath, layout: CgroupLayout, dir: String, options: CgroupOptions = CgroupOptions()) throws {
        guard let root = layout.unifiedMount else { throw CoveError("no cgroup v2 hierarchy is mounted") }
        guard dir == root || dir.hasPrefix(root + "/") else { throw CoveError("recorded cgroup \(dir) is not under the v2 hierarchy \(root)") }
        cgroupPath = path
        self.layout = layout
        self.options = options
        self.root = root
        self.dir = dir
    }

    /// Controllers listed in a directory's cgroup.controllers.
    static func controllers(in d: String) -> Set<String> {
        guard let s = try? CgroupFile.read("\(d)/cgroup.controllers") else { return [] }
        return Set(s.split(separator: " ").map(String.init))
    }

    @discardableResult
    public func create() throws -> CgroupCreation {
        var done = CgroupCreation()
        do {
            done.made = try CgroupCommon.makeDirectories(dir)
            if done.made.last != dir { done.existing = [dir] }
        } catch where options.rootless && CgroupFile.isPermission(error) {
            done.warnings = [CgroupWarning("rootless: cannot create cgroup \(dir) (\(error)); resource limits are skipped")]
            return done
        }
        // Enable controllers top-down: a level offers only what its parent enabled for it.
        var ancestors: [String] = []
        var a = PathJoin.parent(dir)
        while a.hasPrefix(root) && a.count >= root.count {
            ancestors.insert(a, at: 0)
            if a == root { break }
            a = PathJoin.parent(a)
        }
        for a in ancestors {
            let available = V2Manager.controllers(in: a)
            let wanted = options.v2ControllersToEnable.map { $0.intersection(available) } ?? available
            let enabled = Set(((try? CgroupFile.read("\(a)/cgroup.subtree_control")) ?? "").split(separator: " ").map(String.init))
            let missing = wanted.subtracting(enabled).sorted()
            guard !missing.isEmpty else { continue }
            do {
                try CgroupFile.write("\(a)/cgroup.subtree_control", Text.join(missing.map { "+" + $0 }[...], separator: " "), trace: options.trace)
            } catch where options.rootless && CgroupFile.isPermission(error) {
                done.warnings.append(CgroupWarning("rootless: cannot enable controllers \(missing.joined(separator: ",")) in \(a) (\(error))"))
            } catch {
                done.removeMade()
                throw error
            }
        }
        return done
    }

    /// Plans every file write for `r` (devices excepted: those become an eBPF program).
    public func plan(_ r: CgroupResources, warnings: inout [CgroupWarning]) throws -> [CgroupWrite] {
        var w: [CgroupWrite] = []
        if let c = r.cpu {
            w += try V2CPU.plan(c, dir: dir)
            w += V2CPUSet.plan(c)
        }
        if let m = r.memory { w += try V2Memory.plan(m, dir: dir, warnings: &warnings) }
        if let p = r.pids { w += V2Pids.plan(p) }
        if let b = r.blockIO { w += try V2IO.plan(b, dir: dir, warnings: &warnings) }
        if !r.hugepageLimits.isEmpty { w += try V2Hugetlb.plan(r.hugepageLimits, dir: dir, options: options) }
        if let n = r.network, n != NetworkSettings() {
            warnings.append(CgroupWarning("linux.resources.network (net_cls classID, net_prio priorities) has no cgroup v2 equivalent: not applied"))
        }
        w += V2Rdma.plan(r.rdma)
        // unified last: it is the escape hatch and wins over the converted values.
        w += try V2Unified.plan(r.unified)
        return w
    }

    @discardableResult
    public func apply(_ r: CgroupResources) throws -> [CgroupWarning] {
        var warnings: [CgroupWarning] = []
        let writes = try plan(r, warnings: &warnings)
        let skip = options.rootless && !FileIO.isDirectory(dir)
        var usable = writes
        if !skip {
            guard FileIO.isDirectory(dir) else { throw CoveError("cgroup \(dir) does not exist: create the cgroup before applying limits") }
            let available = V2Manager.controllers(in: dir)
            var refused = Set<String>()
            for w in writes where w.controller != "cgroup" && !available.contains(w.controller) {
                guard options.rootless else { throw CgroupCommon.missingController(w.controller, version: .v2, file: w.file) }
                if refused.insert(w.controller).inserted {
                    warnings.append(CgroupWarning("rootless: the \(w.controller) controller is not delegated to \(dir); its limits are not applied"))
                }
            }
            usable = writes.filter { !refused.contains($0.controller) }
        }
        if !r.devices.isEmpty { try V2Devices.check(r.devices) }
        try CgroupCommon.perform(usable, version: .v2, options: options, dir: { _ in dir }, warnings: &warnings)
        if !r.devices.isEmpty {
            if skip {
                warnings.append(CgroupWarning("rootless: cgroup \(dir) does not exist; device rules are not applied"))
            } else {
                do {
                    try V2Devices.apply(r.devices, dir: dir, options: options)
                } catch where options.rootless && CgroupFile.isPermission(error) {
                    warnings.append(CgroupWarning("rootless: cannot attach a device program to \(dir) (\(error)); device rules are not applied"))
                }
            }
        }
        return warnings
    }

    @discardableResult
    public func addProcess(_ pid: pid_t) throws -> [CgroupWarning] {
        if options.rootless && !FileIO.isDirectory(dir) { return [CgroupWarning("rootless: cgroup \(dir) does not exist; process \(pid) stays in its cgroup")] }
        do {
            try CgroupFile.write("\(dir)/cgroup.procs", String(pid), trace: options.trace)
        } catch where options.rootless && CgroupFile.isPermission(error) {
            return [CgroupWarning("rootless: cannot join cgroup \(dir) (\(error))")]
        }
        return []
    }

    public func openJoinFiles() throws -> (CgroupJoinFiles, [CgroupWarning]) {
        try CgroupJoinFiles.open("cgroup.procs", in: [dir], rootless: options.rootless)
    }

    public func processes() throws -> [pid_t] { try CgroupCommon.processes(in: [dir]) }

    public func freeze() throws { try V2Freezer.freeze(self) }
    public func thaw() throws { try V2Freezer.thaw(self) }
    public func freezerState() throws -> FreezerState { try V2Freezer.state(self) }

    public func stats() throws -> CgroupStats {
        var s = CgroupStats()
        V2CPU.stats(dir: dir, into: &s)
        V2Memory.stats(dir: dir, into: &s)
        V2Pids.stats(dir: dir, into: &s)
        V2IO.stats(dir: dir, into: &s)
        V2Hugetlb.stats(dir: dir, sizes: options.hugepageSizes ?? CgroupConversion.hostHugepageSizes(), into: &s)
        return s
    }

    public func oomKillCount() throws -> UInt64 {
        guard CgroupFile.exists("\(dir)/memory.events") else {
            throw CoveError("the memory controller is not enabled for \(dir): OOM events cannot be read")
        }
        return try CgroupFile.readKeyed("\(dir)/memory.events")["oom_kill"] ?? 0
    }

    public func killAll(signal: Int32) throws {
        if signal == SIGKILL && CgroupFile.exists("\(dir)/cgroup.kill") {
            try CgroupFile.write("\(dir)/cgroup.kill", "1", trace: options.trace)
            return
        }
        guard CgroupFile.exists("\(dir)/cgroup.freeze") else {
            try CgroupCommon.signal(processes(), signal)
            return
        }
        try signalFrozen(signal)
    }

    public func destroy() throws {
        try CgroupCommon.removeTree(dir, timeoutMilliseconds: options.timeoutMilliseconds)
        if cgroupPath.isDefault { CgroupCommon.removeLegacyDefaultParent(of: dir) }
    }

    public func removeIfEmpty() -> Bool {
        RecordedCgroup.removeIfEmpty(paths, defaultPath: cgroupPath.isDefault)
    }

    public func exists() -> Bool { FileIO.isDirectory(dir) }
}
