import Cgroups
import FoundationEssentials
import Glibc
import Kernel
import OCI

/// runc's cgroup commands over a container's recorded cgroup: update, pause, resume, ps, events.
extension Runtime {
    /// The container's cgroup manager; an error when the container has none (rootless without delegation).
    func cgroups(_ record: ContainerRecord, for command: String) throws -> ContainerCgroups {
        guard let cg = try ContainerCgroups.restore(record, warn: warn, debug: debug, trace: debugging), cg.manager.exists() else {
            throw CoveError("cannot \(command) container '\(record.id)': it has no cgroup (rootless without cgroup delegation)")
        }
        return cg
    }

    /// `cove pause`: freezes every process of a running container.
    public func pause(_ id: String) throws {
        let lock = try store.lock(id)
        defer { lock.release() }
        let record = try store.read(id)
        let status = ContainerStatus.of(record, store: store)
        guard status == .running else { throw CoveError("cannot pause container '\(id)': it is \(status.rawValue), not running") }
        try cgroups(record, for: "pause").manager.freeze()
    }

    /// `cove resume`: thaws a paused container.
    public func resume(_ id: String) throws {
        let lock = try store.lock(id)
        defer { lock.release() }
        let record = try store.read(id)
        let status = ContainerStatus.of(record, store: store)
        guard status == .paused else { throw CoveError("cannot resume container '\(id)': it is \(status.rawValue), not paused") }
        try cgroups(record, for: "resume").manager.thaw()
    }

    /// `cove update`: applies `resources` (nil fields stay as they are) to the live cgroup and records the
    /// result in the container's spec, so later updates and `state` see it. Nothing is written when a value
    /// is refused.
    public func update(_ id: String, resources: Resources) throws {
        let lock = try store.lock(id)
        defer { lock.release() }
        var record = try store.read(id)
        let status = ContainerStatus.of(record, store: store)
        guard status != .stopped else { throw CoveError("cannot update container '\(id)': it is stopped") }
        if let d = resources.devices, !d.isEmpty {
            throw CoveError("cannot update container '\(id)': linux.resources.devices cannot be changed by update (as in runc)")
        }
        let limits = try CgroupsConversion.convert(resources)
        let cg = try cgroups(record, for: "update")
        for w in try cg.manager.apply(limits) { warn(w.message) }
        var spec = try record.spec()
        var linux = spec.linux ?? Linux()
        linux.resources = (linux.resources ?? Resources()).merging(resources)
        spec.linux = linux
        try record.replaceConfig(with: spec)
        try store.write(record)
    }

    /// `cove ps`: the host PIDs in the container's cgroup, sorted.
    public func processes(_ id: String) throws -> [pid_t] {
        let record = try store.read(id)
        return try cgroups(record, for: "list the processes of").manager.processes()
    }

    /// One sample for `cove events`: the status (events end when the container stops), the counters and
    /// the OOM-kill count (nil where the host keeps none).
    public func sample(_ id: String) throws -> (status: State.Status, stats: CgroupStats, oomKills: UInt64?) {
        let record = try store.read(id)
        let status = ContainerStatus.of(record, store: store)
        let cg = try cgroups(record, for: "read the statistics of")
        return (status, try cg.manager.stats(), try? cg.manager.oomKillCount())
    }
}

extension Resources {
    /// `self` with every field `update` sets replaced (runc update's merge: a value given wins, one not
    /// given stays).
    public func merging(_ u: Resources) -> Resources {
        var r = self
        if let m = u.memory {
            var cur = r.memory ?? Memory()
            if let v = m.limit { cur.limit = v }
            if let v = m.reservation { cur.reservation = v }
            if let v = m.swap { cur.swap = v }
            if let v = m.kernel { cur.kernel = v }
            if let v = m.kernelTCP { cur.kernelTCP = v }
            if let v = m.swappiness { cur.swappiness = v }
            if let v = m.disableOOMKiller { cur.disableOOMKiller = v }
            if let v = m.useHierarchy { cur.useHierarchy = v }
            if let v = m.checkBeforeUpdate { cur.checkBeforeUpdate = v }
            r.memory = cur
        }
        if let c = u.cpu {
            var cur = r.cpu ?? CPU()
            if let v = c.shares { cur.shares = v }
            if let v = c.quota { cur.quota = v }
            if let v = c.burst { cur.burst = v }
            if let v = c.period { cur.period = v }
            if let v = c.realtimeRuntime { cur.realtimeRuntime = v }
            if let v = c.realtimePeriod { cur.realtimePeriod = v }
            if let v = c.cpus { cur.cpus = v }
            if let v = c.mems { cur.mems = v }
            if let v = c.idle { cur.idle = v }
            r.cpu = cur
        }
        if let p = u.pids { r.pids = p }
        if let b = u.blockIO {
            var cur = r.blockIO ?? BlockIO()
            if let v = b.weight { cur.weight = v }
            if let v = b.leafWeight { cur.leafWeight = v }
            if let v = b.weightDevice { cur.weightDevice = v }
            if let v = b.throttleReadBpsDevice { cur.throttleReadBpsDevice = v }
            if let v = b.throttleWriteBpsDevice { cur.throttleWriteBpsDevice = v }
            if let v = b.throttleReadIOPSDevice { cur.throttleReadIOPSDevice = v }
            if let v = b.throttleWriteIOPSDevice { cur.throttleWriteIOPSDevice = v }
            r.blockIO = cur
        }
        if let v = u.hugepageLimits { r.hugepageLimits = v }
        if let v = u.network { r.network = v }
        if let v = u.rdma { r.rdma = (r.rdma ?? [:]).merging(v) { $1 } }
        if let v = u.unified { r.unified = (r.unified ?? [:]).merging(v) { $1 } }
        return r
    }
}

extension Runtime {
    /// `update --resources FILE`: a `linux.resources` object. A field cove does not know is an error here
    /// (not a warning as in config.json): the caller asked for a change that would not happen.
    public static func decodeResources(_ bytes: [UInt8], source: String) throws -> Resources {
        let (r, unknown) = try SpecDecoder.decodeReportingUnknown(Resources.self, from: bytes, source: source)
        if let first = unknown.first { throw CoveError("\(source): unknown field \(first)") }
        return r
    }
}
