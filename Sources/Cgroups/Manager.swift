import Glibc
import Kernel

/// The freezer state `cove state` reports as `paused` when frozen.
public enum FreezerState: String, Equatable, Sendable {
    case thawed = "THAWED"
    /// v1 only: FROZEN was asked for but some task has not stopped yet.
    case freezing = "FREEZING"
    case frozen = "FROZEN"
}

/// One container's cgroup(s): a directory per v1 controller, or one directory in the v2 hierarchy.
/// Values are plain structs; the state lives in cgroupfs, so a manager can be rebuilt by any later `cove`
/// command from the container's id and cgroupsPath.
///
/// Order for `cove create`: `create()`, `apply(resources)`, `openJoinFiles()`; the child then joins with
/// `CgroupJoinFiles.joinCaller()` before it unshares its cgroup namespace and execs, so that namespace is
/// rooted at the container's cgroup. `addProcess` moves another process in (tests, tools).
public protocol CgroupManager {
    var version: CgroupVersion { get }
    var cgroupPath: CgroupPath { get }
    /// The directories: v1 controller name → path; v2 has the single key "" (for state.json).
    var paths: [String: String] { get }

    /// Makes the directories (mkdir -p; existing ones are joined, not an error). When it throws, what it made
    /// is gone again.
    @discardableResult func create() throws -> CgroupCreation
    /// Applies (or, for `cove update`, changes) limits. Every controller and file is checked before the
    /// first write: a limit the host cannot enforce throws an error naming the controller and nothing changes.
    @discardableResult func apply(_ resources: CgroupResources) throws -> [CgroupWarning]
    /// Moves a process (all its threads) into the cgroup(s).
    @discardableResult func addProcess(_ pid: pid_t) throws -> [CgroupWarning]
    /// Opens the files through which a process moves itself in (see `CgroupJoinFiles`); the caller closes them.
    func openJoinFiles() throws -> (CgroupJoinFiles, [CgroupWarning])
    /// PIDs in the cgroup (cgroup.procs, sorted) — for `cove ps`.
    func processes() throws -> [pid_t]
    /// Freezes every task and waits until the kernel reports the cgroup frozen — `cove pause`.
    func freeze() throws
    /// `cove resume`.
    func thaw() throws
    func freezerState() throws -> FreezerState
    /// Counters for `cove events --stats`.
    func stats() throws -> CgroupStats
    /// How many times the kernel's OOM killer killed a task in this cgroup; `cove events` reports an
    /// `oom` event whenever it rises.
    func oomKillCount() throws -> UInt64
    /// Sends `signal` to every process in the cgroup: cgroup.kill on v2 for SIGKILL, otherwise
    /// freeze + signal each + thaw so nothing forks away in between — `cove kill --all`, `delete --force`.
    func killAll(signal: Int32) throws
    /// Removes the directories, retrying while exiting tasks leave. Missing directories are fine.
    func destroy() throws
    /// One rmdir per directory, no waiting: true when none is left (the usual end of a container, whose
    /// tasks are gone). False when one is refused (tasks or child cgroups inside); `destroy` then does the rest.
    func removeIfEmpty() -> Bool
    /// True when the container's cgroup directory exists (v1: any controller's).
    func exists() -> Bool
}

/// What `create` did: the container's directories that were there before (a cgroupsPath naming an existing
/// cgroup), the ones it made, parents included, and what it skipped (rootless).
public struct CgroupCreation: Sendable {
    public var existing: [String] = []
    public var made: [String] = []
    public var warnings: [CgroupWarning] = []

    public init() {}

    /// Undoes the mkdirs, deepest first (after an error, before anything was written or joined).
    public func removeMade() {
        for d in made.reversed() { _ = rmdir(d) }
    }
}

extension CgroupManager {
    public func killAll() throws { try killAll(signal: SIGKILL) }

    /// Freeze so nothing forks between listing and signalling, signal every process, thaw so the signal is
    /// delivered. A paused cgroup stays paused, unless the signal is SIGKILL (the dead must be let go).
    func signalFrozen(_ signal: Int32) throws {
        let wasFrozen = try freezerState() == .frozen
        try freeze()
        do {
            try CgroupCommon.signal(processes(), signal)
        } catch {
            try? thaw()
            throw error
        }
        if !wasFrozen || signal == SIGKILL { try thaw() }
    }
    public var isPaused: Bool { (try? freezerState()) == .frozen }
}

/// What `cove state`, `start` and `delete` ask of every container's cgroup, from the directories recorded at
/// create time (state.json), without detecting the layout (mountinfo) or building a manager.
public enum RecordedCgroup {
    /// One rmdir per recorded directory (v1 hierarchies sharing one are tried once) and, for a container on the
    /// earlier default /cove/<id>, of /cove once empty: true when none is left. False when one is refused (tasks or child
    /// cgroups inside); the manager's `destroy` then does the rest. The managers' `removeIfEmpty` is this.
    public static func removeIfEmpty(_ paths: [String: String], defaultPath: Bool) -> Bool {
        var gone = true
        for d in CgroupCommon.dedupe(paths.keys.sorted().map { paths[$0]! }) {
            guard CgroupCommon.removeIfEmpty(d) else {
                gone = false
                continue
            }
            if defaultPath { CgroupCommon.removeLegacyDefaultParent(of: d) }
        }
        return gone
    }

    /// The files an exec'd process joins through (v1 `tasks` in each recorded directory, v2 cgroup.procs), as
    /// the manager's `openJoinFiles`; nil when none of the directories exists (the caller then goes by the
    /// init's own cgroups).
    public static func openJoinFiles(_ paths: [String: String], rootless: Bool) throws -> (CgroupJoinFiles, [CgroupWarning])? {
        if let d = paths[""] {
            guard FileIO.isDirectory(d) else { return nil }
            return try CgroupJoinFiles.open("cgroup.procs", in: [d], rootless: rootless)
        }
        let dirs = CgroupCommon.dedupe(V1Manager.managed.compactMap { paths[$0] })
        guard dirs.contains(where: { FileIO.isDirectory($0) }) else { return nil }
        return try CgroupJoinFiles.open("tasks", in: dirs, rootless: rootless)
    }

    /// True when the recorded cgroup reports itself frozen (v1 freezer.state FROZEN, v2 cgroup.events
    /// `frozen 1`); false when it is thawed, half-frozen, has no freezer or is gone.
    public static func isFrozen(_ paths: [String: String]) -> Bool {
        if let d = paths["freezer"] { return (try? CgroupFile.read("\(d)/freezer.state")) == FreezerState.frozen.rawValue }
        if let d = paths[""] {
            // As V2Freezer.state: frozen by its own cgroup.freeze, not only by an ancestor's.
            guard (try? CgroupFile.read("\(d)/cgroup.freeze")) == "1" else { return false }
            return (try? CgroupFile.readKeyed("\(d)/cgroup.events"))?["frozen"] == 1
        }
        return false
    }
}

/// Entry point: detect the layout and build the matching manager.
public enum Cgroup {
    /// The manager for `cgroupsPath` on `layout` (detected from /proc/self/mountinfo when nil).
    public static func manager(path: CgroupPath, layout: CgroupLayout? = nil,
                               options: CgroupOptions = CgroupOptions()) throws -> any CgroupManager {
        let layout = try layout ?? CgroupLayout.detect()
        switch layout.version {
        case .v1: return try V1Manager(path: path, layout: layout, options: options)
        case .v2: return try V2Manager(path: path, layout: layout, options: options)
        }
    }

    /// Rebuilds the manager from the `paths` a manager reported when the container was created (keep them in
    /// the container's state): a relative cgroupsPath would otherwise resolve against the cgroup of whichever
    /// `cove` process runs later.
    public static func manager(restoring paths: [String: String], path: CgroupPath, layout: CgroupLayout? = nil,
                               options: CgroupOptions = CgroupOptions()) throws -> any CgroupManager {
        let layout = try layout ?? CgroupLayout.detect()
        if let dir = paths[""] {
            return try V2Manager(path: path, layout: layout.version == .v2 ? layout : CgroupLayout(mode: .unified, unifiedMount: layout.unifiedMount), dir: dir, options: options)
        }
        return try V1Manager(path: path, layout: layout, paths: paths, options: options)
    }

    /// Shorthand: `cgroupsPath` and the container id as the spec and runc use them.
    public static func manager(cgroupsPath: String?, containerID: String, layout: CgroupLayout? = nil,
                               options: CgroupOptions = CgroupOptions()) throws -> any CgroupManager {
        try manager(path: CgroupPath(cgroupsPath, containerID: containerID), layout: layout, options: options)
    }
}
