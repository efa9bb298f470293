import CLinux
import Glibc
import Kernel
import OCI

/// The steps that turn a runtime process into the container's process, in order. The init runs them
/// after the rootfs is ready; `cove exec` runs the same steps after joining the namespaces. The seccomp
/// filter goes on just before `identity` or just before execve (`ContainerSeccomp.Phase` says which and why).
public struct ProcessSetup {
    public let process: OCI.Process
    public let preserveFDs: Int

    public init(process: OCI.Process, preserveFDs: Int) {
        self.process = process
        self.preserveFDs = preserveFDs
    }

    var environment: [String] { process.env ?? [] }

    /// The program to exec: args[0] if it has a slash, else searched in the container's PATH (not cove's).
    /// Done before the container is `created`, so a missing binary fails `create`, as with runc.
    public func resolveExecutable() throws -> String {
        let name = process.args?.first ?? ""
        if name.contains("/") {
            guard access(name, X_OK) == 0 else { throw SyscallError.last("exec", name) }
            return name
        }
        let pathVar = environment.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) }
            ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for dir in pathVar.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = "\(dir.isEmpty ? "." : String(dir))/\(name)"
            if access(candidate, X_OK) == 0 && !FileIO.isDirectory(candidate) { return candidate }
        }
        throw CoveError("process.args[0]: executable '\(name)' not found in the container's PATH")
    }

    public func rlimits() throws {
        for r in process.rlimits ?? [] {
            guard let n = RlimitName.number(r.type) else { throw CoveError("process.rlimits: unknown \(r.type)") }
            try Rlimits.set(n, soft: r.soft, hard: r.hard, name: r.type)
        }
    }

    public func noNewPrivileges() throws {
        if process.noNewPrivileges == true {
            try syscallCheck("prctl", "PR_SET_NO_NEW_PRIVS") { cove_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) }
        }
    }

    /// Capabilities around the switch to process.user (order: `ProcessCapabilities.apply`); supplementary
    /// groups only where setgroups is allowed (`SupplementaryGroups`).
    public func identity() throws {
        let user = process.user ?? OCI.Process.User(uid: 0, gid: 0)
        let caps = try ProcessCapabilities(process.capabilities)
        let groups = try SupplementaryGroups.forUser(user)
        try caps.apply {
            try Identity.become(uid: user.uid ?? 0, gid: user.gid ?? 0, groups: groups)
        }
    }

    public func umask() {
        _ = Glibc.umask(mode_t(process.user?.umask ?? 0o022))
    }

    /// chdir to process.cwd, which must lie inside the container root (runc CVE-2024-21626: a cwd reached
    /// through a leaked descriptor reads as "(unreachable)" or fails getcwd).
    public func changeDirectory() throws {
        try syscallCheck("chdir", "process.cwd \(process.cwd)") { chdir(process.cwd) }
        var buf = [CChar](repeating: 0, count: 4097)
        guard getcwd(&buf, 4096) != nil else { throw SyscallError.last("getcwd", "process.cwd \(process.cwd)") }
        let cwd = String(cString: buf)
        if !cwd.hasPrefix("/") { throw CoveError("process.cwd \(process.cwd): lies outside the container root") }
    }

    /// Everything above stdio and the preserved descriptors is closed on exec (runc CVE-2024-21626), and the
    /// preserved ones are kept open.
    public func closeDescriptorsOnExec() throws {
        let first = 3 + preserveFDs
        try syscallCheck("close_range", "CLOEXEC from \(first)") { cove_close_range(UInt32(first), UInt32.max, 4 /* CLOSE_RANGE_CLOEXEC */) }
        for fd in 3..<first {
            let flags = cove_fcntl(Int32(fd), F_GETFD, 0)
            if flags >= 0 { _ = cove_fcntl(Int32(fd), F_SETFD, Int(flags & ~FD_CLOEXEC)) }
        }
    }

    /// Signals back to default and unblocked, then execve.
    public func exec(_ path: String) throws -> Never {
        try SignalSet([]).setAsMask()
        try ProcessControl.exec(path: path, process.args ?? [], environment: environment)
    }
}
