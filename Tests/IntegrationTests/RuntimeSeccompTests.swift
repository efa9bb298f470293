import Foundation
import Testing

extension RuntimeBundle {
    /// `cove create` must fail with exit 1 and one error line containing `want`, leaving nothing behind.
    func expectRefused(_ want: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try writeConfig()
        let r = try cove(["create", "--bundle", bundle, newID()])
        #expect(r.status == 1, "\(r)", sourceLocation: sourceLocation)
        #expect(r.errorLine.contains(want), "\(r)", sourceLocation: sourceLocation)
        #expect(r.errorLine.split(separator: "\n").count == 1, "\(r)", sourceLocation: sourceLocation)
        assertClean(sourceLocation: sourceLocation)
    }

    /// A writable root, so a denied mkdir is the filter's doing and not a read-only rootfs.
    func writableRoot() {
        var root = config["root"] as! [String: Any]
        root["readonly"] = false
        config["root"] = root
    }

    func seccomp(_ profile: [String: Any]) {
        linux["seccomp"] = profile
    }
}

@Suite("Runtime seccomp", .serialized, .enabled(if: RuntimeBundle.available, "needs root and /bin/busybox"))
struct RuntimeSeccompTests {
    static let mkdirEROFS: [String: Any] = [
        "defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"],
        "syscalls": [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30]],
    ]

    @Test("a listed syscall fails with the configured errno; the filter is in place (Seccomp: 2); without it the call works")
    func errnoRule() throws {
        let b = try RuntimeBundle("sc")
        b.writableRoot()
        b.script("grep '^Seccomp:' /proc/self/status; mkdir /tmp/d && echo made; rmdir /tmp/d 2>/dev/null; echo done")
        let plain = try b.run()
        #expect(plain.status == 0 && plain.stdout.contains("made") && plain.stdout.contains("Seccomp:\t0"), "\(plain)")
        b.seccomp(Self.mkdirEROFS)
        let r = try b.run()
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("Seccomp:\t2"), "\(r)")
        #expect(!r.stdout.contains("made") && r.stdout.contains("done"), "\(r)")
        #expect(r.stderr.contains("mkdir: can't create directory '/tmp/d': Read-only file system"), "\(r)")
        b.assertClean()
    }

    @Test("SCMP_ACT_KILL and SCMP_ACT_KILL_PROCESS end the process with SIGSYS: exit 128+31")
    func killRule() throws {
        let b = try RuntimeBundle("sck")
        for action in ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS"] {
            b.seccomp(["defaultAction": "SCMP_ACT_ALLOW", "syscalls": [["names": ["chroot"], "action": action]]])
            b.process["args"] = ["chroot", "/", "true", b.marker]
            let r = try b.run()
            #expect(r.status == 128 + 31, "\(action): \(r)")
        }
        b.seccomp(["defaultAction": "SCMP_ACT_ALLOW", "syscalls": [["names": ["getppid"], "action": "SCMP_ACT_KILL"]]])
        b.process["args"] = ["chroot", "/", "true", b.marker]
        // Not killed: chroot runs and fails on its own (the default capabilities lack CAP_SYS_CHROOT).
        let other = try b.run()
        #expect(other.status == 1 && other.stderr.contains("Operation not permitted"), "\(other)")
        b.assertClean()
    }

    @Test("SCMP_ACT_TRAP raises SIGSYS (exit 128+31); SCMP_ACT_LOG lets the call through")
    func trapAndLog() throws {
        let b = try RuntimeBundle("sct")
        b.writableRoot()
        b.seccomp(["defaultAction": "SCMP_ACT_ALLOW", "syscalls": [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_TRAP"]]])
        b.process["args"] = ["mkdir", "/tmp/t", b.marker]
        #expect(try b.run().status == 128 + 31)
        b.seccomp(["defaultAction": "SCMP_ACT_ALLOW", "syscalls": [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_LOG"]]])
        b.script("mkdir /tmp/l && echo made")
        let r = try b.run()
        #expect(r.status == 0 && r.stdout.contains("made"), "\(r)")
        b.assertClean()
    }

    @Test("argument conditions: chmod to 0700 is denied, to 0755 allowed; the default action applies to the rest")
    func argumentConditions() throws {
        let b = try RuntimeBundle("sca")
        b.writableRoot()
        b.seccomp([
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [
                ["names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [["index": 1, "value": 0o700, "op": "SCMP_CMP_EQ"]]],
                ["names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [["index": 2, "value": 0o700, "op": "SCMP_CMP_EQ"]]],
            ],
        ])
        b.script("touch /tmp/f; chmod 755 /tmp/f && echo ok755; chmod 700 /tmp/f && echo ok700; ls -l /tmp/f")
        let r = try b.run()
        #expect(r.stdout.contains("ok755") && !r.stdout.contains("ok700"), "\(r)")
        #expect(r.stdout.contains("-rwxr-xr-x"), "\(r)")
        #expect(r.stderr.contains("Operation not permitted"), "\(r)")
        b.assertClean()
    }

    @Test("defaultAction SCMP_ACT_ERRNO with defaultErrnoRet: everything not allowed fails with that errno")
    func defaultErrno() throws {
        let b = try RuntimeBundle("scd")
        b.writableRoot()
        var profile = Self.mkdirEROFS
        profile["defaultAction"] = "SCMP_ACT_ALLOW"
        profile["syscalls"] = [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"]]
        b.seccomp(profile)
        b.script("mkdir /tmp/d")
        let r = try b.run()
        // errnoRet left out: EPERM.
        #expect(r.status != 0 && r.stderr.contains("Operation not permitted"), "\(r)")
        profile["syscalls"] = [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ALLOW"]] + (Self.allowList.map { ["names": [$0], "action": "SCMP_ACT_ALLOW"] })
        profile["defaultAction"] = "SCMP_ACT_ERRNO"
        profile["defaultErrnoRet"] = 38
        b.seccomp(profile)
        b.script("mkdir /tmp/d && echo made; rmdir /tmp/d && echo removed")
        let d = try b.run()
        #expect(d.stdout.contains("made") && !d.stdout.contains("removed"), "\(d)")
        #expect(d.stderr.contains("rmdir: '/tmp/d': Function not implemented"), "\(d)")
        b.assertClean()
    }

    /// What busybox sh and the runtime's last steps need under a deny-by-default profile.
    static let allowList = [
        "read", "write", "close", "openat", "open", "fstat", "newfstatat", "statx", "stat", "lstat", "mmap", "munmap", "mprotect", "brk",
        "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "ioctl", "execve", "exit", "exit_group", "wait4", "clone", "clone3", "fork",
        "vfork", "getpid", "getppid", "getuid", "geteuid", "getgid", "getegid", "getcwd", "chdir", "fcntl", "dup2", "dup3", "pipe2",
        "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64", "uname", "readlink", "access", "faccessat",
        "faccessat2", "getrandom", "close_range", "futex", "getdents64", "lseek", "pread64", "writev", "sigaltstack", "setpgid", "getpgid", "getpgrp",
    ]

    @Test("noNewPrivileges false: the filter is loaded before the capabilities go, for a non-root user too")
    func withoutNoNewPrivileges() throws {
        let b = try RuntimeBundle("scn")
        b.writableRoot()
        b.seccomp(Self.mkdirEROFS)
        b.process["noNewPrivileges"] = false
        b.process["user"] = ["uid": 1000, "gid": 1000]
        b.script("id -u; grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/self/status; mkdir /tmp/d")
        let r = try b.run()
        #expect(r.stdout.contains("1000") && r.stdout.contains("NoNewPrivs:\t0") && r.stdout.contains("Seccomp:\t2"), "\(r)")
        #expect(r.stdout.contains("CapEff:\t0000000000000000"), "\(r)")
        #expect(r.stderr.contains("Read-only file system"), "\(r)")
        b.assertClean()
    }

    @Test("bad profiles: unknown action, architecture or flag, errno on an action without one, NOTIFY without a listener: one line, nothing left")
    func badProfiles() throws {
        let b = try RuntimeBundle("scb")
        b.script("true")
        b.seccomp(["defaultAction": "SCMP_ACT_BOGUS"])
        try b.expectRefused("linux.seccomp.defaultAction")
        b.seccomp(["defaultAction": "SCMP_ACT_ALLOW", "syscalls": [["names": ["mkdir"], "action": "SCMP_ACT_NOPE"]]])
        try b.expectRefused("linux.seccomp.syscalls[0].action")
        b.seccomp(["defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"]])
        try b.expectRefused("linux.seccomp.architectures[1]")
        b.seccomp(["defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_M68K"]])
        try b.expectRefused("linux.seccomp.architectures[0]: unknown architecture 'SCMP_ARCH_M68K'")
        b.seccomp(["defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_BOGUS"]])
        try b.expectRefused("linux.seccomp.flags[0]")
        b.seccomp(["defaultAction": "SCMP_ACT_ALLOW", "syscalls": [["names": ["mkdir"], "action": "SCMP_ACT_KILL", "errnoRet": 1]]])
        try b.expectRefused("linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_KILL takes no errno")
        b.seccomp(["defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1])
        try b.expectRefused("linux.seccomp.defaultErrnoRet")
        b.seccomp(["defaultAction": "SCMP_ACT_ALLOW", "syscalls": [["names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [["index": 6, "value": 0, "op": "SCMP_CMP_EQ"]]]]])
        try b.expectRefused("linux.seccomp.syscalls[0].args[0].index: 6 is out of range 0-5")
        b.seccomp(["defaultAction": "SCMP_ACT_ALLOW", "syscalls": [["names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"]]])
        try b.expectRefused("linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY")
        b.seccomp(["defaultAction": "SCMP_ACT_ALLOW", "listenerPath": b.tmp.file("none.sock"), "syscalls": [["names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"]]])
        try b.expectRefused("linux.seccomp.listenerPath: connect \(b.tmp.file("none.sock"))")
        b.seccomp(["defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/x.sock"])
        try b.expectRefused("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action")
    }

    @Test("unknown syscall names are skipped, as runc does: the profile still loads")
    func unknownSyscallNames() throws {
        let b = try RuntimeBundle("scu")
        b.writableRoot()
        var profile = Self.mkdirEROFS
        profile["syscalls"] = [["names": ["no_such_syscall_xyz", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30]]
        b.seccomp(profile)
        b.script("mkdir /tmp/d")
        let r = try b.run()
        #expect(r.stderr.contains("Read-only file system"), "\(r)")
        b.assertClean()
    }

    @Test("`cove features` reports seccomp with its actions, operators, architectures and flags")
    func features() throws {
        let r = try Cove.run(["features"])
        #expect(r.status == 0, "\(r)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let sc = (json["linux"] as! [String: Any])["seccomp"] as! [String: Any]
        #expect(sc["enabled"] as? Bool == true)
        let actions = sc["actions"] as? [String] ?? []
        for a in ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_NOTIFY", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"] {
            #expect(actions.contains(a), "\(a) in \(actions)")
        }
        #expect((sc["operators"] as? [String] ?? []).contains("SCMP_CMP_MASKED_EQ"))
        #expect((sc["archs"] as? [String] ?? []).contains("SCMP_ARCH_X86_64"))
        let supported = sc["supportedFlags"] as? [String] ?? []
        #expect(supported.contains("SECCOMP_FILTER_FLAG_LOG") && !supported.contains("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"), "\(supported)")
        #expect((sc["knownFlags"] as? [String] ?? []).contains("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"))
    }
}
