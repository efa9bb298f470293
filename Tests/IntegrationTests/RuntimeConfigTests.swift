import Foundation
import Testing

/// Each field of the Linux config, checked by its effect inside a busybox container.
@Suite("Runtime config", .serialized, .enabled(if: RuntimeBundle.available, "needs root and /bin/busybox"))
struct RuntimeConfigTests {
    /// Runs `script` in the container and returns its stdout (expecting exit 0).
    func inside(_ b: RuntimeBundle, _ script: String, extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        b.script(script)
        let r = try b.run(extra)
        #expect(r.status == 0, "\(r)", sourceLocation: sourceLocation)
        b.assertClean(sourceLocation: sourceLocation)
        return r.stdout
    }

    @Test("hostname and domainname")
    func hostname() throws {
        let b = try RuntimeBundle()
        b.config["hostname"] = "alpha"
        b.config["domainname"] = "example.org"
        #expect(try inside(b, "hostname; cat /proc/sys/kernel/domainname") == "alpha\nexample.org\n")
    }

    @Test("a new network namespace has lo up, with 127.0.0.1 and ::1, and no other device")
    func loopbackUp() throws {
        let b = try RuntimeBundle()
        b.namespaces(["mount", "pid", "ipc", "uts", "network"])
        let out = try inside(b, "ls /sys/class/net; cat /sys/class/net/lo/flags; grep -c '127.0.0.1' /proc/net/fib_trie; grep -c ' lo$' /proc/net/if_inet6")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first == "lo", "only lo: \(out)")
        // IFF_UP (0x1) and IFF_LOOPBACK (0x8).
        #expect(lines.count == 4 && (Int(lines[1].dropFirst(2), radix: 16) ?? 0) & 0x9 == 0x9, "\(out)")
        #expect((Int(lines.count == 4 ? lines[2] : "") ?? 0) > 0 && (Int(lines.count == 4 ? lines[3] : "") ?? 0) > 0, "addresses: \(out)")
    }

    @Test("process args, env, cwd, user uid/gid, additionalGids and umask")
    func processBasics() throws {
        let b = try RuntimeBundle()
        try FileManager.default.createDirectory(atPath: b.rootfs + "/work", withIntermediateDirectories: true)
        b.process["env"] = ["PATH=/bin", "GREETING=hello world"]
        b.process["cwd"] = "/work"
        b.process["user"] = ["uid": 1234, "gid": 2345, "additionalGids": [7, 8], "umask": 0o027]
        b.process["capabilities"] = nil
        let out = try inside(b, "echo \"$GREETING\"; pwd; id -u; id -g; id -G; umask")
        #expect(out == "hello world\n/work\n1234\n2345\n2345 7 8\n0027\n", "\(out)")
    }

    @Test("rlimits, noNewPrivileges and oomScoreAdj")
    func rlimitsNNPOom() throws {
        let b = try RuntimeBundle()
        b.process["rlimits"] = [["type": "RLIMIT_NOFILE", "soft": 555, "hard": 666], ["type": "RLIMIT_CORE", "soft": 0, "hard": 0]]
        b.process["noNewPrivileges"] = true
        b.process["oomScoreAdj"] = 345
        let out = try inside(b, "ulimit -n; ulimit -Hn; ulimit -c; grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj")
        #expect(out == "555\n666\n0\nNoNewPrivs:\t1\n345\n", "\(out)")
        b.process["noNewPrivileges"] = false
        #expect(try inside(b, "grep NoNewPrivs /proc/self/status") == "NoNewPrivs:\t0\n")
    }

    @Test("the five capability sets")
    func capabilities() throws {
        let b = try RuntimeBundle()
        // CAP_CHOWN=0, CAP_KILL=5, CAP_NET_BIND_SERVICE=10, CAP_SYS_ADMIN=21
        b.process["user"] = ["uid": 1000, "gid": 1000]
        b.process["capabilities"] = [
            "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"],
            "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
            "effective": ["CAP_KILL"],
            "inheritable": ["CAP_NET_BIND_SERVICE"],
            "ambient": ["CAP_NET_BIND_SERVICE"],
        ]
        let out = try inside(b, "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status")
        // After execve as a non-root user: P' = ambient, E' = ambient, I kept, bounding kept.
        #expect(out == "CapInh:\t0000000000000400\nCapPrm:\t0000000000000400\nCapEff:\t0000000000000400\nCapBnd:\t0000000000200421\nCapAmb:\t0000000000000400\n", "\(out)")
        b.process["user"] = ["uid": 0, "gid": 0]
        let root = try inside(b, "grep -E '^Cap(Prm|Eff|Bnd)' /proc/self/status")
        // Root keeps P and E as configured (no file capabilities: execve gives root P = bounding ∩ (I|full)... masked by bounding).
        #expect(root.contains("CapBnd:\t0000000000200421"), "\(root)")
    }

    @Test("root.readonly makes / read-only; the mounts on top stay writable")
    func rootReadonly() throws {
        let b = try RuntimeBundle()
        b.config["root"] = ["path": "rootfs", "readonly": true]
        b.mounts = b.mounts + [["destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]]]
        let out = try inside(b, "touch /x 2>/dev/null && echo wrote-root; touch /tmp/y && echo wrote-tmp; grep ' / ' /proc/self/mounts | cut -d' ' -f4 | cut -d, -f1")
        #expect(out == "wrote-tmp\nro\n", "\(out)")
        #expect(!FileManager.default.fileExists(atPath: b.rootfs + "/x"))
    }

    @Test("mounts: bind, rbind, ro/nosuid/nodev/noexec, tmpfs data, proc, sysfs, devpts, mqueue, shm")
    func mounts() throws {
        let b = try RuntimeBundle()
        let host = b.tmp.file("hostdir")
        try FileManager.default.createDirectory(atPath: host + "/sub", withIntermediateDirectories: true)
        try "from host\n".write(toFile: host + "/file", atomically: true, encoding: .utf8)
        let single = b.tmp.file("single.txt")
        try "single\n".write(toFile: single, atomically: true, encoding: .utf8)
        b.mounts = b.mounts + [
            ["destination": "/data", "type": "bind", "source": host, "options": ["rbind", "ro", "nosuid", "nodev", "noexec"]],
            ["destination": "/etc/single.txt", "type": "bind", "source": single, "options": ["bind"]],
            ["destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["noexec", "size=1m", "mode=700"]],
        ]
        let out = try inside(b, """
            cat /data/file; touch /data/new 2>/dev/null || echo data-ro; cat /etc/single.txt
            grep -E ' /data | /scratch ' /proc/self/mounts | cut -d' ' -f2,3,4
            stat -c %a /scratch
            grep -E ' /proc | /sys | /dev/pts | /dev/mqueue | /dev/shm ' /proc/self/mounts | cut -d' ' -f2,3 | sort
            """)
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines[0] == "from host" && lines[1] == "data-ro" && lines[2] == "single", "\(out)")
        let data = lines.first { $0.hasPrefix("/data ") } ?? ""
        for opt in ["ro", "nosuid", "nodev", "noexec"] { #expect(data.split(separator: " ")[2].split(separator: ",").contains(Substring(opt)), "\(data)") }
        let scratch = lines.first { $0.hasPrefix("/scratch ") } ?? ""
        #expect(scratch.contains("tmpfs") && scratch.contains("noexec") && scratch.contains("size=1024k"), "\(scratch)")
        #expect(lines.contains("700"))
        for m in ["/dev/mqueue mqueue", "/dev/pts devpts", "/dev/shm tmpfs", "/proc proc", "/sys sysfs"] { #expect(lines.contains(m), "\(m) in \(out)") }
        #expect(!FileManager.default.fileExists(atPath: host + "/new"))
    }

    @Test("mount propagation options and rootfsPropagation")
    func propagation() throws {
        let b = try RuntimeBundle()
        b.linux["rootfsPropagation"] = "shared"
        b.mounts = b.mounts + [["destination": "/priv", "type": "tmpfs", "source": "tmpfs", "options": ["private"]],
                               ["destination": "/shared", "type": "tmpfs", "source": "tmpfs", "options": ["shared"]]]
        let out = try inside(b, "grep -E ' / | /priv | /shared ' /proc/self/mountinfo | cut -d' ' -f5,7")
        let lines = out.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("/ shared:") }, "\(out)")
        #expect(lines.contains { $0.hasPrefix("/shared shared:") }, "\(out)")
        #expect(lines.contains { $0.hasPrefix("/priv ") && !$0.contains("shared:") && !$0.contains("master:") }, "\(out)")
    }

    @Test("default devices, /dev symlinks and config devices")
    func devices() throws {
        let b = try RuntimeBundle()
        b.linux["devices"] = [["type": "c", "path": "/dev/mynull", "major": 1, "minor": 3, "fileMode": 0o640, "uid": 7, "gid": 8]]
        let out = try inside(b, """
            for d in null zero full random urandom tty mynull; do stat -c '%n %F %t:%T %a %u:%g' /dev/$d; done
            for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done
            head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo null-ok
            """)
        let expected = [
            "/dev/null character special file 1:3 666 0:0", "/dev/zero character special file 1:5 666 0:0",
            "/dev/full character special file 1:7 666 0:0", "/dev/random character special file 1:8 666 0:0",
            "/dev/urandom character special file 1:9 666 0:0", "/dev/tty character special file 5:0 666 0:0",
            "/dev/mynull character special file 1:3 640 7:8",
            "fd -> /proc/self/fd", "stdin -> /proc/self/fd/0", "stdout -> /proc/self/fd/1", "stderr -> /proc/self/fd/2",
            "ptmx -> pts/ptmx", "4", "null-ok",
        ]
        #expect(out.split(separator: "\n").map(String.init) == expected, "\(out)")
    }

    @Test("maskedPaths hide files and directories; readonlyPaths are read-only")
    func maskedAndReadonly() throws {
        let b = try RuntimeBundle()
        try FileManager.default.createDirectory(atPath: b.rootfs + "/opt/secretdir", withIntermediateDirectories: true)
        try "secret\n".write(toFile: b.rootfs + "/opt/secretdir/inner", atomically: true, encoding: .utf8)
        try "secret\n".write(toFile: b.rootfs + "/etc/secret", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: b.rootfs + "/opt/rodir", withIntermediateDirectories: true)
        b.config["root"] = ["path": "rootfs", "readonly": false]
        b.linux["maskedPaths"] = (b.linux["maskedPaths"] as! [String]) + ["/etc/secret", "/opt/secretdir", "/does/not/exist"]
        b.linux["readonlyPaths"] = (b.linux["readonlyPaths"] as! [String]) + ["/opt/rodir"]
        let out = try inside(b, """
            wc -c < /etc/secret; stat -c '%t:%T' /etc/secret; ls /opt/secretdir | wc -l
            echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null || echo sys-ro
            grep ' /proc/sys ' /proc/self/mounts | cut -d' ' -f4 | cut -d, -f1
            touch /opt/rodir/x 2>/dev/null || echo rodir-ro; touch /opt/other && echo rest-rw
            """)
        #expect(out == "0\n1:3\n0\nsys-ro\nro\nrodir-ro\nrest-rw\n", "\(out)")
    }

    @Test("namespaces: new ones differ from the host's; joining by path shares them")
    func namespaces() throws {
        let b = try RuntimeBundle()
        let hostNet = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        b.namespaces(["mount", "pid", "network", "ipc", "uts", "cgroup"])
        let out = try inside(b, "readlink /proc/self/ns/net; echo $$; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines[0] != hostNet && lines[1] == "1" && lines[2...] == ["lo"], "\(out)")

        // A created container holds namespaces another container joins by path.
        b.config["hostname"] = "holder"
        b.script("exec sleep 1000")
        try b.writeConfig()
        let holder = b.newID()
        #expect(try b.coveToFiles(["create", "-b", b.bundle, holder]).status == 0)
        let pid = try b.state(holder)["pid"] as! Int
        let holderNet = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
        b.config["hostname"] = nil
        b.linux["namespaces"] = [["type": "mount"], ["type": "pid"], ["type": "network", "path": "/proc/\(pid)/ns/net"],
                                 ["type": "uts", "path": "/proc/\(pid)/ns/uts"]]
        b.script("hostname; readlink /proc/self/ns/net")
        let r = try b.run()
        #expect(r.status == 0 && r.stdout == "holder\n\(holderNet)\n", "\(r)")
        b.linux["namespaces"] = [["type": "mount"], ["type": "network", "path": "/proc/\(pid)/ns/uts"]]
        try b.writeConfig()
        let wrong = try b.cove(["create", "-b", b.bundle, b.newID()])
        #expect(wrong.status == 1 && wrong.errorLine.contains("is a uts namespace, not network"), "\(wrong)")
        #expect(try b.cove(["delete", holder]).status == 0)
        b.assertClean()
    }

    @Test("a new cgroup namespace is rooted at the init's cgroup")
    func cgroupNamespace() throws {
        let b = try RuntimeBundle()
        b.namespaces(["mount", "pid", "uts", "cgroup"])
        let out = try inside(b, "cat /proc/self/cgroup")
        let paths = out.split(separator: "\n").map { $0.split(separator: ":", maxSplits: 2).last.map(String.init) ?? "" }
        #expect(!paths.isEmpty && paths.allSatisfy { $0 == "/" }, "\(out)")
    }

    @Test("user namespace with uid/gid mappings")
    func userNamespace() throws {
        let b = try RuntimeBundle()
        // The mapped root must reach the rootfs (as with runc): open up the private temp directory.
        chmod(b.tmp.path, 0o755)
        b.namespaces(["mount", "pid", "network", "ipc", "uts", "user"])
        b.linux["uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        b.linux["gidMappings"] = [["containerID": 0, "hostID": 200000, "size": 65536]]
        b.process["user"] = ["uid": 0, "gid": 0]
        let out = try inside(b, "id -u; cat /proc/self/uid_map /proc/self/gid_map | tr -s ' '; ls -l /dev/null | cut -c1")
        #expect(out == "0\n 0 100000 65536\n 0 200000 65536\nc\n", "\(out)")
        // Processes run as the mapped host user.
        b.script("exec sleep 1000")
        try b.writeConfig()
        let id = b.newID()
        #expect(try b.coveToFiles(["run", "-d", "-b", b.bundle, id]).status == 0)
        let pid = try b.state(id)["pid"] as! Int
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        #expect(status.contains("Uid:\t100000\t100000\t100000\t100000"), "\(status)")
        #expect(try b.cove(["delete", "-f", id]).status == 0)
        b.assertClean()
    }

    @Test("sysctl inside the container's namespaces")
    func sysctl() throws {
        let b = try RuntimeBundle()
        b.linux["sysctl"] = ["net.ipv4.ip_forward": "1", "kernel.msgmax": "12345"]
        #expect(try inside(b, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax") == "1\n12345\n")
        #expect(try String(contentsOfFile: "/proc/sys/kernel/msgmax", encoding: .utf8) != "12345\n")
    }

    @Test("pivot_root and --no-pivot both confine the container to its root")
    func pivotAndNoPivot() throws {
        let b = try RuntimeBundle()
        try "root-marker\n".write(toFile: b.rootfs + "/marker", atomically: true, encoding: .utf8)
        let script = "cat /marker; ls / | tr '\\n' ' '; echo; grep -c ' / ' /proc/self/mountinfo"
        let pivot = try inside(b, script)
        let noPivot = try inside(b, script, extra: ["--no-pivot"])
        for out in [pivot, noPivot] {
            let lines = out.split(separator: "\n")
            #expect(lines[0] == "root-marker", "\(out)")
            #expect(!lines[1].contains("work") && lines[1].contains("bin"), "\(out)")
        }
    }

    @Test("hooks run in order with the state on stdin, their args and env")
    func hooks() throws {
        let b = try RuntimeBundle()
        let log = b.tmp.file("hooks.log")
        func hook(_ name: String) -> [String: Any] {
            ["path": "/bin/sh", "args": ["sh", "-c", "read -r s; echo \"\(name) $HOOKVAR $1 $s\" >> \(log)", "sh", "arg-\(name)"],
             "env": ["HOOKVAR=env-\(name)"], "timeout": 5]
        }
        // startContainer runs inside the container: its path and log are the container's.
        try "#!/bin/sh\nread -r s\necho \"startContainer $HOOKVAR $s\" >> /started.log\n".write(toFile: b.rootfs + "/hook.sh", atomically: true, encoding: .utf8)
        chmod(b.rootfs + "/hook.sh", 0o755)
        b.config["hooks"] = [
            "prestart": [hook("prestart")], "createRuntime": [hook("createRuntime")], "createContainer": [hook("createContainer")],
            "startContainer": [["path": "/hook.sh", "env": ["HOOKVAR=in-container"]]],
            "poststart": [hook("poststart")], "poststop": [hook("poststop")],
        ]
        b.config["annotations"] = ["note": "yes"]
        b.config["root"] = ["path": "rootfs", "readonly": false]
        b.script("echo running")
        let r = try b.run()
        #expect(r.status == 0 && r.stdout == "running\n", "\(r)")
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.map { $0.split(separator: " ").prefix(3).joined(separator: " ") } == [
            "prestart env-prestart arg-prestart", "createRuntime env-createRuntime arg-createRuntime",
            "createContainer env-createContainer arg-createContainer", "poststart env-poststart arg-poststart",
            "poststop env-poststop arg-poststop",
        ], "\(lines)")
        for (line, status) in zip(lines, ["creating", "creating", "creating", "running", "stopped"]) {
            let json = String(line.split(separator: " ", maxSplits: 3)[3])
            let state = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
            #expect(state["status"] as? String == status, "\(line)")
            #expect(state["bundle"] as? String == b.bundle)
            #expect((state["annotations"] as? [String: String]) == ["note": "yes"])
            #expect((state["pid"] as? Int ?? 0) > 0)
            #expect(state["rootfs"] == nil, "hooks get the spec's state only")
        }
        let started = try String(contentsOfFile: b.rootfs + "/started.log", encoding: .utf8)
        #expect(started.hasPrefix("startContainer in-container {"), "\(started)")
    }

    @Test("the cgroup mount shows the cgroup hierarchies")
    func cgroupMount() throws {
        let b = try RuntimeBundle()
        b.mounts = b.mounts + [["destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]]]
        let out = try inside(b, "ls /sys/fs/cgroup | wc -l; grep -c cgroup /proc/self/mounts")
        let n = out.split(separator: "\n").compactMap { Int($0) }
        #expect(n.count == 2 && n[0] > 0 && n[1] > 0, "\(out)")
    }

    @Test("without a cgroup namespace the cgroup mount binds the container's own cgroup, read-only, as runc does")
    func cgroupMountBindsOwnCgroup() throws {
        guard !FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") else { return }  // v1 and hybrid hosts only
        let b = try RuntimeBundle()
        b.mountCgroups()
        b.resources(["memory": ["limit": 123_731_968], "pids": ["limit": 77]])
        let out = try inside(b, """
            cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max
            ls -d /sys/fs/cgroup/memory/cove-* 2>/dev/null || echo hidden
            grep -c ' /sys/fs/cgroup/memory .*ro,' /proc/self/mountinfo
            mkdir /sys/fs/cgroup/memory/sub 2>/dev/null && echo writable || echo read-only
            """)
        #expect(out == "123731968\n77\nhidden\n1\nread-only\n", "\(out)")
    }
}

@Suite("Runtime config scheduling", .serialized, .enabled(if: RuntimeBundle.available, "needs root and /bin/busybox"))
struct RuntimeSchedulingTests {
    @Test("process.scheduler, process.ioPriority and linux.personality take effect")
    func schedulingAndPersonality() throws {
        let b = try RuntimeBundle()
        b.process["scheduler"] = ["policy": "SCHED_BATCH", "nice": 7]
        b.process["ioPriority"] = ["class": "IOPRIO_CLASS_IDLE", "priority": 0]
        b.linux["personality"] = ["domain": "LINUX32"]
        b.script("grep -E '^policy' /proc/self/sched | tr -d ' \\t'; cut -d' ' -f19 /proc/self/stat; ionice -p $$; uname -m")
        let r = try b.run()
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "policy:3\n7\nidle\ni686\n", "\(r.stdout)")
        b.assertClean()
        b.process["scheduler"] = ["policy": "SCHED_OTHER", "nice": 40]
        try b.writeConfig()
        let bad = try b.cove(["create", "-b", b.bundle, b.newID()])
        #expect(bad.status == 1 && bad.errorLine.contains("process.scheduler.nice"), "\(bad)")
        b.assertClean()
    }
}

@Suite("Runtime config time namespace", .serialized, .enabled(if: RuntimeBundle.available, "needs root and /bin/busybox"))
struct RuntimeTimeNamespaceTests {
    @Test("linux.timeOffsets shift the clocks of a new time namespace")
    func timeOffsets() throws {
        let b = try RuntimeBundle()
        b.namespaces(["mount", "pid", "uts", "time"])
        b.linux["timeOffsets"] = ["boottime": ["secs": 10_000_000, "nanosecs": 0], "monotonic": ["secs": 20_000_000]]
        b.script("cut -d. -f1 /proc/uptime; cat /proc/self/timens_offsets | tr -s ' '")
        let r = try b.run()
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect((Int(lines.first ?? "") ?? 0) >= 10_000_000, "\(r.stdout)")
        #expect(lines.contains("monotonic 20000000 0") && lines.contains("boottime 10000000 0"), "\(r.stdout)")
        b.assertClean()
    }
}

@Suite("Runtime config idmapped mounts", .serialized, .enabled(if: RuntimeBundle.available, "needs root and /bin/busybox"))
struct RuntimeIDMappedMountTests {
    @Test("a bind mount with uidMappings/gidMappings shows file owners through the maps (as runc: containerID hostID size)")
    func idmappedBind() throws {
        let b = try RuntimeBundle()
        let host = b.tmp.file("owned")
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        for (name, uid) in [("mine", 1000), ("other", 5)] {
            FileManager.default.createFile(atPath: "\(host)/\(name)", contents: Data())
            chown("\(host)/\(name)", uid_t(uid), gid_t(uid))
        }
        b.mounts = b.mounts + [["destination": "/owned", "type": "bind", "source": host, "options": ["bind", "idmap"],
                                "uidMappings": [["containerID": 1000, "hostID": 0, "size": 1]],
                                "gidMappings": [["containerID": 1000, "hostID": 0, "size": 1]]]]
        b.script("stat -c '%n %u:%g' /owned/mine /owned/other")
        let r = try b.run()
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "/owned/mine 0:0\n/owned/other 65534:65534\n", "\(r.stdout)")
        let attrs = try FileManager.default.attributesOfItem(atPath: "\(host)/mine")
        #expect(attrs[.ownerAccountID] as? Int == 1000, "the host file keeps its owner")
        b.assertClean()
    }
}

@Suite("Runtime config net devices", .serialized, .enabled(if: RuntimeBundle.available, "needs root and /bin/busybox"))
struct RuntimeNetDeviceTests {
    @Test("linux.netDevices moves a host device into the container's network namespace under its new name")
    func netDevices() throws {
        let b = try RuntimeBundle()
        let host = UniqueName.make("cvh"), peer = UniqueName.make("cvp")
        #expect(try Shell.run(["ip", "link", "add", host, "type", "veth", "peer", "name", peer]).status == 0)
        defer { _ = try? Shell.run(["ip", "link", "del", peer]) }
        b.linux["netDevices"] = [host: ["name": "eth7"]]
        b.script("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ' '")
        let r = try b.run()
        #expect(r.status == 0 && r.stdout == "eth7 lo ", "\(r)")
        // The namespace is gone with the container, and the veth pair with it.
        try b.eventually("veth destroyed") { try Shell.run(["ip", "link", "show", peer]).status != 0 }
        b.namespaces(["mount", "pid", "uts"])
        try b.writeConfig()
        let bad = try b.cove(["create", "-b", b.bundle, b.newID()])
        #expect(bad.status == 1 && bad.errorLine.contains("linux.netDevices.\(host): needs a new network namespace"), "\(bad)")
        b.assertClean()
    }
}
