import Foundation
import Testing

extension EngineSuites {
    /// containerd (Debian's) started by the test; `ctr run --runc-binary RUNTIME`: the runc shim with the
    /// runtime as its binary, as on a Kubernetes node.
    @Suite(.enabled(if: ContainerdEngine.missing == nil, Comment(rawValue: ContainerdEngine.missing ?? "")))
    struct EngineContainerdTests {
        @Test("image import of an OCI archive, then run --rm: output and exit code", arguments: EngineRuntime.allCases)
        func importAndRun(_ runtime: EngineRuntime) throws {
            try ContainerdEngine(runtime).session { c in
                let imp = try c.importImage()
                #expect(imp.status == 0, "\(imp)")
                #expect(try c.ctr(["image", "ls", "--quiet"]).stdout.split(separator: "\n").contains(Substring(c.image)))
                let r = try c.run(["--rm"], id: "once", c.sh("echo out; echo err >&2; test \"$PATH\" = /usr/sbin:/usr/bin:/sbin:/bin && exit 4"))
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 4 && r.stdout == "out\n" && r.stderr.contains("err"), "\(r)")
                // --rm removed the container and its task.
                #expect(try c.ctr(["container", "ls", "--quiet"]).stdout.isEmpty)
                #expect(try c.run(["--rm"], id: "twice", ["true"]).status == 0)
            }
        }

        @Test("task exec runs a second process in the task", arguments: EngineRuntime.allCases)
        func taskExec(_ runtime: EngineRuntime) throws {
            try CoveProbe.require(runtime, command: "exec", issue: "issue 6", engineUse: "exec --process FILE --detach --pid-file FILE ID")
            try ContainerdEngine(runtime).session { c in
                #expect(try c.importImage().status == 0)
                let r = try c.run(["-d"], id: "ex", c.sh("echo $$ > /tmp/init; while true; do sleep 0.2; done"))
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 0, "\(r)")
                let e = try c.ctr(["task", "exec", "--fifo-dir", c.tmp.file("fifo"), "--exec-id", "e1", "ex", "sh", "-c", "echo in-exec $(cat /tmp/init); exit 3"])
                try CoveProbe.cancelOnGap(runtime, e)
                #expect(e.status == 3 && e.stdout == "in-exec 1\n", "\(e)")
            }
        }

        @Test("task kill delivers the signal; the exit code reaches containerd", arguments: EngineRuntime.allCases)
        func taskKill(_ runtime: EngineRuntime) throws {
            try ContainerdEngine(runtime).session { c in
                #expect(try c.importImage().status == 0)
                let r = try c.run(["-d"], id: "kt", c.sh("trap 'exit 9' TERM; while true; do sleep 0.1; done"))
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 0, "\(r)")
                #expect(try c.tasks()["kt"]?.status == "RUNNING")
                let k = try c.ctr(["task", "kill", "kt"])
                #expect(k.status == 0, "\(k)")
                #expect(eventually { (try? c.tasks()["kt"]?.status) == "STOPPED" })
                let d = try c.ctr(["task", "delete", "kt"])
                #expect(d.status == 0 && d.stderr.contains("exit code 9"), "\(d)")

                try c.run(["-d"], id: "kk", c.sh("trap '' TERM; while true; do sleep 0.1; done"))
                #expect(try c.ctr(["task", "kill", "--signal", "SIGKILL", "kk"]).status == 0)
                #expect(eventually { (try? c.tasks()["kk"]?.status) == "STOPPED" })
                #expect(try c.ctr(["task", "delete", "kk"]).stderr.contains("exit code 137"))
            }
        }

        @Test("task ps lists the task's processes", arguments: EngineRuntime.allCases)
        func taskPs(_ runtime: EngineRuntime) throws {
            try CoveProbe.require(runtime, command: "ps", issue: "issue 5", engineUse: "ps --format json ID")
            try ContainerdEngine(runtime).session { c in
                #expect(try c.importImage().status == 0)
                let r = try c.run(["-d"], id: "pst", c.sh("sleep 1000 & while true; do sleep 0.2; done"))
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 0, "\(r)")
                let initPid = try #require(c.tasks()["pst"]?.pid)
                let ps = try c.ctr(["task", "ps", "pst"])
                try CoveProbe.cancelOnGap(runtime, ps)
                let pids = ps.stdout.split(separator: "\n").dropFirst().compactMap { Int32($0.split(separator: " ").first ?? "") }
                #expect(ps.status == 0 && pids.contains(initPid) && pids.count >= 2, "\(ps)")
            }
        }
    }
}
