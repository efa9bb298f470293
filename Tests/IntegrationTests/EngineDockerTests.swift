import Foundation
import Testing

extension EngineSuites {
    /// Docker (Debian's docker.io): dockerd started by the test with `--add-runtime`, `docker run --runtime`.
    @Suite(.enabled(if: DockerEngine.missing == nil, Comment(rawValue: DockerEngine.missing ?? "")))
    struct EngineDockerTests {
        @Test("import, then run --runtime --rm: output, exit code, hostname", arguments: EngineRuntime.allCases)
        func importAndRun(_ runtime: EngineRuntime) throws {
            try DockerEngine(runtime).session { d in
                let imp = try d.importImage()
                #expect(imp.status == 0, "\(imp)")
                let r = try d.run(["--rm", "--hostname", "dockbox", "--env", "COVE_ENG=1"], d.sh("hostname; echo $COVE_ENG; echo err >&2; exit 5"))
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 5 && r.stdout == "dockbox\n1\n" && r.stderr.contains("err"), "\(r)")
                #expect(try d.docker(["ps", "--all", "--quiet"]).stdout.isEmpty, "--rm left the container")
            }
        }

        @Test("exec runs a second process in a running container", arguments: EngineRuntime.allCases)
        func exec(_ runtime: EngineRuntime) throws {
            try CoveProbe.require(runtime, command: "exec", issue: "issue 6", engineUse: "exec --process FILE --detach --pid-file FILE ID")
            try DockerEngine(runtime).session { d in
                #expect(try d.importImage().status == 0)
                let r = try d.run(["-d", "--name", "ex"], d.sh("echo $$ > /tmp/init; while true; do sleep 0.2; done"))
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 0, "\(r)")
                let e = try d.docker(["exec", "ex", "sh", "-c", "echo in-exec $(cat /tmp/init); exit 3"])
                try CoveProbe.cancelOnGap(runtime, e)
                #expect(e.status == 3 && e.stdout == "in-exec 1\n", "\(e)")
            }
        }

        @Test("run -t and exec -t give the process a terminal (console socket through containerd's shim)", arguments: EngineRuntime.allCases)
        func terminal(_ runtime: EngineRuntime) throws {
            try CoveProbe.require(runtime, command: "exec", issue: "issue 6", engineUse: "exec --process FILE --detach --pid-file FILE ID")
            try DockerEngine(runtime).session { d in
                #expect(try d.importImage().status == 0)
                let r = try d.run(["-d", "-t", "--name", "tt"], d.sh("tty > /tmp/tty; while true; do sleep 0.2; done"))
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 0, "\(r)")
                let e = try d.docker(["exec", "-t", "tt", "sh", "-c", "cat /tmp/tty; tty; test -t 0 && echo is-a-tty; exit 6"])
                try CoveProbe.cancelOnGap(runtime, e)
                #expect(e.status == 6, "\(e)")
                let lines = e.stdout.split(whereSeparator: \.isNewline).map(String.init) // "\r\n" is one Character
                #expect(lines.count == 3 && lines[0].hasPrefix("/dev/pts/") && lines[1].hasPrefix("/dev/pts/") && lines[2] == "is-a-tty", "\(e)")
            }
        }

        @Test("stop and kill: the signal and the exit code reach Docker", arguments: EngineRuntime.allCases)
        func stopAndKill(_ runtime: EngineRuntime) throws {
            try DockerEngine(runtime).session { d in
                #expect(try d.importImage().status == 0)
                let r = try d.run(["-d", "--name", "term"], d.sh("trap 'exit 7' TERM; while true; do sleep 0.1; done"))
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 0, "\(r)")
                #expect(try d.docker(["stop", "--time", "30", "term"]).status == 0)
                #expect(try d.inspect("term", "{{.State.ExitCode}}") == "7")
                try d.run(["-d", "--name", "deaf"], d.sh("trap '' TERM; while true; do sleep 0.1; done"))
                #expect(try d.docker(["kill", "deaf"]).status == 0)
                #expect(eventually { (try? d.inspect("deaf", "{{.State.Status}}")) == "exited" })
                #expect(try d.inspect("deaf", "{{.State.ExitCode}}") == "137")
            }
        }

        @Test("Docker's default seccomp profile is loaded", arguments: EngineRuntime.allCases)
        func defaultSeccomp(_ runtime: EngineRuntime) throws {
            try DockerEngine(runtime).session { d in
                #expect(try d.importImage().status == 0)
                let r = try d.run(["--rm"], d.sh("grep '^Seccomp:' /proc/self/status"), seccomp: true)
                try CoveProbe.cancelOnGap(runtime, r)
                #expect(r.status == 0 && r.stdout.contains("Seccomp:\t2"), "\(r)")
            }
        }
    }
}
