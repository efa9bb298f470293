import Foundation
import Testing
@testable import Container
import OCI

/// runc's `exec` flags applied to the container's process, and runc's rules for terminals (pure: nothing runs).
@Suite("ExecProcess: exec flags, process documents and console rules")
struct ExecProcessTests {
    var base: OCI.Process {
        var p = OCI.Process(args: ["sh"], cwd: "/")
        p.env = ["PATH=/bin", "TERM=xterm"]
        p.terminal = true
        p.user = OCI.Process.User(uid: 0, gid: 0)
        p.capabilities = OCI.Process.Capabilities(bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"])
        p.rlimits = [OCI.Process.Rlimit(type: "RLIMIT_NOFILE", hard: 10, soft: 5)]
        p.noNewPrivileges = false
        return p
    }

    var spec: Spec {
        var s = DefaultSpec.make(rootless: false, uid: 0, gid: 0)
        s.process = base
        return s
    }

    @Test("flags: args replaced, env appended, cwd, user, groups, caps, no-new-privs; the terminal only with --tty")
    func flagsApply() throws {
        var f = ExecFlags()
        f.args = ["ls", "-l"]
        f.env = ["FOO=1"]
        f.cwd = "/tmp"
        f.user = "1000:1001"
        f.additionalGids = [44]
        f.caps = ["CAP_SYS_ADMIN"]
        f.noNewPrivs = true
        let p = try f.apply(to: base)
        #expect(p.args == ["ls", "-l"])
        #expect(p.env == ["PATH=/bin", "TERM=xterm", "FOO=1"])
        #expect(p.cwd == "/tmp")
        #expect(p.user?.uid == 1000 && p.user?.gid == 1001 && p.user?.additionalGids == [44])
        #expect(p.capabilities?.bounding == ["CAP_KILL", "CAP_SYS_ADMIN"])
        #expect(p.capabilities?.effective == ["CAP_KILL", "CAP_SYS_ADMIN"])
        #expect(p.capabilities?.permitted == ["CAP_KILL", "CAP_SYS_ADMIN"])
        // No inheritable set in the config: no ambient either (the kernel would refuse it).
        #expect(p.capabilities?.ambient == nil)
        #expect(p.noNewPrivileges == true)
        #expect(p.terminal == false)
        #expect(p.rlimits == base.rlimits)
        var t = ExecFlags()
        t.args = ["sh"]
        t.tty = true
        t.user = "5"
        let q = try t.apply(to: base)
        #expect(q.terminal == true && q.user?.uid == 5 && q.user?.gid == 0)
    }

    @Test("bad flags name themselves", arguments: [
        ("--user", "x"), ("--user", "1:y"), ("--user", ""), ("--cap", "CAP_NOPE"), ("--apparmor", "p"), ("--process-label", "l"),
    ])
    func badFlags(flag: String, value: String) {
        var f = ExecFlags()
        f.args = ["sh"]
        switch flag {
        case "--user": f.user = value
        case "--cap": f.caps = [value]
        case "--apparmor": f.apparmor = value
        default: f.processLabel = value
        }
        #expect(throws: (any Error).self) { try f.apply(to: base) }
        do { _ = try f.apply(to: base) } catch { #expect("\(error)".contains(flag) || "\(error)".contains(value), "\(error)") }
    }

    @Test("later environment entries replace earlier ones in place")
    func envDeduplicated() {
        #expect(ExecOptions.deduplicated(["A=1", "B=2", "A=3", "C=", "B=4"]) == ["A=3", "B=4", "C="])
    }

    @Test("a process document keeps what it sets and takes capabilities, rlimits and no_new_privs from the container")
    func processDocument() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cove-exec-\(getpid())-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try #"{"args":["true"],"cwd":"/","env":["X=1","X=2"],"terminal":true}"#.write(to: file, atomically: true, encoding: .utf8)
        let p = try ExecOptions(id: "c", source: .file(file.path)).resolveProcess(container: spec)
        #expect(p.args == ["true"] && p.env == ["X=2"] && p.terminal == true)
        #expect(p.capabilities == base.capabilities && p.rlimits == base.rlimits && p.noNewPrivileges == false)
        try #"{"args":["true"],"cwd":"relative"}"#.write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try ExecOptions(id: "c", source: .file(file.path)).resolveProcess(container: spec) }
        #expect(throws: (any Error).self) { try ExecOptions(id: "c", source: .flags(ExecFlags())).resolveProcess(container: spec) }
    }

    @Test("runc's checkTerminal: detaching with a terminal needs a console socket; a socket needs both")
    func consoleRules() throws {
        #expect(throws: (any Error).self) { try ConsoleMode.choose(terminal: true, detach: true, consoleSocket: nil) }
        #expect(throws: (any Error).self) { try ConsoleMode.choose(terminal: false, detach: true, consoleSocket: "/x") }
        #expect(throws: (any Error).self) { try ConsoleMode.choose(terminal: true, detach: false, consoleSocket: "/x") }
        if case .proxy = try ConsoleMode.choose(terminal: true, detach: false, consoleSocket: nil) {} else { Issue.record("not proxied") }
        if case .none = try ConsoleMode.choose(terminal: false, detach: false, consoleSocket: nil) {} else { Issue.record("a terminal without asking") }
        // A path that is there but no socket.
        #expect(throws: (any Error).self) { try ConsoleMode.choose(terminal: true, detach: true, consoleSocket: "/etc/hostname") }
    }
}
