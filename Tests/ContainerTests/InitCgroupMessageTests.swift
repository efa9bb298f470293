import Glibc
import Testing
import Cgroups
@testable import Container

/// The "cgroup" message `create` sends its init: the cgroup's directories and join files as JSON, the files'
/// descriptors attached with SCM_RIGHTS.
@Suite("Init cgroup message")
struct InitCgroupMessageTests {
    @Test("paths, files and the host's mounts survive the text form, odd characters included; a malformed one is nil")
    func roundTrip() throws {
        let paths = ["memory": "/sys/fs/cgroup/memory/cove/a b", "": "/sys/fs/cgroup/unified/cove/\"q\""]
        let files = ["/sys/fs/cgroup/memory/cove/a b/tasks", "/x/cgroup.procs"]
        let layout = CgroupLayout(mode: .hybrid, v1Mounts: ["memory": "/sys/fs/cgroup/memory", "name=systemd": "/sys/fs/cgroup/systemd"],
                                  unifiedMount: "/sys/fs/cgroup/unified")
        for m in [InitCgroup.Message(paths: paths, files: files, layout: layout),
                  InitCgroup.Message(paths: paths, files: files, layout: CgroupLayout(mode: .legacy, v1Mounts: ["pids": "/p"])),
                  InitCgroup.Message(paths: [:], files: [], layout: nil)] {
            #expect(InitCgroup.Message(m.text) == m, "\(m.text)")
        }
        #expect(InitCgroup.Message("{\"files\": []}") == nil)
        #expect(InitCgroup.Message("not json") == nil)
    }

    @Test("descriptors sent with a message arrive with it and reach the same files")
    func descriptorsTravel() throws {
        let (a, b) = try SyncChannel.pair()
        defer { a.close(); b.close() }
        var pipes: [(Int32, Int32)] = []
        defer { for (r, w) in pipes { close(r); close(w) } }
        for _ in 0..<3 {
            var p: [Int32] = [0, 0]
            #expect(pipe(&p) == 0)
            pipes.append((p[0], p[1]))
        }
        try a.send("cgroup hello", fds: pipes.map(\.1))
        let (text, fds) = try b.expectWithFDs("cgroup", during: "test")
        defer { for f in fds { close(f) } }
        #expect(text == "hello" && fds.count == 3)
        for (i, f) in fds.enumerated() {
            var byte = UInt8(65 + i)
            #expect(write(f, &byte, 1) == 1)
            var got: UInt8 = 0
            #expect(read(pipes[i].0, &got, 1) == 1 && got == byte)
        }
        try a.send("error it broke", fds: [])
        #expect(throws: (any Error).self) { _ = try b.expectWithFDs("cgroup", during: "test") }
    }

    @Test("the init's own error wins when it exits with our message unread (the kernel reports ECONNRESET first)")
    func errorAfterUnreadMessage() throws {
        let (parent, child) = try SyncChannel.pair()
        defer { parent.close() }
        try parent.send("cgroup {}", fds: [])
        try child.send("error mounts[3] (/x): it broke")
        child.close()
        do {
            _ = try parent.expect("mounted", during: "setting up the root filesystem")
            Issue.record("no error")
        } catch {
            #expect("\(error)" == "mounts[3] (/x): it broke")
        }
        #expect(try parent.receive() == nil)
    }
}
