import Foundation
import Testing

@Suite("NetNS: named namespaces and the seed walkthrough", .enabled(if: NetHost.ready, NetHost.reason))
struct NetNSTests {
    /// The seed's network section with cove alone: two namespaces, lo up and ping inside, a veth pair with one
    /// end in each, addresses, ping both ways, delete, nothing left.
    @Test func seedWalkthrough() throws {
        let s = NetScratch()
        defer { s.finish() }
        let a = try s.addNamespace("wa"), b = try s.addNamespace("wb")
        let list = try coveOK(["netns", "list"]).stdout.split(separator: "\n").map { String($0.split(separator: " ")[0]) }
        #expect(list.contains(a) && list.contains(b))

        // A new namespace has lo, DOWN.
        let lo = try jsonArray(try coveOK(["link", "list", "-n", a, "--json"]).stdout)
        #expect(lo.count == 1)
        #expect(lo.first?["ifname"] as? String == "lo")
        #expect((lo.first?["flags"] as? [String])?.contains("UP") == false)

        try coveOK(["link", "set", "-n", a, "lo", "--up"])
        try coveOK(["link", "set", "-n", b, "lo", "--up"])
        #expect(try ping(from: a, "127.0.0.1").status == 0)
        #expect(try ping(from: b, "127.0.0.1").status == 0)

        let va = s.linkName("wva"), vb = s.linkName("wvb")
        try coveOK(["link", "add", va, "--type", "veth", "--peer", vb])
        #expect(NetHost.hasLink(va) && NetHost.hasLink(vb))
        try coveOK(["link", "set", va, "--netns", a])
        try coveOK(["link", "set", vb, "--netns", b])
        #expect(!NetHost.hasLink(va) && !NetHost.hasLink(vb))
        #expect(NetHost.hasLink(va, netns: a) && NetHost.hasLink(vb, netns: b))
        try coveOK(["addr", "add", "10.1.1.1/24", "--dev", va, "-n", a])
        try coveOK(["addr", "add", "10.1.1.2/24", "--dev", vb, "-n", b])
        try coveOK(["link", "set", "-n", a, va, "--up"])
        try coveOK(["link", "set", "-n", b, vb, "--up"])

        let pab = try ping(from: a, "10.1.1.2"), pba = try ping(from: b, "10.1.1.1")
        #expect(pab.status == 0, "\(pab)")
        #expect(pba.status == 0, "\(pba)")
        #expect(pab.stdout.contains("1 packets received"))

        try coveOK(["netns", "delete", a, b])
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(a)"))
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(b)"))
        let after = try coveOK(["netns", "list"]).stdout
        #expect(!after.contains(a) && !after.contains(b))
        #expect(!NetHost.hasLink(va) && !NetHost.hasLink(vb))
    }

    @Test func ipNetnsAddThenCove() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = s.nsName("ia")
        #expect(try Shell.run(["ip", "netns", "add", n]).status == 0)
        #expect(try coveOK(["netns", "list"]).stdout.contains(n))
        // exec sees the namespace's own devices, in /sys too (sysfs is remounted for it).
        let sys = try coveOK(["netns", "exec", n, "--", "/bin/busybox", "ls", "/sys/class/net"])
        #expect(sys.stdout.split(separator: "\n") == ["lo"])
        let devs = try coveOK(["netns", "exec", n, "--", "/bin/busybox", "cat", "/proc/net/dev"]).stdout
        #expect(devs.contains("lo:"))
        #expect(!devs.contains("eth0:"))
        try coveOK(["link", "add", "-n", n, "d0", "--type", "bridge"])
        #expect(NetHost.hasLink("d0", netns: n))
        try coveOK(["netns", "delete", n])
        #expect(!(try Shell.run(["ip", "netns", "list"]).stdout.contains(n)))
    }

    @Test func coveNetnsAddThenIp() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = try s.addNamespace("ci")
        #expect(try Shell.run(["ip", "netns", "list"]).stdout.contains(n))
        let links = try Shell.run(["ip", "-n", n, "link"])
        #expect(links.status == 0)
        #expect(links.stdout.contains("lo: <LOOPBACK>"))
        #expect(try Shell.run(["ip", "netns", "exec", n, "/bin/busybox", "true"]).status == 0)
        // A veth from the host into it gives the namespace an id; both tools print the same line for it.
        let h = s.linkName("cih")
        try coveOK(["link", "add", h, "--type", "veth", "--peer", "eth0", "--peer-netns", n])
        let mine = try coveOK(["netns", "list"]).stdout.split(separator: "\n").first { $0.hasPrefix(n + " ") || $0 == n }
        let theirs = try Shell.run(["ip", "netns", "list"]).stdout.split(separator: "\n").first { $0.hasPrefix(n + " ") || $0 == n }
        #expect(mine != nil && mine == theirs)
        #expect(mine?.contains("(id: ") == true)
        try coveOK(["link", "delete", h])
        let delete = try Shell.run(["ip", "netns", "delete", n])
        #expect(delete.status == 0, "\(delete)")
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(n)"))
    }

    @Test func identifyAndPids() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = try s.addNamespace("id")
        // A process in the namespace: cove netns exec becomes busybox sleep (no fork), so its PID is ours to end.
        let p = try Spawned([Cove.binary, "netns", "exec", n, "--", "/bin/busybox", "sleep", "30"])
        defer {
            kill(p.pid, SIGKILL)
            _ = p.wait()
            #expect((try? Cove.run(["netns", "pids", n]).stdout) == "")
        }
        var pids: [String] = []
        for _ in 0..<100 {
            pids = try coveOK(["netns", "pids", n]).stdout.split(separator: "\n").map(String.init)
            if pids.contains(String(p.pid)) { break }
            usleep(20_000)
        }
        #expect(pids.contains(String(p.pid)))
        let ident = try coveOK(["netns", "identify", String(p.pid)]).stdout
        #expect(ident.split(separator: "\n").map(String.init) == [n])
        #expect(try Shell.run(["ip", "netns", "identify", String(p.pid)]).stdout.contains(n))
        // cove itself is in the host namespace, which has no name.
        #expect(try coveOK(["netns", "identify"]).stdout.isEmpty)
    }

    @Test func execBindsEtcNetnsFiles() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = try s.addNamespace("et")
        let dir = "/etc/netns/\(n)"
        // /etc/netns itself goes again too if this test made it (rmdir: only while empty, so a
        // concurrent test's directory in it is safe).
        let madeParent = !FileManager.default.fileExists(atPath: "/etc/netns")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            #expect(!FileManager.default.fileExists(atPath: dir))
            if madeParent { rmdir("/etc/netns") }
        }
        try "nameserver 192.0.2.53\n".write(toFile: "\(dir)/resolv.conf", atomically: true, encoding: .utf8)
        let r = try coveOK(["netns", "exec", n, "--", "/bin/busybox", "cat", "/etc/resolv.conf"])
        #expect(r.stdout == "nameserver 192.0.2.53\n")
        // Nothing leaked onto the host's /etc.
        #expect((try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) != "nameserver 192.0.2.53\n")
    }

    @Test func execPassesTheExitStatusThrough() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = try s.addNamespace("ex")
        #expect(try Cove.run(["netns", "exec", n, "--", "/bin/busybox", "sh", "-c", "exit 7"]).status == 7)
        let listed = try jsonArray(try coveOK(["netns", "list", "--json"]).stdout)
        #expect(listed.contains { $0["name"] as? String == n })
    }

    /// Concurrent adds: distinct names all succeed; the same name succeeds exactly once; /run/netns is
    /// bind-mounted on itself at most once.
    @Test func concurrentAdds() throws {
        let s = NetScratch()
        defer { s.finish() }
        let names = (0..<6).map { _ in s.nsName("cc") }
        let same = s.nsName("cs")
        var procs: [(String, Spawned)] = []
        for n in names + Array(repeating: same, count: 4) {
            procs.append((n, try Spawned([Cove.binary, "netns", "add", n])))
        }
        var sameOK = 0
        for (n, p) in procs {
            let status = p.wait()
            let text = String(decoding: p.stderr.readDataToEndOfFile(), as: UTF8.self)
            if n == same {
                if status == 0 { sameOK += 1 } else { #expect(text.contains("already exists"), "\(text)") }
            } else {
                #expect(status == 0, "\(n): \(text)")
            }
        }
        #expect(sameOK == 1)
        for n in names + [same] {
            #expect(try Shell.run(["ip", "netns", "exec", n, "/bin/busybox", "true"]).status == 0)
        }
        #expect(Leftovers.mounts(under: "/run/netns").filter { $0 == "/run/netns" }.count <= 1)
        try coveOK(["netns", "delete"] + names + [same])
    }
}
