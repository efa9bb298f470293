import Foundation
import Testing

/// Exit statuses, signal forwarding, persistent namespace files and bad input for `cove unshare`.
@Suite(.enabled(if: Host.isRoot, Host.rootReason))
struct UnshareProcessTests {
    @Test func exitStatusPassesThrough() throws {
        #expect(try Cove.run(["unshare", "--fork", "--uts", "sh", "-c", "exit 7"]).status == 7)
        #expect(try Cove.run(["unshare", "--uts", "sh", "-c", "exit 9"]).status == 9)
    }

    @Test func deathBySignalIs128PlusN() throws {
        #expect(try Cove.run(["unshare", "--fork", "sh", "-c", "kill -KILL $$"]).status == 137)
    }

    @Test func missingCommandIs127() throws {
        let r = try Cove.run(["unshare", "--uts", "/nonexistent/cmd"])
        #expect(r.status == 127)
        #expect(r.stderr == "cove unshare: failed to execute /nonexistent/cmd: No such file or directory\n")
    }

    @Test(arguments: ["TERM", "INT", "HUP", "USR1", "USR2"])
    func signalsAreForwardedToTheChild(_ name: String) throws {
        let marker = UniqueName.make("sigfwd")
        let p = try Spawned([Cove.binary, "unshare", "--fork", "--uts", "--", "sh", "-c",
                             "trap 'echo got-\(name); exit 3' \(name); echo ready; while :; do sleep 0.05; done # \(marker)"])
        defer { for pid in Leftovers.processes(containing: marker) { kill(pid, SIGKILL) } }
        var text = ""
        while !text.contains("ready") {
            let d = p.stdout.availableData
            if d.isEmpty { break }
            text += String(decoding: d, as: UTF8.self)
        }
        kill(p.pid, Signal(name))
        let status = p.wait()
        text += String(decoding: p.stdout.readDataToEndOfFile(), as: UTF8.self)
        #expect(status == 3, "output: \(text)")
        #expect(text.contains("got-\(name)"))
        #expect(Leftovers.processes(containing: marker).isEmpty)
    }

    func Signal(_ name: String) -> Int32 {
        ["TERM": SIGTERM, "INT": SIGINT, "HUP": SIGHUP, "USR1": SIGUSR1, "USR2": SIGUSR2][name]!
    }

    @Test func killChildEndsTheChildWithCove() throws {
        let target = try TargetProcess(unshare: ["--kill-child", "--uts"])
        defer { TargetProcess.stop(target.process) }
        #expect(target.pid > 0 && kill(target.pid, 0) == 0)
        kill(target.process.pid, SIGKILL)
        _ = target.process.wait()
        var gone = false
        for _ in 0..<200 where !gone {
            gone = kill(target.pid, 0) != 0 || isZombie(target.pid)
            if !gone { usleep(10_000) }
        }
        #expect(gone, "child outlived cove despite --kill-child")
    }

    func isZombie(_ pid: Int32) -> Bool {
        (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z ") ?? true
    }

    @Test func persistentNamespacesAreJoinedWithEnter() throws {
        let dir = try TempDir("cove-persist")
        let uts = dir.file("uts"), net = dir.file("net")
        let made = try Cove.run(["unshare", "--uts=\(uts)", "--net=\(net)", "--hostname", "persisted", "true"])
        #expect(made.status == 0, "\(made)")
        defer {
            umount2(uts, Int32(MNT_DETACH))
            umount2(net, Int32(MNT_DETACH))
        }
        #expect(Leftovers.mounts(under: dir.path).sorted() == [net, uts])
        let r = try Cove.run(["enter", "--uts=\(uts)", "--net=\(net)", "sh", "-c", "hostname; ip -o link | wc -l"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) } == ["persisted", "1"])
        let listed = try Cove.run(["ns", "list", "--type", "uts"])
        #expect(listed.stdout.contains(uts), "ns list shows the persistent file: \(listed.stdout)")
        #expect(umount2(uts, 0) == 0 && umount2(net, 0) == 0)
        #expect(Leftovers.mounts(under: dir.path).isEmpty)
    }

    @Test func persistingOntoAMissingDirectoryLeavesNothing() throws {
        let dir = try TempDir("cove-persist-bad")
        let r = try Cove.run(["unshare", "--uts=\(dir.file("uts"))", "--net=\(dir.file("no/such/dir/net"))", "true"])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("cove unshare: create \(dir.file("no/such/dir/net")): No such file or directory"), "\(r)")
        #expect(Leftovers.mounts(under: dir.path).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.file("uts")), "the file made for uts was not removed")
    }
}

@Suite struct UnshareBadInputTests {
    @Test(arguments: [
        (["unshare", "--bogus"], "cove unshare: unrecognized option '--bogus'\n"),
        (["unshare", "--map-users", "1:2"], "cove unshare: invalid id map '1:2': expected INNER:OUTER:COUNT with COUNT > 0\n"),
        (["unshare", "--map-users", "0:1000:10", "--map-users", "5:2000:1"],
         "cove unshare: uid map: ranges '0:1000:10' and '5:2000:1' overlap\n"),
        (["unshare", "--propagation", "sideways"], "cove unshare: unsupported propagation mode: sideways\n"),
        (["unshare", "--setgroups", "maybe", "-U"], "cove unshare: unsupported --setgroups argument 'maybe': use allow or deny\n"),
        (["unshare", "--kill-child=NOPE"], "cove unshare: unknown signal: NOPE\n"),
        (["unshare", "--hostname", "x"], "cove unshare: option --hostname needs --uts\n"),
        (["unshare", "--monotonic", "soon"], "cove unshare: --monotonic: invalid offset 'soon' (seconds)\n"),
        (["enter", "-t", "0", "-a"], "cove enter: invalid PID argument: '0'\n"),
        (["enter", "-t", "2147483000", "-a"], "cove enter: no such process: 2147483000\n"),
        (["enter", "--net=/etc/hostname", "true"], "cove enter: /etc/hostname: not a namespace file\n"),
        (["enter", "--net=/proc/self/ns/uts", "true"], "cove enter: /proc/self/ns/uts: is a uts namespace, not net\n"),
        (["enter", "--net", "true"], "cove enter: no target process specified: use --target PID or a namespace file (--net=FILE)\n"),
        (["ns", "list", "--type", "bogus"], "cove: unknown namespace type: bogus (use mnt, net, ipc, user, pid, uts, cgroup or time)\n"),
        (["ns", "show", "2147483000"], "cove: no such process: 2147483000\n"),
    ])
    func badInputGetsOneLineAndExit1(_ args: [String], _ message: String) throws {
        let r = try Cove.run(args)
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr == message)
        #expect(r.stdout.isEmpty)
    }
}
