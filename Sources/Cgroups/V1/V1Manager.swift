import Glibc
import Kernel

/// cgroup v1: one directory per mounted controller, e.g. /sys/fs/cgroup/memory/cove/<id>. Used for legacy
/// and hybrid hosts. Each controller's writes live in its own file (Memory.swift, CPU.swift, …).
public struct V1Manager: CgroupManager {
    public var version: CgroupVersion { .v1 }
    public let cgroupPath: CgroupPath
    public let layout: CgroupLayout
    public let options: CgroupOptions
    public let paths: [String: String]

    /// Controllers Cove creates a directory in. `name=…` hierarchies (systemd's) are left alone.
    static let managed: [String] = [
        "cpuset", "cpu", "cpuacct", "memory", "pids", "blkio", "devices", "freezer", "hugetlb",
        "net_cls", "net_prio", "perf_event", "rdma",
    ]

    public init(path: CgroupPath, layout: CgroupLayout, options: CgroupOptions = CgroupOptions()) throws {
        cgroupPath = path
        self.layout = layout
        self.options = options
        var own: ProcessCgroups?
        if path.isRelative { own = try options.ownCgroups ?? ProcessCgroups.current() }
        var p: [String: String] = [:]
        for c in V1Manager.managed {
            guard let mount = layout.v1Mounts[c] else { continue }
            p[c] = path.isRelative ? PathJoin.join(mount, own?.v1[c] ?? "/", path.path) : PathJoin.join(mount, path.path)
        }
        if p.isEmpty { throw CoveError("no cgroup v1 controller is mounted: cannot manage cgroup \(path)") }
        paths = p
    }

    /// A manager for directories recorded earlier (state.json): a relative cgroupsPath resolves against the
    /// calling process's cgroup, which differs between `cove create` and a later `cove delete`.
    public init(path: CgroupPath, layout: CgroupLayout, paths: [String: String], options: CgroupOptions = CgroupOptions()) throws {
        guard !paths.isEmpty, !paths.keys.contains("") else { throw CoveError("recorded cgroup v1 paths are empty or not v1: \(paths)") }
        cgroupPath = path
        self.layout = layout
        self.options = options
        self.paths = paths
    }

    var dirs: [String] { CgroupCommon.dedupe(V1Manager.managed.compactMap { paths[$0] }) }

    func dir(_ controller: String) -> String? { paths[controller] }

    func need(_ controller: String, for setting: String) throws -> String {
        guard let d = paths[controller] else {
            var hint = ""
            if let u = layout.unifiedMount, V2Manager.controllers(in: u).contains(controller) {
                hint = "; it is attached to the cgroup v2 hierarchy at \(u), which cove does not use for limits on a \(layout.mode.rawValue) host"
            }
            throw CoveError("the \(controller) cgroup controller is not mounted on this host (cgroup v1): cannot apply \(setting)\(hint)")
        }
        return d
    }

    @discardableResult
    public func create() throws -> CgroupCreation {
        var done = CgroupCreation()
        do {
            for c in V1Manager.managed {
                guard let d = paths[c] else { continue }
                do {
                    let made = try CgroupCommon.makeDirectories(d)
                    done.made += made
                    // Hierarchies mounted together share a directory: the first made it.
                    if made.last != d && !done.made.contains(d) && !done.existing.contains(d) { done.existing.append(d) }
                    if c == "cpuset", let root = layout.v1Mounts["cpuset"] {
                        try V1CPUSet.inheritParents(of: d, root: root, options: options)
                    }
                } catch where options.rootless && CgroupFile.isPermission(error) {
                    done.warnings.append(CgroupWarning("rootless: cannot create cgroup \(d) (\(error)); \(c) limits and accounting are skipped"))
                }
            }
        } catch {
            done.removeMade()
            throw error
        }
        return done
    }

    /// Plans every write for `r` without writing: exposed for tests and `--debug`.
    public func plan(_ r: CgroupResources, warnings: inout [CgroupWarning]) throws -> [CgroupWrite] {
        if !r.unified.isEmpty {
            throw CoveError("linux.resources.unified needs cgroup v2; this host manages cgroups through v1 (\(layout.mode.rawValue) layout)")
        }
        var w: [CgroupWrite] = []
        if let cpu = r.cpu {
            w += try V1CPUSet.plan(cpu, self)
            w += try V1CPU.plan(cpu, self)
        }
        if let m = r.memory { w += try V1Memory.plan(m, self, warnings: &warnings) }
        if let p = r.pids { w += try V1Pids.plan(p, self) }
        if let b = r.blockIO { w += try V1BlkIO.plan(b, self) }
        if !r.hugepageLimits.isEmpty { w += try V1Hugetlb.plan(r.hugepageLimits, self) }
        if let n = r.network { w += try V1Network.plan(n, self) }
        if !r.devices.isEmpty { w += try V1Devices.plan(r.devices, self) }
        if !r.rdma.isEmpty { w += try V1Rdma.plan(r.rdma, self) }
        return w
    }

    @discardableResult
    public func apply(_ r: CgroupResources) throws -> [CgroupWarning] {
        var warnings: [CgroupWarning] = []
        let writes = try plan(r, warnings: &warnings)
        try CgroupCommon.perform(writes, version: .v1, options: options, dir: dir, warnings: &warnings)
        if let shares = r.cpu?.shares, shares != 0, let d = paths["cpu"] { try V1CPU.checkShares(shares, dir: d) }
        return warnings
    }

    @discardableResult
    public func addProcess(_ pid: pid_t) throws -> [CgroupWarning] {
        var warnings: [CgroupWarning] = []
        for d in dirs {
            if options.rootless && !FileIO.isDirectory(d) { continue }
            do {
                try CgroupFile.write("\(d)/cgroup.procs", String(pid), trace: options.trace)
            } catch where options.rootless && CgroupFile.isPermission(error) {
                warnings.append(CgroupWarning("rootless: cannot join cgroup \(d) (\(error))"))
            }
        }
        return warnings
    }

    /// Each hierarchy's `tasks`: "0" there moves the calling thread without the global threadgroup lock.
    public func openJoinFiles() throws -> (CgroupJoinFiles, [CgroupWarning]) {
        try CgroupJoinFiles.open("tasks", in: dirs, rootless: options.rootless)
    }

    public func processes() throws -> [pid_t] {
        try CgroupCommon.processes(in: dirs)
    }

    public func freeze() throws { try V1Freezer.freeze(self) }
    public func thaw() throws { try V1Freezer.thaw(self) }
    public func freezerState() throws -> FreezerState { try V1Freezer.state(self) }

    public func stats() throws -> CgroupStats {
        var s = CgroupStats()
        if let d = paths["memory"] { V1Memory.stats(dir: d, into: &s) }
        V1CPU.stats(cpu: paths["cpu"], cpuacct: paths["cpuacct"], into: &s)
        if let d = paths["pids"] { V1Pids.stats(dir: d, into: &s) }
        if let d = paths["blkio"] { V1BlkIO.stats(dir: d, into: &s) }
        if let d = paths["hugetlb"] { V1Hugetlb.stats(dir: d, sizes: options.hugepageSizes ?? CgroupConversion.hostHugepageSizes(), into: &s) }
        return s
    }

    public func oomKillCount() throws -> UInt64 {
        let d = try need("memory", for: "OOM events")
        return try CgroupFile.readKeyed("\(d)/memory.oom_control")["oom_kill"] ?? 0
    }

    /// v1 has no cgroup.kill: freeze so nothing forks between listing and signalling, signal, thaw so
    /// the signal is delivered.
    public func killAll(signal: Int32) throws {
        guard paths["freezer"] != nil, exists() else {
            try CgroupCommon.signal(processes(), signal)
            return
        }
        try signalFrozen(signal)
    }

    public func destroy() throws {
        for d in dirs {
            try CgroupCommon.removeTree(d, timeoutMilliseconds: options.timeoutMilliseconds)
            if cgroupPath.isDefault { CgroupCommon.removeLegacyDefaultParent(of: d) }
        }
    }

    public func removeIfEmpty() -> Bool {
        RecordedCgroup.removeIfEmpty(paths, defaultPath: cgroupPath.isDefault)
    }

    public func exists() -> Bool {
        dirs.contains { FileIO.isDirectory($0) }
    }
}
