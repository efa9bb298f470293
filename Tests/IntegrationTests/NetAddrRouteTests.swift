import Foundation
import Testing

@Suite("NetRoute and NetAddr: gateways, IPv6", .enabled(if: NetHost.ready, NetHost.reason))
struct NetAddrRouteTests {
    /// Two namespaces in different subnets reach each other through a third that forwards.
    @Test func routesWithAGateway() throws {
        let s = NetScratch()
        defer { s.finish() }
        let left = try s.addNamespace("rl"), router = try s.addNamespace("rr"), right = try s.addNamespace("rt")
        try coveOK(["link", "add", "-n", router, "r0", "--type", "veth", "--peer", "eth0", "--peer-netns", left])
        try coveOK(["link", "add", "-n", router, "r1", "--type", "veth", "--peer", "eth0", "--peer-netns", right])
        try coveOK(["addr", "add", "10.3.1.1/24", "--dev", "r0", "-n", router])
        try coveOK(["addr", "add", "10.3.2.1/24", "--dev", "r1", "-n", router])
        try coveOK(["addr", "add", "10.3.1.2/24", "--dev", "eth0", "-n", left])
        try coveOK(["addr", "add", "10.3.2.2/24", "--dev", "eth0", "-n", right])
        for (ns, dev) in [(router, "r0"), (router, "r1"), (left, "eth0"), (right, "eth0")] {
            try coveOK(["link", "set", "-n", ns, dev, "--up"])
        }
        try coveOK(["netns", "exec", router, "--", "/bin/busybox", "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"])
        // Unreachable before the routes exist.
        #expect(try ping(from: left, "10.3.2.2").status != 0)
        try coveOK(["route", "add", "default", "--via", "10.3.1.1", "-n", left])
        try coveOK(["route", "add", "10.3.1.0/24", "--via", "10.3.2.1", "--dev", "eth0", "--metric", "20", "-n", right])
        let r = try ping(from: left, "10.3.2.2")
        #expect(r.status == 0, "\(r)")

        let routes = try jsonArray(try coveOK(["route", "list", "-n", right, "--json"]).stdout)
        let mine = routes.first { $0["dst"] as? String == "10.3.1.0/24" }
        #expect(mine?["gateway"] as? String == "10.3.2.1")
        #expect(mine?["metric"] as? Int == 20)
        #expect(mine?["dev"] as? String == "eth0")
        let ipView = try jsonArray(try Shell.run(["ip", "-n", left, "-j", "route"]).stdout)
        #expect(ipView.contains { $0["dst"] as? String == "default" && $0["gateway"] as? String == "10.3.1.1" })
        #expect(try coveOK(["route", "list", "-n", left]).stdout.contains("default via 10.3.1.1 dev eth0"))

        try coveOK(["route", "delete", "default", "--via", "10.3.1.1", "-n", left])
        #expect(!(try coveOK(["route", "list", "-n", left]).stdout.contains("default")))
        #expect(try ping(from: left, "10.3.2.2").status != 0)
    }

    @Test func ipv6AddressesAndRoutes() throws {
        let s = NetScratch()
        defer { s.finish() }
        let a = try s.addNamespace("6a"), b = try s.addNamespace("6b")
        try coveOK(["link", "add", "-n", a, "v6a", "--type", "veth", "--peer", "v6b", "--peer-netns", b])
        try coveOK(["addr", "add", "fd00:1::1/64", "--dev", "v6a", "-n", a, "--nodad"])
        try coveOK(["addr", "add", "fd00:1::2/64", "--dev", "v6b", "-n", b, "--nodad"])
        try coveOK(["link", "set", "-n", a, "v6a", "--up"])
        try coveOK(["link", "set", "-n", b, "v6b", "--up"])
        let addrs = try jsonArray(try coveOK(["addr", "list", "-n", a, "--dev", "v6a", "--json"]).stdout)
        #expect(addrs.contains { $0["local"] as? String == "fd00:1::1" && $0["prefixlen"] as? Int == 64 && $0["family"] as? String == "inet6" })
        let ipAddrs = try Shell.run(["ip", "-n", a, "-6", "addr", "show", "dev", "v6a"]).stdout
        #expect(ipAddrs.contains("inet6 fd00:1::1/64 scope global"))
        let r = try ping(from: a, "fd00:1::2", v6: true)
        #expect(r.status == 0, "\(r)")

        // An IPv6 route with a gateway, then gone again.
        try coveOK(["route", "add", "fd00:9::/64", "--via", "fd00:1::2", "-n", a])
        let routes = try jsonArray(try coveOK(["route", "list", "-n", a, "--json"]).stdout)
        #expect(routes.contains { $0["dst"] as? String == "fd00:9::/64" && $0["gateway"] as? String == "fd00:1::2" })
        #expect(try Shell.run(["ip", "-n", a, "-6", "route"]).stdout.contains("fd00:9::/64 via fd00:1::2 dev v6a"))
        try coveOK(["route", "delete", "fd00:9::/64", "--via", "fd00:1::2", "-n", a])
        #expect(!(try Shell.run(["ip", "-n", a, "-6", "route"]).stdout.contains("fd00:9::")))

        try coveOK(["addr", "delete", "fd00:1::1/64", "--dev", "v6a", "-n", a])
        #expect(!(try coveOK(["addr", "list", "-n", a]).stdout.contains("fd00:1::1")))
    }

    @Test func ipv4AddressListAndDelete() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = try s.addNamespace("ad")
        try coveOK(["link", "add", "-n", n, "d0", "--type", "bridge"])
        try coveOK(["addr", "add", "192.0.2.10/24", "--dev", "d0", "-n", n])
        try coveOK(["addr", "add", "198.51.100.1/32", "--dev", "d0", "-n", n])
        let text = try coveOK(["addr", "list", "-n", n, "--dev", "d0"]).stdout
        #expect(text.contains("inet 192.0.2.10/24 scope global"))
        #expect(text.contains("inet 198.51.100.1/32"))
        let theirs = try Shell.run(["ip", "-n", n, "-4", "-o", "addr"]).stdout
        #expect(theirs.contains("192.0.2.10/24") && theirs.contains("198.51.100.1/32"))
        try coveOK(["addr", "delete", "192.0.2.10/24", "--dev", "d0", "-n", n])
        #expect(!(try Shell.run(["ip", "-n", n, "-4", "-o", "addr"]).stdout.contains("192.0.2.10")))
    }
}
