import Foundation
import Testing

@Suite("NetNS bad input: one clear line, nothing half-made", .enabled(if: NetHost.ready, NetHost.reason))
struct NetBadInputTests {
    func fails(_ args: [String], _ needle: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try Cove.run(args)
        #expect(r.isOneLineError, "cove \(args.joined(separator: " ")): \(r)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(needle), "expected \"\(needle)\" in: \(r.stderr)", sourceLocation: sourceLocation)
    }

    @Test func netnsNames() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = try s.addNamespace("bn")
        try fails(["netns", "add", n], "already exists")
        // The existing namespace is untouched: still a live netns.
        #expect(try Shell.run(["ip", "netns", "exec", n, "/bin/busybox", "true"]).status == 0)
        for bad in ["a/b", "..", ".", "../etc"] {
            try fails(["netns", "add", bad], "invalid network namespace name")
        }
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/a"))
        let missing = s.nsName("bm")
        try fails(["netns", "delete", missing], "network namespace \"\(missing)\" not found")
        try fails(["netns", "exec", missing, "--", "/bin/busybox", "true"], "not found")
        try fails(["netns", "pids", missing], "not found")
        try fails(["link", "list", "-n", missing], "network namespace \"\(missing)\" not found")
        // A bad name among good ones deletes none of them.
        try fails(["netns", "delete", n, missing], "not found")
        #expect(FileManager.default.fileExists(atPath: "/run/netns/\(n)"))
        try fails(["netns", "exec", n, "--", "/nonexistent/prog"], "No such file or directory")
    }

    @Test func netnsAddFailureLeavesNoFile() throws {
        let s = NetScratch()
        defer { s.finish() }
        // A plain file squatting on the name: add must refuse and leave it as it was.
        let n = s.nsName("sq")
        try FileManager.default.createDirectory(atPath: "/run/netns", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: "/run/netns/\(n)", contents: nil)
        try fails(["netns", "add", n], "already exists")
        // And using it as a namespace is refused with a reason.
        try fails(["link", "list", "-n", n], "not a namespace file")
        try FileManager.default.removeItem(atPath: "/run/netns/\(n)")
    }

    @Test func devices() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = try s.addNamespace("bd")
        try fails(["link", "set", "-n", n, "nosuchdev", "--up"], "device \"nosuchdev\" not found in network namespace \"\(n)\"")
        try fails(["link", "delete", "-n", n, "nosuchdev"], "not found")
        try fails(["link", "show", "-n", n, "nosuchdev"], "not found")
        try fails(["addr", "add", "10.9.9.9/24", "--dev", "nosuchdev", "-n", n], "not found")
        try fails(["link", "add", "-n", n, "abcdefghijklmnop", "--type", "bridge"], "longer than 15 bytes")
        try fails(["link", "add", "-n", n, "ok0", "--type", "veth", "--peer", "abcdefghijklmnop"], "longer than 15 bytes")
        try fails(["link", "add", "-n", n, "ok0", "--type", "wireguardx"], "unsupported type")
        try fails(["link", "add", "-n", n, "ok0", "--type", "veth"], "needs --peer")
        try fails(["link", "add", "-n", n, "ok0", "--type", "vlan", "--link", "lo", "--id", "5000"], "between 1 and 4094")
        #expect(try Shell.run(["ip", "-n", n, "-o", "link"]).stdout.split(separator: "\n").count == 1)

        try coveOK(["link", "add", "-n", n, "d0", "--type", "bridge"])
        try fails(["link", "add", "-n", n, "d0", "--type", "bridge"], "device \"d0\" already exists in network namespace \"\(n)\"")
        try fails(["link", "add", "-n", n, "v0", "--type", "veth", "--peer", "d0"], "device \"d0\" already exists")
        try fails(["link", "add", "-n", n, "d0", "--type", "veth", "--peer", "v9"], "device \"d0\" already exists")
        #expect(!NetHost.hasLink("v0", netns: n) && !NetHost.hasLink("v9", netns: n))
        try coveOK(["link", "add", "-n", n, "v0", "--type", "veth", "--peer", "v1"])
        try fails(["link", "set", "-n", n, "v0", "--master", "v1"], "\"v1\" cannot be a master: it is a veth device")
        try fails(["link", "set", "-n", n, "d0", "--address", "02:00:00:00:00"], "invalid MAC address")
        try fails(["link", "set", "-n", n, "d0", "--address", "zz:00:00:00:00:01"], "invalid MAC address")
        try fails(["link", "set", "-n", n, "d0", "--name", "a/b"], "invalid device name")
        try fails(["link", "set", "-n", n, "d0", "--master", "nosuchbr"], "not found")
    }

    /// A veth whose peer cannot be made leaves neither end behind.
    @Test func vethPeerCollisionLeavesNeitherEnd() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = try s.addNamespace("vc")
        try coveOK(["link", "add", "-n", n, "taken", "--type", "bridge"])
        let host = s.linkName("vch")
        try fails(["link", "add", host, "--type", "veth", "--peer", "taken", "--peer-netns", n], "device \"taken\" already exists in the peer's namespace")
        #expect(!NetHost.hasLink(host))
        #expect(try Shell.run(["ip", "-n", n, "-o", "link"]).stdout.split(separator: "\n").count == 2)
        try fails(["link", "add", host, "--type", "veth", "--peer", "p", "--peer-netns", s.nsName("nx")], "not found")
        #expect(!NetHost.hasLink(host))
    }

    @Test func addresses() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = try s.addNamespace("ba")
        try coveOK(["link", "add", "-n", n, "d0", "--type", "bridge"])
        for bad in ["10.1.1.1/33", "10.1.1/24", "300.0.0.1/8", "fd00::1/200", "nonsense"] {
            try fails(["addr", "add", bad, "--dev", "d0", "-n", n], "invalid")
        }
        try coveOK(["addr", "add", "10.4.4.4/24", "--dev", "d0", "-n", n])
        try fails(["addr", "add", "10.4.4.4/24", "--dev", "d0", "-n", n], "already assigned")
        try fails(["addr", "delete", "10.4.4.5/24", "--dev", "d0", "-n", n], "addr delete 10.4.4.5/24 dev d0")
        #expect(try Shell.run(["ip", "-n", n, "-4", "-o", "addr", "show", "dev", "d0"]).stdout.split(separator: "\n").count == 1)
    }

    /// The kernel's extended-ack text reaches the user.
    @Test func routesShowKernelExtAck() throws {
        let s = NetScratch()
        defer { s.finish() }
        let n = try s.addNamespace("br")
        try coveOK(["link", "add", "-n", n, "d0", "--type", "bridge"])
        try coveOK(["link", "set", "-n", n, "d0", "--up"])
        try coveOK(["addr", "add", "10.5.5.1/24", "--dev", "d0", "-n", n])
        // Host bits set past the prefix length: the kernel explains in its ext-ack message.
        try fails(["route", "add", "10.6.0.1/16", "--dev", "d0", "-n", n], "kernel: Invalid prefix for given prefix length")
        try fails(["route", "add", "10.7.0.0/16", "-n", n], "needs --via GATEWAY or --dev DEVICE")
        try fails(["route", "add", "10.7.0.0/16", "--via", "fd00::1", "-n", n], "not in the destination's address family")
        try fails(["route", "add", "10.7.0.0/16", "--via", "10.9.9.9", "-n", n], "route add 10.7.0.0/16 via 10.9.9.9")
        try fails(["route", "delete", "10.8.0.0/16", "--dev", "d0", "-n", n], "route delete")
        #expect(!(try Shell.run(["ip", "-n", n, "route"]).stdout.contains("10.7.")))
    }
}
