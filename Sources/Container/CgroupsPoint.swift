import Cgroups
import Glibc
import Kernel
import OCI

/// The container's cgroup(s), through the Cgroups module's manager.
///
/// - `create` runs in `cove create` while the init sets up its root filesystem: the manager for `linux.cgroupsPath` (or
///   /cove/<id>) makes the directories and writes the limits on what the init itself does there (`early`).
///   The others (converted and checked first) wait for `applyResources`, after the init has been sent its
///   cgroup, so the init does not wait for them; they are in force before any hook or container process
///   runs (runc sets all limits only once the init reports its root filesystem ready). A limit the host
///   cannot enforce fails either call; `discard` then removes what `create` made.
/// - `openJoinFiles` opens the files through which the init moves itself in; `create` sends them over
///   while the init sets up its root filesystem, and the init joins at its first cgroup mount or after its
///   mounts (`InitCgroup`): before it unshares a cgroup namespace (so the namespace is rooted at the
///   container's cgroup), and before any hook or container process runs.
/// - Later commands rebuild the manager from the directories recorded in state.json (`restore`): a relative
///   cgroupsPath resolves against the calling process's cgroup, which differs from one `cove` to the next.
struct ContainerCgroups {
    let manager: any CgroupManager
    let warn: (String) -> Void
    /// What `applyResources` writes (empty for a restored manager).
    var resources = CgroupResources()
    /// The directory was there before `create` (a cgroupsPath made by someone else): `discard` keeps it.
    var existed = false

    var paths: [String: String] { manager.paths }

    /// Rootless (not root): a cgroup the user may not create or write is skipped with a warning, as runc does.
    /// `trace`: a debug line per file write (`--debug`). Off, no line is even formatted: sixteen formatted
    /// and dropped lines were ~40K instructions of every create (callgrind).
    static func options(debug: @escaping (String) -> Void, trace: Bool) -> CgroupOptions {
        CgroupOptions(rootless: geteuid() != 0, trace: trace ? { path, value in debug("cgroup: \(path) <- \(value)") } : nil)
    }

    /// Read once per `cove` process (mountinfo does not change under it).
    static let hostLayout: Result<CgroupLayout, Error> = Result { try CgroupLayout.detect() }

    static func create(id: String, spec: Spec, warn: @escaping (String) -> Void,
                       debug: @escaping (String) -> Void = { _ in }, trace: Bool = false) throws -> ContainerCgroups {
        // Converted (and checked) before anything is made.
        let resources = try CgroupsConversion.forContainer(spec.linux?.resources ?? Resources())
        let manager = try Cgroup.manager(cgroupsPath: spec.linux?.cgroupsPath, containerID: id,
                                         layout: try hostLayout.get(), options: options(debug: debug, trace: trace))
        // mkdir first and look only where one was there already (a cgroupsPath naming an existing cgroup):
        // checking every directory beforehand cost a failed lookup per hierarchy in every create.
        let creation = try manager.create()
        let existed = !creation.existing.isEmpty
        if existed, let pids = try? manager.processes(), !pids.isEmpty {
            creation.removeMade()
            throw CoveError("cgroup \(manager.cgroupPath) already holds \(pids.count) process(es); a container needs a cgroup of its own")
        }
        let (early, late) = split(resources)
        do {
            if !early.isEmpty { for w in try manager.apply(early) { warn(w.message) } }
        } catch {
            // Only what this call made goes away: an existing cgroup named by cgroupsPath stays.
            if existed { creation.removeMade() } else { try? manager.destroy() }
            throw error
        }
        // Rootless without delegation: like runc, cove goes on without the directories it may not make
        // (a debug line each); every limit that is not applied because of that is a warning.
        for w in creation.warnings { debug(w.message) }
        return ContainerCgroups(manager: manager, warn: resources.isEmpty ? debug : warn, resources: late, existed: existed)
    }

    /// What must be in place before the init joins, and the rest. Device rules: v1 writes them one by
    /// one, deny-all first, while the init makes device nodes. Memory (and `unified`, which may hold
    /// memory.max): a limit lowered under what the init has charged meanwhile fails (v1) or OOM-kills it (v2).
    static func split(_ r: CgroupResources) -> (early: CgroupResources, late: CgroupResources) {
        var late = r
        late.devices = []
        late.memory = nil
        late.unified = [:]
        return (CgroupResources(memory: r.memory, devices: r.devices, unified: r.unified), late)
    }

    /// Writes the limits `create` checked and left for after the init had its cgroup.
    func applyResources() throws {
        if resources.isEmpty { return }
        for w in try manager.apply(resources) { warn(w.message) }
    }

    /// Undoes `create` after a later step failed: the container's processes are gone by now, so only the
    /// directories are left, and only the ones `create` made.
    func discard() {
        if !existed { try? destroy() }
    }

    /// The manager of a container created earlier; nil when its state records no cgroup.
    static func restore(_ record: ContainerRecord, warn: @escaping (String) -> Void = { _ in },
                        debug: @escaping (String) -> Void = { _ in }, trace: Bool = false) throws -> ContainerCgroups? {
        guard let paths = record.cgroupPaths, !paths.isEmpty else { return nil }
        let path = try CgroupPath(record.cgroupsPath, containerID: record.id)
        let manager = try Cgroup.manager(restoring: paths, path: path, layout: try hostLayout.get(), options: options(debug: debug, trace: trace))
        return ContainerCgroups(manager: manager, warn: warn)
    }

    /// Removes the cgroup of a container created earlier: rmdir of the recorded directories, and only when
    /// one is refused the manager's kill-and-walk (`destroy`).
    static func destroy(_ record: ContainerRecord, warn: @escaping (String) -> Void, debug: @escaping (String) -> Void,
                        trace: Bool = false) throws {
        guard let paths = record.cgroupPaths, !paths.isEmpty else { return }
        let path = try CgroupPath(record.cgroupsPath, containerID: record.id)
        if RecordedCgroup.removeIfEmpty(paths, defaultPath: path.isDefault) { return }
        try restore(record, warn: warn, debug: debug, trace: trace)?.destroy()
    }

    /// True when the container's freezer reports it frozen (`cove state` shows `paused`).
    static func isPaused(_ record: ContainerRecord) -> Bool {
        RecordedCgroup.isFrozen(record.cgroupPaths ?? [:])
    }

    /// The files the init or an exec'd process writes to move itself in (`CgroupJoinFiles`).
    func openJoinFiles() throws -> CgroupJoinFiles {
        let (files, warnings) = try manager.openJoinFiles()
        for w in warnings { warn(w.message) }
        return files
    }

    /// Signals every process in the cgroup (frozen ones too). False when there is no cgroup to go by
    /// (rootless without delegation); callers then fall back to the PID namespace.
    func killAll(signal: Int32) throws -> Bool {
        guard manager.exists() else { return false }
        try manager.killAll(signal: signal)
        return true
    }

    /// Kills whatever is still inside (a container without its own PID namespace keeps running children
    /// after its init is gone) and removes the directories.
    func destroy() throws {
        if manager.removeIfEmpty() { return }
        guard manager.exists() else { return }
        if let pids = try? manager.processes(), !pids.isEmpty { try? manager.killAll(signal: SIGKILL) }
        do {
            try manager.destroy()
        } catch {
            throw CoveError("removing cgroup \(manager.cgroupPath): \(error)")
        }
    }
}
