import CLinux
import Glibc
import Kernel
import OCI
import Seccomp

/// When the container process loads its filter, and how a SCMP_ACT_NOTIFY listener reaches the agent.
///
/// Order in the init (and in `exec`): rlimits → [early load] → setgroups/setuid/capabilities → no_new_privs →
/// cwd → … exec.fifo → startContainer hooks → close descriptors → [late load] → execve.
///
/// - noNewPrivileges true: the kernel lets any task load a filter once no_new_privs is set, so the filter
///   goes on last, just before execve, and forbids nothing the runtime itself still needs.
/// - noNewPrivileges false: seccomp(2) then requires CAP_SYS_ADMIN, which the process usually loses when its
///   capabilities are applied; so, as runc does, the filter is loaded before setuid and capset, and the
///   profile must allow what follows (setgroups, setresuid, capset, prctl, chdir, openat, write, execve…).
extension ContainerSeccomp {
    public enum Phase { case beforeIdentity, beforeExec }

    /// The phase this filter loads in.
    public var phase: Phase { noNewPrivileges ? .beforeExec : .beforeIdentity }

    /// With SCMP_ACT_NOTIFY: `cove create` connects to listenerPath itself (the host's mount namespace and
    /// the caller's credentials, as runc does) and the init inherits the connected socket; the container's
    /// mount namespace may not reach the path at all.
    public func connectListener() throws -> Int32? {
        guard filter.usesNotify, let path = listenerPath else { return nil }
        do { return try UnixSocket.connect(path: path) } catch {
            throw CoveError("linux.seccomp.listenerPath: \(error)")
        }
    }

    /// Loads the filter if `now` is its phase. With SCMP_ACT_NOTIFY the listener descriptor goes over
    /// `listener` with runc's containerProcessState (fds ["seccompFd"], the container's host PID, the
    /// listenerMetadata and the state), then both are closed: the agent holds the only copy.
    public func load(in now: Phase, listener: Int32?, state: State?) throws {
        guard now == phase else { return }
        let notifyFD: Int32?
        do { notifyFD = try filter.load() } catch { throw CoveError("linux.seccomp: loading the filter: \(error)") }
        guard let notifyFD else { return }
        defer { close(notifyFD) }
        guard let listener else { throw CoveError("linux.seccomp.listenerPath: no connection to send the notify descriptor over") }
        defer { close(listener) }
        guard let state else { throw CoveError("linux.seccomp.listenerPath: the container's state did not reach the init") }
        let message = Array(Self.processState(state, metadata: listenerMetadata).utf8)
        let n = message.withUnsafeBytes { cove_send_fd(listener, notifyFD, $0.baseAddress, $0.count) }
        if n < 0 { throw CoveError("linux.seccomp.listenerPath: \(SyscallError.last("sendmsg", listenerPath ?? "").description)") }
        if n != message.count { throw CoveError("linux.seccomp.listenerPath: short write (\(n) of \(message.count) bytes)") }
    }

    /// runc's `specs.ContainerProcessState`, the message seccomp agents read.
    public static func processState(_ state: State, metadata: String) -> String {
        let stateJSON = String(decoding: (try? state.forHooks.json()) ?? Array("{}".utf8), as: UTF8.self)
        return "{\"ociVersion\":\(JSONText.quote(state.ociVersion)),\"fds\":[\"seccompFd\"],\"pid\":\(state.pid),"
            + "\"metadata\":\(JSONText.quote(metadata)),\"state\":\(stateJSON)}"
    }
}
