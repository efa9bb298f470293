import CLinux
import Glibc
import Kernel
import Testing
@testable import Seccomp

@Suite struct SeccompParseTests {
    @Test func actions() throws {
        #expect(try SeccompFilter.Action(name: "SCMP_ACT_ERRNO", errnoRet: 38) == .errno(38))
        #expect(try SeccompFilter.Action(name: "SCMP_ACT_ERRNO") == .errno(UInt32(EPERM)))
        #expect(try SeccompFilter.Action(name: "SCMP_ACT_KILL") == .killThread)
        #expect(throws: CoveError("seccomp: unknown action SCMP_ACT_EXPLODE")) { try SeccompFilter.Action(name: "SCMP_ACT_EXPLODE") }
    }

    @Test func rejectsUnknownArchitectureAndFlag() {
        #expect(throws: CoveError("seccomp: unknown architecture SCMP_ARCH_Z80")) {
            try SeccompFilter(defaultAction: .allow, architectures: ["SCMP_ARCH_Z80"]).validate()
        }
        #expect(throws: CoveError("seccomp: unsupported flag SECCOMP_FILTER_FLAG_FOO")) {
            try SeccompFilter(defaultAction: .allow, flags: ["SECCOMP_FILTER_FLAG_FOO"]).validate()
        }
        #expect(throws: CoveError.self) {
            try SeccompFilter(defaultAction: .allow, rules: [.init(names: ["read"], action: .allow, conditions: [.init(index: 6, value: 0, op: .equal)])]).validate()
        }
    }
}

/// Loads real filters in forked children (a filter cannot be removed) and watches what they do.
@Suite struct SeccompLoadTests {
    /// Runs `body` in a child with `filter` loaded; returns how the child ended.
    func inChild(_ filter: SeccompFilter, _ body: () -> Int32) throws -> Kernel.ExitStatus {
        let pid = try ProcessControl.fork()
        if pid == 0 {
            _ = cove_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
            do { try filter.load() } catch { ProcessControl.exitChild(100) }
            ProcessControl.exitChild(body())
        }
        return try ProcessControl.wait(pid)
    }

    @Test func errnoActionReturnsConfiguredErrno() throws {
        let f = SeccompFilter(defaultAction: .allow, architectures: ["SCMP_ARCH_X86_64"],
                              rules: [.init(names: ["mkdirat", "mkdir"], action: .errno(UInt32(EROFS)))])
        let status = try inChild(f) {
            mkdir("/tmp/cove-seccomp-never", 0o700) == -1 ? cove_errno() : 0
        }
        #expect(status == .exited(EROFS))
        #expect(access("/tmp/cove-seccomp-never", F_OK) != 0)
    }

    @Test func killActionKillsWithSIGSYS() throws {
        let f = SeccompFilter(defaultAction: .allow, rules: [.init(names: ["getppid"], action: .killProcess)])
        #expect(try inChild(f) { Int32(getppid() > 0 ? 0 : 1) } == .signaled(SIGSYS))
    }

    @Test func argumentConditionsMatchOnlyThoseCalls() throws {
        // Deny kill(2) with signal 0 only; other signals still reach their target (our own pid, SIGCONT).
        let f = SeccompFilter(defaultAction: .allow, rules: [
            .init(names: ["kill"], action: .errno(UInt32(EPERM)), conditions: [.init(index: 1, value: 0, op: .equal)]),
        ])
        let status = try inChild(f) {
            let probe = Glibc.kill(getpid(), 0) == -1 ? cove_errno() : 0
            let cont = Glibc.kill(getpid(), SIGCONT)
            return probe == EPERM && cont == 0 ? 0 : 1
        }
        #expect(status == .exited(0))
    }

    @Test func unknownSyscallNamesAreSkipped() throws {
        let f = SeccompFilter(defaultAction: .allow, rules: [.init(names: ["no_such_syscall_ever", "getcwd"], action: .errno(UInt32(ENOSYS)))])
        let status = try inChild(f) {
            var buf = [CChar](repeating: 0, count: 256)
            return getcwd(&buf, 256) == nil ? cove_errno() : 0
        }
        #expect(status == .exited(ENOSYS))
    }
}
