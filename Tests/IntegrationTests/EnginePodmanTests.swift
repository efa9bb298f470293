import Foundation
import Testing

extension EngineSuites {
    /// podman (Debian's) with `--runtime` set to the runtime under test, containers from `--rootfs`.
    @Suite(.enabled(if: PodmanEngine.missing == nil, Comment(rawValue: PodmanEngine.missing ?? "")))
    struct EnginePodmanTests {
        @Test("run --rm: exit codes, stdout and stderr apart, missing command", arguments: EngineRuntime.allCases)
        func exitCodes(_ runtime: EngineRuntime) throws {
            try PodmanEngine(runtime).session { p in
                let ok = try p.run(["--rm"], p.sh("echo out; echo err >&2; exit 3"))
                try CoveProbe.cancelOnGap(runtime, ok)
                #expect(ok.status == 3, "\(ok)")
                #expect(ok.stdout == "out\n", "\(ok)")
                #expect(ok.stderr.contains("err\n"), "\(ok)")
                #expect(try p.run(["--rm"], ["true"]).status == 0)
                // podman maps the runtime's "not found" to 127, like a shell.
                let missing = try p.run(["--rm"], ["/no/such/program"])
                #expect(missing.status == 127, "\(missing)")
            }
        }

        @Test("--hostname and --env reach the container", arguments: EngineRuntime.allCases)
        func hostnameAndEnv(_ runtime: EngineRuntime) throws {
            try PodmanEngine(runtime).session { p in
                let r = try p.run(["--rm", "--hostname", "engbox", "--env", "COVE_ENG=a b=c"], p.sh("hostname; echo \"$COVE_ENG\""))
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 0 && r.stdout == "engbox\na b=c\n", "\(r)")
            }
        }

        @Test("--memory and --pids-limit set the container's cgroup", arguments: EngineRuntime.allCases)
        func memoryAndPids(_ runtime: EngineRuntime) throws {
            try PodmanEngine(runtime).session { p in
                let r = try p.run(["-d", "--name", "lim", "--memory", "64m", "--pids-limit", "50"], p.sh("while true; do sleep 0.2; done"))
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 0, "\(r)")
                let pid = try p.inspect("lim", "{{.State.Pid}}")
                let memPath = cgroupFile(pid: pid, controller: "memory", v1File: "memory.limit_in_bytes", v2File: "memory.max")
                let pidsPath = cgroupFile(pid: pid, controller: "pids", v1File: "pids.max", v2File: "pids.max")
                let mem = readTrimmed(memPath), pids = readTrimmed(pidsPath)
                let inParent = pidsPath?.contains("/\(p.cgroupParent)/") == true
                if runtime == .cove, mem != "67108864" || pids != "50" || !inParent, let gap = CoveProbe.gap(in: p.runtimeLog) {
                    try CoveProbe.skip("cove's log says: \(gap)")
                }
                #expect(inParent, "container cgroup \(pidsPath ?? "?") is not under /\(p.cgroupParent)")
                #expect(mem == "67108864", "\(memPath ?? "no memory cgroup"): \(mem ?? "unreadable")")
                #expect(pids == "50", "\(pidsPath ?? "no pids cgroup"): \(pids ?? "unreadable")")
            }
        }

        @Test("-t gives the process a terminal", arguments: EngineRuntime.allCases)
        func terminal(_ runtime: EngineRuntime) throws {
            try PodmanEngine(runtime).session { p in
                let r = try p.run(["--rm", "-t"], p.sh("tty; test -t 0 && echo is-a-tty"))
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 0, "\(r)")
                #expect(r.stdout.contains("/dev/pts/") && r.stdout.contains("is-a-tty"), "\(r)")
            }
        }

        @Test("exec runs a second process in a running container", arguments: EngineRuntime.allCases)
        func exec(_ runtime: EngineRuntime) throws {
            try CoveProbe.require(runtime, command: "exec", issue: "issue 6", engineUse: "exec --process FILE --detach --pid-file FILE ID")
            try PodmanEngine(runtime).session { p in
                let r = try p.run(["-d", "--name", "ex", "--env", "COVE_ENG=from-run"], p.sh("echo $$ > /tmp/init; while true; do sleep 0.2; done"))
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 0, "\(r)")
                let e = try p.podman(["exec", "--env", "EXTRA=x", "ex", "sh", "-c", "echo $COVE_ENG $EXTRA $(cat /tmp/init); exit 4"])
                try CoveProbe.cancelOnGap(runtime, e)
                #expect(e.status == 4 && e.stdout == "from-run x 1\n", "\(e)")
            }
        }

        @Test("exec -t gives the exec'd process a terminal (console socket through conmon)", arguments: EngineRuntime.allCases)
        func execTerminal(_ runtime: EngineRuntime) throws {
            try CoveProbe.require(runtime, command: "exec", issue: "issue 6", engineUse: "exec --process FILE --tty --console-socket S --detach --pid-file FILE ID")
            try PodmanEngine(runtime).session { p in
                let r = try p.run(["-d", "--name", "ext"], p.sh("while true; do sleep 0.2; done"))
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 0, "\(r)")
                let e = try p.podman(["exec", "-t", "ext", "sh", "-c", "tty; test -t 0 && echo is-a-tty; exit 6"])
                try CoveProbe.cancelOnGap(runtime, e)
                #expect(e.status == 6, "\(e)")
                #expect(e.stdout.contains("/dev/pts/") && e.stdout.contains("is-a-tty"), "\(e)")
            }
        }

        @Test("stop: SIGTERM first, SIGKILL after the timeout", arguments: EngineRuntime.allCases)
        func stop(_ runtime: EngineRuntime) throws {
            try PodmanEngine(runtime).session { p in
                let t = try p.run(["-d", "--name", "term"], p.sh("trap 'echo got-term; exit 7' TERM; echo ready; while true; do sleep 0.1; done"))
                try CoveProbe.cancelOnGap(runtime, t)
                #expect(t.status == 0, "\(t)")
                #expect(eventually { (try? p.podman(["logs", "term"]).stdout.contains("ready")) == true })
                let s1 = try p.podman(["stop", "--time", "30", "term"])
                #expect(s1.status == 0, "\(s1)")
                #expect(try p.inspect("term", "{{.State.ExitCode}}") == "7")
                #expect(try p.podman(["logs", "term"]).stdout.contains("got-term"))

                try p.run(["-d", "--name", "deaf"], p.sh("trap '' TERM; echo ready; while true; do sleep 0.1; done"))
                #expect(eventually { (try? p.podman(["logs", "deaf"]).stdout.contains("ready")) == true })
                let start = Date()
                let s2 = try p.podman(["stop", "--time", "2", "deaf"])
                #expect(s2.status == 0, "\(s2)")
                #expect(Date().timeIntervalSince(start) >= 2, "SIGKILL came before the 2s timeout")
                #expect(try p.inspect("deaf", "{{.State.ExitCode}}") == "137")
                #expect(try p.status("deaf").hasPrefix("Exited (137)"))
            }
        }

        @Test("pause and unpause freeze and thaw the container", arguments: EngineRuntime.allCases)
        func pauseUnpause(_ runtime: EngineRuntime) throws {
            try CoveProbe.require(runtime, command: "pause", issue: "issue 5", engineUse: "pause ID")
            try CoveProbe.require(runtime, command: "resume", issue: "issue 5", engineUse: "resume ID")
            try PodmanEngine(runtime).session { p in
                let r = try p.run(["-d", "--name", "frz"], p.sh("while true; do echo tick; sleep 0.1; done"))
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 0, "\(r)")
                func ticks() -> Int { (try? p.podman(["logs", "frz"]).stdout.components(separatedBy: "tick").count) ?? 0 }
                #expect(eventually { ticks() > 3 })
                let pause = try p.podman(["pause", "frz"])
                try CoveProbe.cancelOnGap(runtime, pause)
                #expect(pause.status == 0, "\(pause)")
                #expect(try p.status("frz") == "Paused")
                let frozen = ticks()
                usleep(1_000_000)
                #expect(ticks() == frozen, "the container went on while paused")
                let unpause = try p.podman(["unpause", "frz"])
                #expect(unpause.status == 0, "\(unpause)")
                #expect(try p.status("frz").hasPrefix("Up"))
                #expect(eventually { ticks() > frozen + 2 })
            }
        }

        @Test("rm -f kills a running container and removes it", arguments: EngineRuntime.allCases)
        func removeForce(_ runtime: EngineRuntime) throws {
            try PodmanEngine(runtime).session { p in
                let marker = p.tmp.file("rmf-init")
                let r = try p.run(["-d", "--name", "rmf"], ["sh", "-c", "while true; do sleep 0.2; done", marker])
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 0, "\(r)")
                #expect(eventually { !Leftovers.processes(containing: marker).isEmpty })
                // SIGTERM first (ignored by the shell as PID 1), SIGKILL after 1s.
                let rm = try p.podman(["rm", "-f", "--time", "1", "rmf"])
                #expect(rm.status == 0, "\(rm)")
                #expect(try p.podman(["ps", "-a", "--format", "{{.Names}}"]).stdout.isEmpty)
                #expect(eventually { Leftovers.processes(containing: marker).isEmpty }, "the container's init outlived rm -f")
            }
        }

        @Test("ps shows Initialized (created, not started), Up and Exited", arguments: EngineRuntime.allCases)
        func psStatus(_ runtime: EngineRuntime) throws {
            try PodmanEngine(runtime).session { p in
                let c = try p.podman(["create", "--name", "st"] + p.containerFlags() + ["--rootfs", p.rootfs] + p.sh("sleep 1; exit 3"))
                #expect(c.status == 0, "\(c)")
                #expect(try p.status("st") == "Created")
                // `podman init` is the runtime's `create`: the process waits for `start`.
                let i = try p.podman(["init", "st"])
                try CoveProbe.cancelOnGap(runtime, i)
                #expect(i.status == 0, "\(i)")
                #expect(try p.status("st") == "Initialized")
                #expect(try p.podman(["start", "st"]).status == 0)
                #expect(try p.status("st").hasPrefix("Up"))
                #expect(eventually { (try? p.status("st").hasPrefix("Exited (3)")) == true }, "\((try? p.status("st")) ?? "")")
            }
        }

        @Test("logs keep the container's stdout and stderr", arguments: EngineRuntime.allCases)
        func logs(_ runtime: EngineRuntime) throws {
            try PodmanEngine(runtime).session { p in
                let r = try p.run(["-d", "--name", "lg"], p.sh("echo line1; echo line2 >&2; echo line3"))
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 0, "\(r)")
                #expect(eventually { (try? p.status("lg").hasPrefix("Exited (0)")) == true })
                let l = try p.podman(["logs", "lg"])
                #expect(l.status == 0 && l.stdout == "line1\nline3\n" && l.stderr == "line2\n", "\(l)")
            }
        }

        @Test("podman's default seccomp profile is loaded", arguments: EngineRuntime.allCases)
        func defaultSeccomp(_ runtime: EngineRuntime) throws {
            try PodmanEngine(runtime).session { p in
                let r = try p.run(["--rm"], p.sh("grep '^Seccomp:' /proc/self/status"), seccomp: true)
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 0 && r.stdout.contains("Seccomp:\t2"), "\(r)")
            }
        }
    }
}
