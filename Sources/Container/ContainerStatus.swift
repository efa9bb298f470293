import CLinux
import Glibc
import Kernel
import OCI

/// The live status of a container, read from its init process: a dead (or reaped, or reused) PID is
/// `stopped`; a live init still waiting on exec.fifo is `created`; after `start` it is `running`; a
/// container whose cgroup is frozen (`cove pause`) is `paused`.
public enum ContainerStatus {
    public static func of(_ record: ContainerRecord, store: StateStore) -> State.Status {
        if record.pid == 0 { return record.phase == .creating ? .creating : .stopped }
        guard InitProcess.isAlive(pid: record.pid, startTime: record.initStartTime) else { return .stopped }
        switch record.phase {
        case .creating: return .creating
        case .created, .started:
            // runc's order: a frozen cgroup reads as paused before the fifo is looked at.
            if ContainerCgroups.isPaused(record) { return .paused }
            return FileIO.exists(store.fifo(record.id)) ? .created : .running
        }
    }

    /// The state as `cove state` prints it (runc prints pid 0 for a stopped container).
    public static func state(_ record: ContainerRecord, store: StateStore) -> State {
        state(record, status: of(record, store: store))
    }

    /// The same, for a status the caller has just read.
    public static func state(_ record: ContainerRecord, status: State.Status) -> State {
        State(ociVersion: record.ociVersion, id: record.id, pid: status == .stopped ? 0 : record.pid,
                     status: status, bundle: record.bundle, rootfs: record.rootfs, created: record.created,
                     owner: record.owner, annotations: record.annotations)
    }
}

extension InitProcess {
    /// Field 22 (starttime) and field 3 (state) of /proc/PID/stat; nil when there is no such process.
    static func procStat(_ pid: Int32) -> (state: Character, startTime: UInt64)? {
        guard let bytes = try? FileIO.read("/proc/\(pid)/stat") else { return nil }
        // The command name (field 2) may hold spaces and parentheses: fields after the last ')' are safe.
        // Bytes, not Characters: every runtime command reads this, and String's split walks graphemes.
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let rest = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard rest.count > 19, let state = rest[0].first,
              let start = UInt64(String(decoding: rest[19], as: UTF8.self)) else { return nil }
        return (Character(Unicode.Scalar(state)), start)
    }

    /// True while the very process that was the container's init still runs (a zombie counts as dead).
    public static func isAlive(pid: Int32, startTime: UInt64) -> Bool {
        guard let st = procStat(pid) else { return false }
        return st.startTime == startTime && st.state != "Z" && st.state != "X"
    }

    /// A pidfd for the init, checked to be the same process the record describes (pidfds do not follow
    /// PID reuse, so after this check signals cannot reach a stranger).
    public static func openChecked(pid: Int32, startTime: UInt64) throws -> Int32? {
        let fd = cove_pidfd_open(pid, 0)
        if fd < 0 {
            if cove_errno() == ESRCH { return nil }
            throw SyscallError.last("pidfd_open", String(pid))
        }
        guard isAlive(pid: pid, startTime: startTime) else { close(fd); return nil }
        return fd
    }
}
