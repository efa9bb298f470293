import CLinux
import Glibc
import Kernel

/// `cove unshare`: util-linux unshare(1) semantics over the Kernel layer.
///
/// Order matters: a helper child is forked *before* unshare(2) so it stays in the original namespaces —
/// from there it can write multi-range id maps (CAP_SETUID in the parent user namespace) and bind-mount the
/// new namespaces onto files the outside world sees. Then unshare, maps, time offsets and propagation;
/// then (with --fork) the fork that puts the command into new PID and time namespaces; then per-process
/// setup (proc, hostname, root, cwd, capabilities) and exec.
public enum Unshare {
    public static func run(_ o: UnshareOptions) throws -> Int32 {
        try o.validate()
        let helper = try (o.persisted.isEmpty && o.canWriteOwnMaps) ? nil : Helper.start(o)

        do {
            try Namespaces.unshare(o.flags)
        } catch {
            helper?.abandon()
            throw error
        }
        if let helper { try helper.finish() }

        if o.namespaces[.user] != nil && o.canWriteOwnMaps { try writeOwnMaps(o) }
        try writeTimeOffsets(o)
        if o.namespaces[.mount] != nil { try Mounts.setPropagation(o.propagation, of: "/") }

        guard o.fork else { try prepareAndExec(o) }

        let parent = getpid()
        let oldMask = try SignalForwarder.blockForwarded()
        let inChild: () -> Never = {
            do {
                if let sig = o.killChild {
                    try ProcessControl.setParentDeathSignal(sig)
                    if getppid() != parent { ProcessControl.exitChild(1) }
                }
                try oldMask.setAsMask()
                try prepareAndExec(o)
            } catch {
                reportChildError(error)
            }
        }
        // The child only prepares and execs: no copy of cove's memory (vfork), unless a time namespace was
        // unshared, which the kernel does not let a child share memory across.
        let child: pid_t
        if o.namespaces[.time] != nil {
            child = try ProcessControl.fork()
            if child == 0 { inChild() }
        } else {
            child = try ProcessControl.vfork(inChild)
        }
        return try SignalForwarder.wait(for: child).shellCode
    }

    /// In the process that will exec: everything that must happen inside the new PID namespace or after
    /// the last fork. Never returns.
    static func prepareAndExec(_ o: UnshareOptions) throws -> Never {
        if let name = o.hostname {
            try syscallCheck("sethostname", name) { cove_sethostname(name, name.utf8.count) }
        }
        // Root first, then proc: --mount-proc mounts inside the new root, as util-linux does.
        if let root = o.root {
            try syscallCheck("chroot", root) { chroot(root) }
            let wd = o.workingDirectory ?? "/"
            try syscallCheck("chdir", wd) { chdir(wd) }
        } else if let wd = o.workingDirectory {
            try syscallCheck("chdir", wd) { chdir(wd) }
        }
        if let dir = o.mountProc {
            // "/" was already made private recursively unless --propagation said otherwise; then make the
            // old proc private so the new one cannot propagate back. EINVAL: dir is no mount point, fine.
            if o.root == nil && o.propagation != .private {
                do { try Mounts.setPropagation(.private, of: dir) } catch let e as SyscallError where e.errno == .invalidArgument {}
            }
            try Mounts.mountProc(on: dir)
        }
        if o.keepCaps {
            var caps = try CapabilitySets.current()
            caps.inheritable = caps.permitted
            try caps.apply()
            try CapabilitySets.raiseAmbient(caps.permitted)
        }
        let command = o.command.isEmpty ? [defaultShell()] : o.command
        do {
            try ProcessControl.exec(command)
        } catch let error as SyscallError {
            throw ExecError(command: command[0], errno: error.errno.rawValue)
        }
    }

    static func defaultShell() -> String {
        if let s = getenv("SHELL"), s.pointee != 0 { return String(cString: s) }
        return "/bin/sh"
    }

    static func writeOwnMaps(_ o: UnshareOptions) throws {
        if let allow = o.setgroupsAllow {
            try IDMap.writeSetgroups(pid: nil, allow: allow)
        } else if !o.gidMaps.isEmpty {
            try IDMap.writeSetgroups(pid: nil, allow: false)
        }
        if !o.uidMaps.isEmpty { try IDMap.writeUIDMap(pid: nil, o.uidMaps) }
        if !o.gidMaps.isEmpty { try IDMap.writeGIDMap(pid: nil, o.gidMaps) }
    }

    /// Offsets go into /proc/self/timens_offsets after unshare(CLONE_NEWTIME) and before any process
    /// enters the namespace; the kernel refuses them afterwards.
    static func writeTimeOffsets(_ o: UnshareOptions) throws {
        guard o.namespaces[.time] != nil, o.monotonicOffset != nil || o.boottimeOffset != nil else { return }
        var text = ""
        if let m = o.monotonicOffset { text += "monotonic \(m) 0\n" }
        if let b = o.boottimeOffset { text += "boottime \(b) 0\n" }
        try FileIO.write("/proc/self/timens_offsets", text)
    }

    /// A forked child that cannot return: print the error like the CLI would and end with util-linux's codes.
    static func reportChildError(_ error: Error) -> Never {
        fputs("cove unshare: \(error)\n", stderr)
        if let e = error as? ExecError { ProcessControl.exitChild(e.exitCode) }
        ProcessControl.exitChild(1)
    }
}

/// exec(2) failed: 127 when the command is missing, 126 when it cannot run — the shell's convention.
public struct ExecError: Error, CustomStringConvertible {
    public var command: String
    public var errno: Int32
    public var exitCode: Int32 { errno == ENOENT ? 127 : 126 }
    public var description: String { "failed to execute \(command): \(String(cString: strerror(errno)))" }
}
