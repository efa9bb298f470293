import Foundation
import Testing

@Suite("Runtime security", .serialized, .enabled(if: RuntimeBundle.available, "needs root and /bin/busybox"))
struct RuntimeSecurityTests {
    @Test("CVE-2019-5736: runtime processes run from a read-only copy (mount or sealed memfd), never a writable host binary")
    func sealedExecutable() throws {
        let b = try RuntimeBundle()
        b.script("exec sleep 1000")
        try b.writeConfig()
        let before = try FileManager.default.attributesOfItem(atPath: Cove.binary)
        let id = b.newID()
        #expect(try b.coveToFiles(["create", "-b", b.bundle, id]).status == 0)
        let pid = try b.state(id)["pid"] as! Int
        // The waiting init is the process a container could reach through /proc/PID/exe.
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
        var fs = statvfs()
        let readOnlyMount = statvfs("/proc/\(pid)/exe", &fs) == 0 && (fs.f_flag & UInt(ST_RDONLY)) != 0
        #expect(exe.hasPrefix("/memfd:cove") || readOnlyMount, "\(exe) is neither a memfd nor on a read-only mount")
        // Writing through the path the host sees fails too (the binary is busy), and nothing is mounted on it.
        #expect(Leftovers.mounts(under: Cove.binary).isEmpty)
        let fd = open("/proc/\(pid)/exe", O_WRONLY)
        #expect(fd < 0, "the init's executable must not be writable")
        if fd >= 0 { close(fd) }
        #expect(open("/proc/\(pid)/exe", O_RDWR | O_TRUNC) < 0)
        #expect(try b.cove(["delete", id]).status == 0)
        let after = try FileManager.default.attributesOfItem(atPath: Cove.binary)
        #expect(before[.modificationDate] as? Date == after[.modificationDate] as? Date)
        b.assertClean()
    }

    #if arch(x86_64)
    /// Sources/CoveEntry: the re-exec happens at the ELF entry point, before glibc and Swift start, for
    /// every spelling of runc's global options. SealedExecutable's own re-exec (the fallback) marks its
    /// environment with _COVE_SEALED_EXE, which stays visible in /proc/PID/environ of the init it forks;
    /// the entry point passes the environment on untouched.
    @Test("CVE-2019-5736: create re-executes from the read-only copy at the entry point, whatever the global options")
    func sealedAtEntryPoint() throws {
        let b = try RuntimeBundle()
        b.script("exec sleep 1000")
        try b.writeConfig()
        let log = b.tmp.file("cove.log")
        let spellings: [[String]] = [
            ["--root", b.stateRoot],
            ["--root=\(b.stateRoot)", "--debug"],
            ["--log", log, "--log-format", "json", "--root", b.stateRoot],
            ["--log-format=text", "--root", b.stateRoot],
        ]
        for globals in spellings {
            let id = b.newID()
            let r = try Shell.run(["/bin/sh", "-c", "exec \"$0\" \"$@\" >/dev/null 2>&1 </dev/null", Cove.binary]
                                  + globals + ["create", "--bundle", b.bundle, id])
            #expect(r.status == 0, "\(globals): \(r)")
            guard r.status == 0 else { continue }
            let pid = try b.state(id)["pid"] as! Int
            let environ = try String(decoding: Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ")), as: UTF8.self)
            let reexecutedBySwift = environ.contains("_COVE_SEALED_EXE=")
            #expect(!reexecutedBySwift, "\(globals): the re-exec was left to SealedExecutable")
            var fs = statvfs()
            #expect(statvfs("/proc/\(pid)/exe", &fs) == 0 && (fs.f_flag & UInt(ST_RDONLY)) != 0, "\(globals)")
            #expect(try b.cove(["delete", "-f", id]).status == 0)
        }
        b.assertClean()
    }
    #endif

    @Test("CVE-2024-21626: no runtime or caller descriptor reaches the container except --preserve-fds")
    func noDescriptorLeaks() throws {
        let b = try RuntimeBundle()
        b.script("exec sleep 1000")
        try b.writeConfig()
        // The caller leaks 3, 4 and 7 to cove; the container's process is inspected from the host.
        let leak = "exec 3</etc/hostname 4</etc/passwd 7</etc/passwd; "
        func fds(_ id: String) throws -> [String: String] {
            let pid = try b.state(id)["pid"] as! Int
            var out: [String: String] = [:]
            for n in try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") {
                out[n] = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(n)")
            }
            return out
        }
        let plain = b.newID()
        #expect(try b.coveToFiles(["run", "-d", "-b", b.bundle, plain], prefix: leak).status == 0)
        let p = try fds(plain)
        #expect(Set(p.keys) == ["0", "1", "2"], "\(p)")
        let kept = b.newID()
        #expect(try b.coveToFiles(["run", "-d", "--preserve-fds", "2", "-b", b.bundle, kept], prefix: leak).status == 0)
        let k = try fds(kept)
        #expect(Set(k.keys) == ["0", "1", "2", "3", "4"], "\(k)")
        #expect(k["3"] == "/etc/hostname" && k["4"] == "/etc/passwd", "\(k)")
        // While created, the waiting init holds only its sync descriptors: nothing of the caller's.
        let created = b.newID()
        #expect(try b.coveToFiles(["create", "-b", b.bundle, created], prefix: leak).status == 0)
        let c = try fds(created)
        #expect(!c.values.contains("/etc/passwd") && !c.values.contains("/etc/hostname"), "\(c)")
        for id in [plain, kept, created] { #expect(try b.cove(["delete", "-f", id]).status == 0) }
        b.assertClean()
    }

    @Test("CVE-2024-21626: a cwd through a runtime descriptor is refused, never entered")
    func cwdOutsideRoot() throws {
        let b = try RuntimeBundle()
        b.script("pwd")
        for n in 3...12 {
            b.process["cwd"] = "/proc/self/fd/\(n)"
            let r = try b.run()
            if r.status == 0 {
                #expect(!r.stdout.contains("unreachable") && r.stdout.hasPrefix("/"), "fd \(n): \(r)")
            } else {
                #expect(r.errorLine.contains("process.cwd"), "fd \(n): \(r)")
            }
        }
        b.assertClean()
    }

    @Test("CVE-2021-30465: mount targets are resolved inside the root, never through a symlink out of it")
    func mountTargetsStayInRoot() throws {
        let b = try RuntimeBundle()
        let hostDir = b.tmp.file("hostside")
        try FileManager.default.createDirectory(atPath: hostDir, withIntermediateDirectories: true)
        let source = b.tmp.file("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try "mounted\n".write(toFile: source + "/marker", atomically: true, encoding: .utf8)
        // An absolute symlink naming the host directory, and a relative one climbing out.
        try FileManager.default.createSymbolicLink(atPath: b.rootfs + "/evil", withDestinationPath: hostDir)
        try FileManager.default.createSymbolicLink(atPath: b.rootfs + "/climb", withDestinationPath: "../../../../../../../../\(hostDir)")
        try FileManager.default.createDirectory(atPath: b.rootfs + hostDir, withIntermediateDirectories: true)
        b.config["root"] = ["path": "rootfs", "readonly": false]
        b.mounts = b.mounts + [["destination": "/evil", "type": "bind", "source": source, "options": ["bind"]],
                               ["destination": "/climb/sub", "type": "tmpfs", "source": "tmpfs"]]
        b.script("cat /evil/marker \(hostDir)/marker; grep -c ' \(hostDir)/sub ' /proc/self/mountinfo")
        let r = try b.run()
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "mounted\nmounted\n1\n", "\(r)")
        #expect((try FileManager.default.contentsOfDirectory(atPath: hostDir)).isEmpty, "nothing may appear on the host side")
        // A symlink out of the root to something that exists only on the host fails cleanly.
        let outside = b.tmp.file("only-on-host")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: b.rootfs + "/dangling", withDestinationPath: outside)
        b.mounts = b.mounts.dropLast(2) + [["destination": "/dangling", "type": "tmpfs", "source": "tmpfs"]]
        try b.writeConfig()
        let bad = try b.cove(["create", "-b", b.bundle, b.newID()])
        #expect(bad.status == 1 && bad.errorLine.contains("mounts[") && bad.errorLine.contains("symlink"), "\(bad)")
        #expect((try FileManager.default.contentsOfDirectory(atPath: outside)).isEmpty)
        b.assertClean()
    }

    @Test("CVE-2025-31133: masking refuses a /dev/null that is not the null device")
    func maskingChecksDevNull() throws {
        let b = try RuntimeBundle()
        let fakeDev = b.tmp.file("fakedev")
        try FileManager.default.createDirectory(atPath: fakeDev, withIntermediateDirectories: true)
        try "not null\n".write(toFile: fakeDev + "/null", atomically: true, encoding: .utf8)
        b.mounts = b.mounts.filter { ($0["destination"] as? String)?.hasPrefix("/dev") != true }
            + [["destination": "/dev", "type": "bind", "source": fakeDev, "options": ["rbind"]]]
        try "secret\n".write(toFile: b.rootfs + "/etc/secret", atomically: true, encoding: .utf8)
        b.linux["maskedPaths"] = ["/etc/secret"]
        b.script("cat /etc/secret")
        try b.writeConfig()
        let r = try b.cove(["create", "-b", b.bundle, b.newID()])
        #expect(r.status == 1 && r.errorLine.contains("linux.maskedPaths[0] (/etc/secret): /dev/null in the container is not the null device"), "\(r)")
        b.assertClean()
    }
}
