import Foundation
import Testing

@Suite("Runtime terminal", .serialized, .enabled(if: RuntimeBundle.available, "needs root and /bin/busybox"))
struct RuntimeTerminalTests {
    /// Prints its terminal, its window size and whether /dev/console is that terminal, then echoes one line.
    static let probe = "tty; stty size; [ /dev/console -ef \"$(tty)\" ] && echo console-is-tty; echo READY; read x; echo got:$x"

    @Test("create --console-socket sends a working pty master, made inside the container, as runc does")
    func createConsoleSocket() throws {
        let b = try RuntimeBundle()
        b.process["terminal"] = true
        b.process["consoleSize"] = ["height": 25, "width": 90]
        b.script(Self.probe)
        try b.writeConfig()
        let receiver = try ConsoleReceiver(path: b.tmp.file("console.sock"))
        let id = b.newID()
        defer { _ = try? b.cove(["delete", "--force", id]) }
        let c = try b.coveToFiles(["create", "--console-socket", receiver.path, "-b", b.bundle, id])
        #expect(c.status == 0, "\(c)")
        let (name, master) = try receiver.receive()
        defer { close(master) }
        #expect(name == "/dev/ptmx")
        #expect(isatty(master) == 1)
        #expect(try b.state(id)["status"] as? String == "created")
        #expect(try b.cove(["start", id]).status == 0)
        let out = TerminalIO.read(master) { $0.contains("READY") }
        #expect(out.contains("/dev/pts/0\r\n25 90\r\nconsole-is-tty\r\nREADY"), "\(out)")
        TerminalIO.write(master, "typed\n")
        let echoed = TerminalIO.read(master) { $0.contains("got:typed") }
        #expect(echoed.contains("got:typed"), "\(echoed)")
        try b.eventually("stopped") { try b.state(id)["status"] as? String == "stopped" }
        #expect(b.output().isEmpty, "the container's output went to cove's stdout: \(b.output())")
        #expect(try b.cove(["delete", id]).status == 0)
        b.assertClean()
    }

    @Test("run --detach --console-socket hands the master over and returns")
    func runDetachedConsoleSocket() throws {
        let b = try RuntimeBundle()
        b.process["terminal"] = true
        b.script(Self.probe)
        try b.writeConfig()
        let receiver = try ConsoleReceiver(path: b.tmp.file("run.sock"))
        let id = b.newID()
        defer { _ = try? b.cove(["delete", "--force", id]) }
        let r = try b.coveToFiles(["run", "-d", "--console-socket", receiver.path, "-b", b.bundle, id])
        #expect(r.status == 0, "\(r)")
        let (_, master) = try receiver.receive()
        defer { close(master) }
        let out = TerminalIO.read(master) { $0.contains("READY") }
        #expect(out.contains("/dev/pts/0\r\n") && out.contains("console-is-tty\r\nREADY"), "\(out)")
        TerminalIO.write(master, "bye\n")
        #expect(TerminalIO.read(master) { $0.contains("got:bye") }.contains("got:bye"))
        try b.eventually("stopped") { try b.state(id)["status"] as? String == "stopped" }
        #expect(try b.cove(["delete", id]).status == 0)
        b.assertClean()
    }

    @Test("exec --tty --detach --console-socket gives the exec'd process its own pty")
    func execConsoleSocket() throws {
        let b = try RuntimeBundle()
        let (id, _) = try b.startLooping()
        defer { _ = try? b.cove(["delete", "--force", id]) }
        let receiver = try ConsoleReceiver(path: b.tmp.file("exec.sock"))
        let r = try b.coveToFiles(["exec", "--tty", "--detach", "--console-socket", receiver.path, id, "sh", "-c", Self.probe, b.marker])
        #expect(r.status == 0, "\(r)")
        let (name, master) = try receiver.receive()
        defer { close(master) }
        #expect(name == "/dev/ptmx")
        let out = TerminalIO.read(master) { $0.contains("READY") }
        #expect(out.hasPrefix("/dev/pts/"), "\(out)")
        TerminalIO.write(master, "again\n")
        let echoed = TerminalIO.read(master) { $0.contains("got:again") }
        #expect(echoed.contains("got:again"), "\(echoed)")
        #expect(try b.cove(["delete", "--force", id]).status == 0)
        b.assertClean()
    }

    @Test("foreground run with a terminal proxies cove's own: raw mode restored, window size followed, exit status kept")
    func runProxiesTerminal() throws {
        let b = try RuntimeBundle()
        b.process["terminal"] = true
        b.script("tty; stty size; echo READY; read x; echo got:$x; stty size; exit 3")
        try b.writeConfig()
        let id = b.newID()
        defer { _ = try? b.cove(["delete", "--force", id]) }
        let s = try PtySession([Cove.binary, "--root", b.stateRoot, "run", "-b", b.bundle, id], rows: 33, cols: 111)
        let before = s.localFlags()
        let first = TerminalIO.read(s.master) { $0.contains("READY") }
        #expect(first.contains("/dev/pts/0\r\n33 111\r\nREADY"), "\(first)")
        // A resize sends SIGWINCH to cove (the terminal's foreground process), which passes the size on.
        TerminalIO.setSize(s.master, rows: 44, cols: 122)
        usleep(300_000)
        TerminalIO.write(s.master, "go\n")
        let (status, rest) = s.wait()
        #expect(status == 3, "\(first)\(rest)")
        #expect(rest.contains("got:go\r\n44 122"), "\(rest)")
        #expect(before != nil && s.localFlags() == before, "cove left the terminal in raw mode")
        b.assertClean()
    }

    @Test("foreground exec --tty proxies cove's terminal to a new pty in the container")
    func execProxiesTerminal() throws {
        let b = try RuntimeBundle()
        let (id, _) = try b.startLooping()
        defer { _ = try? b.cove(["delete", "--force", id]) }
        let s = try PtySession([Cove.binary, "--root", b.stateRoot, "exec", "-t", id, "sh", "-c",
                                "tty; stty size; test -t 0 && echo is-a-tty; echo READY; read x; echo got:$x; exit 5", b.marker],
                               rows: 20, cols: 70)
        let first = TerminalIO.read(s.master) { $0.contains("READY") }
        #expect(first.contains("/dev/pts/") && first.contains("20 70\r\nis-a-tty\r\nREADY"), "\(first)")
        TerminalIO.write(s.master, "x\n")
        let (status, rest) = s.wait()
        #expect(status == 5, "\(first)\(rest)")
        #expect(rest.contains("got:x"), "\(rest)")
        #expect(try b.cove(["delete", "--force", id]).status == 0)
        b.assertClean()
    }

    @Test("a terminal without a console socket where cove detaches, and a socket that is not there, fail like runc")
    func refusals() throws {
        let b = try RuntimeBundle()
        b.process["terminal"] = true
        b.script("true")
        try b.writeConfig()
        func fails(_ args: [String], _ want: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let r = try b.cove(args)
            #expect(r.status == 1, "\(r)", sourceLocation: sourceLocation)
            #expect(r.errorLine.contains(want), "\(r)", sourceLocation: sourceLocation)
            #expect(r.errorLine.split(separator: "\n").count == 1, "\(r)", sourceLocation: sourceLocation)
        }
        let detachWithout = "process.terminal: cannot allocate tty if cove will detach without setting console socket"
        try fails(["create", "-b", b.bundle, b.newID()], detachWithout)
        try fails(["run", "-d", "-b", b.bundle, b.newID()], detachWithout)
        let missing = b.tmp.file("absent.sock")
        try fails(["create", "--console-socket", missing, "-b", b.bundle, b.newID()], "--console-socket \(missing): No such file or directory")
        let notSocket = b.tmp.file("plain")
        FileManager.default.createFile(atPath: notSocket, contents: Data())
        try fails(["create", "--console-socket", notSocket, "-b", b.bundle, b.newID()], "not a unix socket")
        let receiver = try ConsoleReceiver(path: b.tmp.file("fg.sock"))
        try fails(["run", "--console-socket", receiver.path, "-b", b.bundle, b.newID()], "cannot use console socket if cove will not detach")
        b.assertClean()
    }
}
