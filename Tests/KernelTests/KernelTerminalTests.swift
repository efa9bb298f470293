import CLinux
import Glibc
import Testing
@testable import Kernel

@Suite struct KernelTerminalTests {
    @Test func ptyPairCarriesBytes() throws {
        let pty = try PseudoTerminal.open()
        defer { close(pty.master); close(pty.slave) }
        #expect(try pty.slaveName().hasPrefix("/dev/pts/"))
        #expect(isatty(pty.slave) == 1)
        let msg = Array("ping\n".utf8)
        #expect(write(pty.master, msg, msg.count) == msg.count)
        var buf = [UInt8](repeating: 0, count: 16)
        let n = read(pty.slave, &buf, 16)
        #expect(String(decoding: buf[0..<max(n, 0)], as: UTF8.self) == "ping\n")
    }

    @Test func consoleSocketReceivesAWorkingMaster() throws {
        var template = Array("/tmp/cove-console-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!)
        defer { rmdir(dir) }
        let path = dir + "/console.sock"
        let listener = try UnixSocket.listen(path: path)
        defer { close(listener); unlink(path) }

        let pty = try PseudoTerminal.open()
        defer { close(pty.master); close(pty.slave) }
        try Terminal.sendToConsoleSocket(pty.master, path: path)

        let conn = accept(listener, nil, nil)
        #expect(conn >= 0)
        defer { close(conn) }
        var received: Int32 = -1
        var name = [UInt8](repeating: 0, count: 64)
        let n = cove_recv_fd(conn, &received, &name, 64)
        #expect(n > 0 && received >= 0)
        defer { close(received) }
        #expect(String(decoding: name[0..<max(n, 0)], as: UTF8.self) == "/dev/ptmx")
        // The received fd is the same master: what the slave writes comes out of it.
        let msg = Array("hello".utf8)
        #expect(write(pty.slave, msg, msg.count) == msg.count)
        var buf = [UInt8](repeating: 0, count: 16)
        let got = read(received, &buf, 16)
        #expect(String(decoding: buf[0..<max(got, 0)], as: UTF8.self) == "hello")
    }

    @Test func socketPathTooLongIsClear() {
        let long = "/tmp/" + String(repeating: "x", count: 120)
        #expect(throws: CoveError("\(long): socket path too long (at most 107 bytes)")) { try UnixSocket.connect(path: long) }
    }

    @Test func missingConsoleSocketNamesThePath() {
        #expect(throws: SyscallError("connect", "/nonexistent/console.sock", errno: .noSuchFileOrDirectory)) {
            try Terminal.sendToConsoleSocket(0, path: "/nonexistent/console.sock")
        }
    }
}
