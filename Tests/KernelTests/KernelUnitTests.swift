import Glibc
import Testing
@testable import Kernel

@Suite struct KernelIDMapTests {
    @Test func parsesInnerOuterCount() throws {
        let m = try IDMapping(parsing: "0:100000:65536")
        #expect(m == IDMapping(inner: 0, outer: 100000, count: 65536))
        #expect(m.description == "0 100000 65536")
    }

    @Test(arguments: ["", "0:1", "a:b:c", "0:0:0", "1:2:3:4", "4294967295:0:2"])
    func rejectsBadMaps(_ text: String) {
        #expect(throws: CoveError.self) { try IDMapping(parsing: text) }
    }

    @Test func rejectsOverlap() throws {
        let a = IDMapping(inner: 0, outer: 1000, count: 10)
        let b = IDMapping(inner: 5, outer: 5000, count: 10)
        let c = IDMapping(inner: 100, outer: 1005, count: 1)
        #expect(throws: CoveError.self) { try IDMap.validate([a, b], what: "uid map") }
        #expect(throws: CoveError.self) { try IDMap.validate([a, c], what: "uid map") }
        try IDMap.validate([a, IDMapping(inner: 10, outer: 1010, count: 5)], what: "uid map")
    }

    @Test("a container's owner comes from /etc/passwd by uid (first match); unknown uids have no name")
    func passwdName() throws {
        let path = "/tmp/cove-kernel-passwd-\(getpid())"
        defer { unlink(path) }
        try FileIO.write(path, "root:x:0:0:root:/root:/bin/bash\n# note\nbad line\nalice:x:1000:1000::/home/alice:/bin/sh\nalias:x:1000:1000::/:/bin/sh", create: true)
        #expect(Identity.passwdName(0, file: path) == "root")
        #expect(Identity.passwdName(1000, file: path) == "alice")
        #expect(Identity.passwdName(4242, file: path) == nil)
        #expect(Identity.passwdName(0, file: path + ".missing") == nil)
    }

    @Test func rendersMapFile() {
        let text = IDMap.render([IDMapping(inner: 0, outer: 1000, count: 1), IDMapping(inner: 1, outer: 100000, count: 65536)])
        #expect(text == "0 1000 1\n1 100000 65536\n")
    }
}

@Suite struct KernelSignalTests {
    @Test func parsesNamesAndNumbers() {
        #expect(Signal.parse("KILL") == 9)
        #expect(Signal.parse("SIGKILL") == 9)
        #expect(Signal.parse("sigterm") == 15)
        #expect(Signal.parse("9") == 9)
        #expect(Signal.parse("RTMIN+2") == 36)
        #expect(Signal.parse("NOPE") == nil)
        #expect(Signal.parse("0") == nil)
        #expect(Signal.parse("65") == nil)
    }

    @Test func exitStatusShellCode() {
        #expect(ExitStatus.exited(3).shellCode == 3)
        #expect(ExitStatus.signaled(9).shellCode == 137)
    }
}

@Suite struct KernelErrorTests {
    @Test func printsCallSubjectAndErrno() {
        let e = SyscallError("pivot_root", "/x", errno: .notPermitted)
        #expect(e.description == "pivot_root /x: Operation not permitted")
        #expect(SyscallError("fork", errno: .noMemory).description == "fork: Cannot allocate memory")
    }

    @Test func namespaceNames() {
        #expect(NamespaceKind(name: "network") == .net)
        #expect(NamespaceKind(name: "mnt") == .mount)
        #expect(NamespaceKind(name: "bogus") == nil)
        #expect(NamespaceKind.pid.forChildrenProcName == "pid_for_children")
        #expect(CloneFlags([.newUser, .newPID]).description == "CLONE_NEWPID|CLONE_NEWUSER")
    }
}

@Suite struct KernelVforkTests {
    @Test("vfork: the child runs in our memory before we go on, and its exit status or exec is what we wait for")
    func vforkSharesMemoryUntilExec() throws {
        final class Box { var value = 0 }
        let box = Box()
        // The child only stores and exits (no allocation, no stdio): the test runner has other threads.
        let pid = try ProcessControl.vfork { box.value = 42; _exit(7) }
        #expect(box.value == 42)
        #expect(try ProcessControl.wait(pid) == .exited(7))
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { free(argv[0]) }
        let exec = try ProcessControl.vfork { execv("/bin/true", argv); _exit(127) }
        #expect(try ProcessControl.wait(exec) == .exited(0))
    }
}
