import Foundation
import Testing

extension RuntimeBundle {
    /// `cove run -d` of a container looping forever (marker in its argv); returns its id and init PID.
    func startLooping(_ script: String = "while true; do sleep 0.2; done") throws -> (id: String, pid: Int32) {
        self.script(script)
        try writeConfig()
        let id = newID()
        let r = try coveToFiles(["run", "-d", "-b", bundle, id])
        guard r.status == 0 else { throw TestFailure("cove run -d: \(r)") }
        guard let pid = try state(id)["pid"] as? Int, pid > 0 else { throw TestFailure("no init PID for \(id)") }
        return (id, Int32(pid))
    }

    /// `cove exec ID sh -c SCRIPT MARKER` with `flags` before the id.
    func exec(_ id: String, _ script: String, flags: [String] = [], stdin: String? = nil) throws -> RunResult {
        try cove(["exec"] + flags + [id, "sh", "-c", script, marker], stdin: stdin)
    }

    /// `cove exec -d --pid-file F ... ID sh -c SCRIPT MARKER`; returns the exec'd process's host PID.
    func execDetached(_ id: String, _ script: String, flags: [String] = []) throws -> Int32 {
        let pidFile = tmp.file("exec-\(UniqueName.make("p")).pid")
        let r = try coveToFiles(["exec", "-d", "--pid-file", pidFile] + flags + [id, "sh", "-c", script, marker])
        guard r.status == 0 else { throw TestFailure("cove exec -d: \(r)") }
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = Int32(text) else {
            throw TestFailure("--pid-file \(pidFile) holds no PID")
        }
        return pid
    }
}

enum ProcInfo {
    static func link(_ path: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: path) }

    /// Gone, or a zombie nobody has reaped yet (its parent outside the container is the host's init).
    static func isDead(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        guard let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }

    static func statusField(_ pid: Int32, _ name: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix(name + ":") }.map {
            $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
        }
    }
}

@Suite("Runtime exec", .serialized, .enabled(if: RuntimeBundle.available, "needs root and /bin/busybox"))
struct RuntimeExecTests {
    static let nsKinds = ["user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"]

    @Test("exec joins every namespace, the cgroup and the root of the container, and dies with it",
          arguments: [false, true])
    func joinsEverything(userNamespace: Bool) throws {
        let b = try RuntimeBundle()
        var kinds = ["pid", "network", "ipc", "uts", "mount", "cgroup", "time"]
        if userNamespace {
            chmod(b.tmp.path, 0o755) // the mapped root must reach the rootfs
            kinds.append("user")
            b.linux["uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            b.linux["gidMappings"] = [["containerID": 0, "hostID": 200000, "size": 65536]]
        }
        b.namespaces(kinds)
        let (id, initPID) = try b.startLooping()
        defer { _ = try? b.cove(["delete", "--force", id]) }
        let execPID = try b.execDetached(id, "exec sleep 1000")
        let own = ["user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"].filter { $0 != "user" || userNamespace }
        for kind in Self.nsKinds {
            let theirs = ProcInfo.link("/proc/\(initPID)/ns/\(kind)")
            #expect(theirs != nil && theirs == ProcInfo.link("/proc/\(execPID)/ns/\(kind)"), "\(kind) namespace differs")
            if own.contains(kind) {
                #expect(theirs != ProcInfo.link("/proc/self/ns/\(kind)"), "the container has no \(kind) namespace of its own")
            }
        }
        #expect(try String(contentsOfFile: "/proc/\(initPID)/cgroup", encoding: .utf8)
                == String(contentsOfFile: "/proc/\(execPID)/cgroup", encoding: .utf8))
        var a = stat(), e = stat()
        #expect(stat("/proc/\(initPID)/root/", &a) == 0 && stat("/proc/\(execPID)/root/", &e) == 0)
        #expect(a.st_ino == e.st_ino && a.st_dev == e.st_dev, "the exec'd process has another root")
        // Inside the PID namespace: a PID there besides the host's.
        #expect(ProcInfo.statusField(execPID, "NSpid")?.split(whereSeparator: { $0 == " " || $0 == "\t" }).count == 2)
        if userNamespace {
            let r = try b.exec(id, "id -u; cat /proc/self/uid_map | tr -s ' '")
            #expect(r.status == 0 && r.stdout == "0\n 0 100000 65536\n", "\(r)")
        }
        // The exec'd process is in the container's PID namespace: killing the init takes it along.
        #expect(try b.cove(["kill", id, "KILL"]).status == 0)
        try b.eventually("the exec'd process to die with the container") { ProcInfo.isDead(execPID) }
        try b.eventually("the container to stop") { try b.state(id)["status"] as? String == "stopped" }
        #expect(try b.cove(["delete", id]).status == 0)
        b.assertClean()
    }

    @Test("--env, --cwd, --user and --additional-gids apply; the container's environment stays")
    func envCwdUser() throws {
        let b = try RuntimeBundle()
        let (id, _) = try b.startLooping()
        defer { _ = try? b.cove(["delete", "--force", id]) }
        let plain = try b.exec(id, "echo \"$TERM|$FOO\"; pwd; id -u; id -g")
        #expect(plain.status == 0 && plain.stdout == "xterm|\n/\n0\n0\n", "\(plain)")
        let r = try b.exec(id, "echo \"$TERM|$FOO\"; pwd; id -u; id -g; id -G",
                           flags: ["-e", "FOO=bar baz", "--env", "TERM=dumb", "--cwd", "/tmp", "-u", "1000:1001",
                                   "--additional-gids", "44", "--additional-gids", "45"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "dumb|bar baz\n/tmp\n1000\n1001\n1001 44 45\n", "\(r)")
        let uidOnly = try b.exec(id, "id -u; id -g", flags: ["--user", "7"])
        #expect(uidOnly.stdout == "7\n0\n", "\(uidOnly)")
        #expect(try b.cove(["delete", "--force", id]).status == 0)
        b.assertClean()
    }

    @Test("--cap adds a capability and --no-new-privs sets no_new_privs; otherwise the container's apply")
    func capsAndNoNewPrivs() throws {
        let b = try RuntimeBundle()
        b.process["noNewPrivileges"] = false
        let (id, initPID) = try b.startLooping()
        defer { _ = try? b.cove(["delete", "--force", id]) }
        let sysAdmin: UInt64 = 1 << 21
        func caps(_ flags: [String]) throws -> (eff: UInt64, bnd: UInt64, nnp: String) {
            let r = try b.exec(id, "grep -E '^(CapEff|CapBnd|NoNewPrivs):' /proc/self/status", flags: flags)
            guard r.status == 0 else { throw TestFailure("\(r)") }
            var v: [String: String] = [:]
            for line in r.stdout.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                v[parts[0]] = parts[1]
            }
            return (UInt64(v["CapEff"] ?? "", radix: 16) ?? 0, UInt64(v["CapBnd"] ?? "", radix: 16) ?? 0, v["NoNewPrivs"] ?? "?")
        }
        let plain = try caps([])
        let initEff = UInt64(ProcInfo.statusField(initPID, "CapEff") ?? "", radix: 16)
        #expect(plain.eff == initEff && plain.bnd == initEff, "exec'd process capabilities differ from the init's")
        #expect(plain.eff & sysAdmin == 0 && plain.nnp == "0")
        let more = try caps(["--cap", "CAP_SYS_ADMIN", "--no-new-privs"])
        #expect(more.eff == plain.eff | sysAdmin && more.bnd & sysAdmin != 0)
        #expect(more.nnp == "1")
        #expect(try b.cove(["delete", "--force", id]).status == 0)
        b.assertClean()
    }

    @Test("the exec'd process gets the container's seccomp filter")
    func seccomp() throws {
        let b = try RuntimeBundle()
        b.linux["seccomp"] = ["defaultAction": "SCMP_ACT_ALLOW",
                              "syscalls": [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1]]]
        b.config["root"] = ["path": "rootfs", "readonly": false]
        let (id, _) = try b.startLooping()
        defer { _ = try? b.cove(["delete", "--force", id]) }
        let r = try b.exec(id, "grep '^Seccomp:' /proc/self/status; mkdir /tmp/denied")
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout == "Seccomp:\t2\n", "\(r)")
        #expect(r.stderr.contains("Operation not permitted"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: b.rootfs + "/tmp/denied"))
        #expect(try b.cove(["delete", "--force", id]).status == 0)
        b.assertClean()
    }

    @Test("exit status, stdio and signals pass through")
    func statusStdioSignals() throws {
        let b = try RuntimeBundle()
        let (id, _) = try b.startLooping()
        defer { _ = try? b.cove(["delete", "--force", id]) }
        let r = try b.exec(id, "echo out; echo err >&2; exit 7")
        #expect(r.status == 7 && r.stdout == "out\n" && r.stderr == "err\n", "\(r)")
        #expect(try b.exec(id, "kill -9 $$").status == 137)
        let piped = try b.exec(id, "tr a-z A-Z", stdin: "through a pipe\n")
        #expect(piped.status == 0 && piped.stdout == "THROUGH A PIPE\n", "\(piped)")
        // SIGTERM to `cove exec` reaches the process, whose exit status comes back.
        let child = try Spawned(path: Cove.binary, argv: [Cove.binary, "--root", b.stateRoot, "exec", id, "sh", "-c",
                                                         "trap 'echo got-term; exit 3' TERM; echo started; while true; do sleep 0.1; done", b.marker],
                                environment: ProcessInfo.processInfo.environment)
        var out = Data()
        while !String(decoding: out, as: UTF8.self).contains("started") {
            let chunk = child.stdout.availableData
            if chunk.isEmpty { break }
            out += chunk
        }
        kill(child.pid, SIGTERM)
        let status = child.wait()
        out += child.stdout.readDataToEndOfFile()
        #expect(status == 3, "status \(status), stderr: \(String(decoding: child.stderr.readDataToEndOfFile(), as: UTF8.self))")
        #expect(String(decoding: out, as: UTF8.self) == "started\ngot-term\n")
        #expect(try b.cove(["delete", "--force", id]).status == 0)
        b.assertClean()
    }

    @Test("--process FILE --detach --pid-file (as podman and containerd's shim call it); the container's capabilities and rlimits")
    func processFileDetached() throws {
        let b = try RuntimeBundle()
        b.config["root"] = ["path": "rootfs", "readonly": false]
        b.process["rlimits"] = [["type": "RLIMIT_NOFILE", "hard": 777, "soft": 555]]
        let (id, initPID) = try b.startLooping()
        defer { _ = try? b.cove(["delete", "--force", id]) }
        let process: [String: Any] = [
            "args": ["sh", "-c", "echo \"$GREETING $(pwd)\" > /tmp/from-exec; exec sleep 1000", b.marker],
            "env": ["PATH=/bin:/usr/bin", "GREETING=hello"], "cwd": "/etc", "user": ["uid": 0, "gid": 0], "terminal": false,
        ]
        let file = b.tmp.file("process.json")
        try JSONSerialization.data(withJSONObject: process).write(to: URL(fileURLWithPath: file))
        let pidFile = b.tmp.file("exec.pid")
        let start = Date()
        let r = try b.coveToFiles(["exec", "--process", file, "--detach", "--pid-file", pidFile, id])
        #expect(r.status == 0, "\(r)")
        #expect(Date().timeIntervalSince(start) < 10, "--detach did not return at once")
        let pid = Int32(try String(contentsOfFile: pidFile, encoding: .utf8)) ?? 0
        #expect(pid > 0 && !ProcInfo.isDead(pid))
        try b.eventually("the exec'd process's file") {
            (try? String(contentsOfFile: b.rootfs + "/tmp/from-exec", encoding: .utf8)) == "hello /etc\n"
        }
        #expect(ProcInfo.statusField(pid, "CapEff") == ProcInfo.statusField(initPID, "CapEff"))
        let limits = (try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)) ?? ""
        let nofile = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") }?.split(separator: " ")
        #expect(nofile?.contains("555") == true && nofile?.contains("777") == true, "\(limits)")
        #expect(try b.cove(["delete", "--force", id]).status == 0)
        #expect(ProcInfo.isDead(pid))
        b.assertClean()
    }

    @Test("--preserve-fds passes the caller's descriptors 3.. on")
    func preserveFDs() throws {
        let b = try RuntimeBundle()
        let (id, _) = try b.startLooping()
        defer { _ = try? b.cove(["delete", "--force", id]) }
        let target = b.tmp.file("fd3")
        let r = try b.coveToFiles(["exec", "--preserve-fds", "1", id, "sh", "-c", "echo via-fd3 >&3; ls /proc/self/fd | sort -n | tr '\\n' ' '", b.marker],
                                  prefix: "exec 3>\(target); ")
        #expect(r.status == 0, "\(r)")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "via-fd3\n")
        // stdio, fd 3 and the descriptor ls reads /proc/self/fd with: nothing of cove's.
        #expect(r.stdout == "0 1 2 3 4 ", "\(r)")
        #expect(try b.cove(["delete", "--force", id]).status == 0)
        b.assertClean()
    }

    @Test("exec into a created container runs at once, as with runc; the container stays created")
    func execIntoCreated() throws {
        let b = try RuntimeBundle()
        b.script("echo started")
        try b.writeConfig()
        let id = b.newID()
        defer { _ = try? b.cove(["delete", "--force", id]) }
        #expect(try b.coveToFiles(["create", "-b", b.bundle, id]).status == 0)
        let r = try b.exec(id, "echo in-created; hostname")
        #expect(r.status == 0 && r.stdout == "in-created\ncove\n", "\(r)")
        #expect(try b.state(id)["status"] as? String == "created")
        #expect(b.output().isEmpty, "the container's process ran before start")
        #expect(try b.cove(["delete", "--force", id]).status == 0)
        b.assertClean()
    }

    @Test("--ignore-paused: the process joins the frozen container and runs once it is resumed")
    func ignorePaused() throws {
        let b = try RuntimeBundle()
        let (id, _) = try b.startLooping()
        defer { _ = try? b.cove(["delete", "--force", id]) }
        let pause = try b.cove(["pause", id])
        try #require(pause.status == 0, "cove pause: \(pause)")
        let child = try Spawned(path: Cove.binary, argv: [Cove.binary, "--root", b.stateRoot, "exec", "--ignore-paused", id,
                                                         "sh", "-c", "echo ran; exit 4", b.marker],
                                environment: ProcessInfo.processInfo.environment)
        usleep(700_000)
        var status: Int32 = 0
        #expect(waitpid(child.pid, &status, WNOHANG) == 0, "the process ran in a frozen container")
        #expect(try b.cove(["resume", id]).status == 0)
        #expect(child.wait() == 4)
        #expect(String(decoding: child.stdout.readDataToEndOfFile(), as: UTF8.self) == "ran\n")
        #expect(try b.cove(["delete", "--force", id]).status == 0)
        b.assertClean()
    }

    @Test("exec into a stopped, paused or missing container, and bad flags: one line, nothing left")
    func refusals() throws {
        let b = try RuntimeBundle()
        func fails(_ args: [String], _ want: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let r = try b.cove(["exec"] + args)
            #expect(r.status == 1, "\(r)", sourceLocation: sourceLocation)
            #expect(r.errorLine.contains(want), "\(r)", sourceLocation: sourceLocation)
            #expect(r.errorLine.split(separator: "\n").count == 1, "\(r)", sourceLocation: sourceLocation)
            #expect(r.stdout.isEmpty, "\(r)", sourceLocation: sourceLocation)
        }
        try fails([b.newID(), "true"], "does not exist")
        let (id, _) = try b.startLooping()
        defer { _ = try? b.cove(["delete", "--force", id]) }
        try fails(["-u", "root", id, "true"], "--user root: 'root' is not a numeric uid")
        try fails(["-u", "0:x", id, "true"], "is not a numeric gid")
        try fails([id], "no command given")
        try fails(["--apparmor", "p", id, "true"], "AppArmor is not available")
        try fails(["--process-label", "l", id, "true"], "SELinux is not available")
        try fails(["--cap", "CAP_NOPE", id, "true"], "CAP_NOPE")
        try fails(["--cwd", "relative", id, "true"], "process.cwd")
        try fails([id, "/no/such/program"], "/no/such/program")
        try fails(["--process", b.tmp.file("missing.json"), id], "missing.json")
        try fails(["-t", "-d", id, "true"], "cannot allocate tty if cove will detach without setting console socket")
        try fails(["-t", "-d", "--console-socket", b.tmp.file("nosock"), id, "true"], "--console-socket \(b.tmp.file("nosock"))")
        if try b.cove(["pause", id]).status == 0 {
            try fails([id, "true"], "it is paused")
            #expect(try b.cove(["resume", id]).status == 0)
        }
        #expect(try b.exec(id, "true").status == 0)
        #expect(try b.cove(["kill", id, "KILL"]).status == 0)
        try b.eventually("stopped") { try b.state(id)["status"] as? String == "stopped" }
        try fails([id, "true"], "cannot exec in container '\(id)': it is stopped")
        #expect(try b.cove(["delete", id]).status == 0)
        b.assertClean()
    }
}
