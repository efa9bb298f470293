import Foundation
import Testing

@Suite("NetLink: devices, bridges, JSON", .enabled(if: NetHost.ready, NetHost.reason))
struct NetLinkTests {
    /// A bridge in one namespace joining three namespaces, each connected to it by a veth pair.
    @Test func bridgeJoinsThreeNamespaces() throws {
        let s = NetScratch()
        defer { s.finish() }
        let hub = try s.addNamespace("hb")
        try coveOK(["link", "add", "-n", hub, "br0", "--type", "bridge"])
        var members: [String] = []
        for i in 1...3 {
            let ns = try s.addNamespace("hm")
            members.append(ns)
            // The peer is created straight inside the member namespace, so nothing ever appears on the host.
            try coveOK(["link", "add", "-n", hub, "port\(i)", "--type", "veth", "--peer", "eth0", "--peer-netns", ns])
            try coveOK(["link", "set", "-n", hub, "port\(i)", "--master", "br0", "--up"])
            try coveOK(["addr", "add", "10.2.0.\(i)/24", "--dev", "eth0", "-n", ns])
            try coveOK(["link", "set", "-n", ns, "eth0", "--up"])
        }
        try coveOK(["link", "set", "-n", hub, "br0", "--up"])
        let ports = try jsonArray(try coveOK(["link", "list", "-n", hub, "--json"]).stdout)
            .filter { $0["master"] as? String == "br0" }.compactMap { $0["ifname"] as? String }
        #expect(ports.sorted() == ["port1", "port2", "port3"])
        let text = try coveOK(["link", "show", "-n", hub, "port1"]).stdout
        #expect(text.contains("master br0"))

        for (from, to) in [(0, 2), (1, 3), (2, 1)] {
            let r = try ping(from: members[from], "10.2.0.\(to)")
            #expect(r.status == 0, "ping \(from + 1) -> \(to): \(r)")
        }
        // --nomaster takes a port off the bridge.
        try coveOK(["link", "set", "-n", hub, "port3", "--nomaster"])
        #expect(!(try coveOK(["link", "show", "-n", hub, "port3"]).stdout.contains("master")))
        try coveOK(["netns", "delete", hub] + members)
    }

    /// `cove link list --json` and `ip -j link` agree on names, indexes and MTUs.
    @Test func jsonAgreesWithIproute2() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = try s.addNamespace("js")
        try coveOK(["link", "add", "-n", n, "ja", "--type", "veth", "--peer", "jb"])
        try coveOK(["link", "add", "-n", n, "jbr", "--type", "bridge"])
        try coveOK(["link", "add", "-n", n, "jd", "--type", "bridge"])
        try coveOK(["link", "set", "-n", n, "ja", "--mtu", "1400", "--master", "jbr"])
        let mine = try jsonArray(try coveOK(["link", "list", "-n", n, "--json"]).stdout)
        let theirs = try jsonArray(try Shell.run(["ip", "-n", n, "-j", "link"]).stdout)
        func key(_ a: [[String: Any]]) -> [String] {
            a.map { "\($0["ifindex"] as? Int ?? -1) \($0["ifname"] as? String ?? "?") \($0["mtu"] as? Int ?? -1) \($0["master"] as? String ?? "-") \($0["address"] as? String ?? "-")" }
        }
        #expect(key(mine) == key(theirs))
        #expect(mine.count == 5)
        // Same on the host, where the devices are not ours: only read them.
        let hostMine = try jsonArray(try coveOK(["link", "list", "--json"]).stdout)
        let hostTheirs = try jsonArray(try Shell.run(["ip", "-j", "link"]).stdout)
        // Other tests add and remove devices concurrently: compare the ones both saw.
        let theirsByIndex = Dictionary(hostTheirs.map { ($0["ifindex"] as? Int ?? -1, $0) }, uniquingKeysWith: { a, _ in a })
        for l in hostMine {
            guard let i = l["ifindex"] as? Int, let t = theirsByIndex[i], t["ifname"] as? String == l["ifname"] as? String else { continue }
            #expect(t["mtu"] as? Int == l["mtu"] as? Int)
        }
        #expect(hostMine.contains { $0["ifname"] as? String == "lo" && $0["ifindex"] as? Int == 1 })
    }

    @Test func setRenamesChangesMacMtuAndState() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = try s.addNamespace("st")
        try coveOK(["link", "add", "-n", n, "d1", "--type", "bridge"])
        try coveOK(["link", "set", "-n", n, "d1", "--name", "d2", "--address", "02:11:22:33:44:55", "--mtu", "1280", "--up"])
        let ip = try jsonArray(try Shell.run(["ip", "-n", n, "-j", "link", "show", "d2"]).stdout)
        #expect(ip.first?["address"] as? String == "02:11:22:33:44:55")
        #expect(ip.first?["mtu"] as? Int == 1280)
        #expect((ip.first?["flags"] as? [String])?.contains("UP") == true)
        try coveOK(["link", "set", "-n", n, "d2", "--down"])
        let down = try jsonArray(try coveOK(["link", "show", "-n", n, "d2", "--json"]).stdout)
        #expect((down.first?["flags"] as? [String])?.contains("UP") == false)
        try coveOK(["link", "delete", "-n", n, "d2"])
        #expect(!NetHost.hasLink("d2", netns: n))
    }

    @Test func macvlanOnABridgeParent() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = try s.addNamespace("mv")
        try coveOK(["link", "add", "-n", n, "par", "--type", "bridge"])
        try coveOK(["link", "add", "-n", n, "mv0", "--type", "macvlan", "--link", "par", "--mode", "bridge"])
        let links = try jsonArray(try Shell.run(["ip", "-n", n, "-d", "-j", "link"]).stdout)
        let mv = links.first { $0["ifname"] as? String == "mv0" }
        #expect((mv?["linkinfo"] as? [String: Any])?["info_kind"] as? String == "macvlan")
        #expect(((mv?["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any])?["mode"] as? String == "bridge")
        let text = try coveOK(["link", "list", "-n", n]).stdout
        #expect(text.contains("mv0@par"))
        #expect(text.contains("kind macvlan"))
        try fails(["link", "add", "-n", n, "mv1", "--type", "macvlan", "--link", "par", "--mode", "sideways"], "unknown macvlan mode")
    }

    /// vlan and dummy need their kernel drivers (some minimal kernels build neither).
    @Test(.enabled(if: NetHost.supports("vlan"), "kernel has no 8021q (vlan) driver"))
    func vlanOnAVethParent() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = try s.addNamespace("vl")
        try coveOK(["link", "add", "-n", n, "par", "--type", "veth", "--peer", "par1"])
        try coveOK(["link", "add", "-n", n, "par.7", "--type", "vlan", "--link", "par", "--id", "7"])
        let links = try jsonArray(try Shell.run(["ip", "-n", n, "-d", "-j", "link"]).stdout)
        let vl = links.first { $0["ifname"] as? String == "par.7" }
        #expect(((vl?["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any])?["id"] as? Int == 7)
    }

    @Test(.enabled(if: NetHost.supports("dummy"), "kernel has no dummy driver"))
    func dummyDevice() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = try s.addNamespace("dm")
        try coveOK(["link", "add", "-n", n, "dm0", "--type", "dummy"])
        let links = try jsonArray(try Shell.run(["ip", "-n", n, "-d", "-j", "link"]).stdout)
        #expect(links.contains { $0["ifname"] as? String == "dm0" && ($0["linkinfo"] as? [String: Any])?["info_kind"] as? String == "dummy" })
    }

    /// Where the kernel lacks a driver, the kernel's own words reach the user.
    @Test func unavailableDriverIsExplained() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = try s.addNamespace("ud")
        for kind in ["dummy", "vlan"] where !NetHost.supports(kind) {
            var args = ["link", "add", "-n", n, "x0", "--type", kind]
            if kind == "vlan" { args += ["--link", "lo", "--id", "3"] }
            try fails(args, "kernel: Unknown device type")
        }
    }

    func fails(_ args: [String], _ needle: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try Cove.run(args)
        #expect(r.isOneLineError, "cove \(args.joined(separator: " ")): \(r)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(needle), "expected \"\(needle)\" in: \(r.stderr)", sourceLocation: sourceLocation)
    }

    @Test func moveIntoAPidsNamespace() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = try s.addNamespace("pd")
        let p = try Spawned([Cove.binary, "netns", "exec", n, "--", "/bin/busybox", "sleep", "30"])
        defer {
            kill(p.pid, SIGKILL)
            _ = p.wait()
        }
        var inNS = false
        for _ in 0..<100 {
            inNS = (try? Cove.run(["netns", "pids", n]).stdout.contains(String(p.pid))) ?? false
            if inNS { break }
            usleep(20_000)
        }
        #expect(inNS)
        let h = s.linkName("pdh"), hp = s.linkName("pdp")
        try coveOK(["link", "add", h, "--type", "veth", "--peer", hp])
        try coveOK(["link", "set", h, "--netns", String(p.pid)])
        #expect(NetHost.hasLink(h, netns: n))
        #expect(!NetHost.hasLink(h))
        #expect(NetHost.hasLink(hp))
        // A bridge is pinned to its namespace: the kernel's reason is passed on.
        let br = s.linkName("pdb")
        try coveOK(["link", "add", br, "--type", "bridge"])
        let r = try Cove.run(["link", "set", br, "--netns", n])
        #expect(r.isOneLineError && r.stderr.contains("kernel: The interface netns is immutable"), "\(r)")
        try coveOK(["link", "delete", br])
    }
}
