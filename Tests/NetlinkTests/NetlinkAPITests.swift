import Glibc
import Kernel
import Testing
@testable import Netlink

/// The typed API against the real kernel, in namespaces made for the test (root only).
@Suite("Netlink API in a named namespace", .enabled(if: geteuid() == 0, "needs root: creates network namespaces"))
struct NetlinkAPITests {
    static func uniqueName() -> String {
        "nlt\(getpid() % 100000)x\(UInt32.random(in: 0..<1_000_000))"
    }

    func ownNetns() throws -> UInt64 { try Namespaces.inode(path: "/proc/thread-self/ns/net") }

    @Test func bothWaysOfOpeningASocketInsideTalkToTheSameNamespace() throws {
        let name = Self.uniqueName()
        let before = try ownNetns()
        try NamedNetns.add(name)
        defer {
            try? NamedNetns.delete([name])
            #expect(!FileIO.exists("/run/netns/\(name)"))
        }
        #expect(try ownNetns() == before)
        #expect(try NamedNetns.list().contains(name))

        let path = try NamedNetns.existing(name)
        let viaSetns = try NetlinkSocket(netnsPath: path)
        let viaChild = try NetlinkSocket.openedInChild(netnsPath: path)
        let nsFD = try NetNamespace.open(path: path)
        let viaFD = try NetlinkSocket(netnsFD: nsFD)
        close(nsFD)
        #expect(try ownNetns() == before)
        #expect(try viaFD.links().map(\.name) == ["lo"])

        #expect(try viaSetns.links().map(\.name) == ["lo"])
        try viaSetns.addLink(name: "tbr0", kind: .bridge)
        try viaChild.addLink(name: "tv0", kind: .veth(peer: "tv1", peerNetns: nil))
        let names = try viaChild.links().map(\.name)
        #expect(Set(names) == ["lo", "tbr0", "tv0", "tv1"])
        // The host never saw them.
        #expect(!(try NetlinkSocket().links().contains { $0.name == "tbr0" || $0.name == "tv0" }))

        try viaSetns.setLink("tv0", LinkChanges(up: true, mtu: 1400, master: .some("tbr0")))
        let tv0 = try viaChild.link(named: "tv0")
        #expect(tv0.mtu == 1400)
        #expect(tv0.isUp)
        #expect(tv0.masterIndex == (try viaChild.link(named: "tbr0")).index)
        #expect(tv0.kind == "veth")
        #expect(tv0.linkIndex == (try viaChild.link(named: "tv1")).index)

        try viaSetns.addAddress(try CIDR(parsing: "10.77.0.1/24"), device: "tbr0")
        try viaSetns.addAddress(try CIDR(parsing: "fd77::1/64"), device: "tbr0", noDAD: true)
        let addrs = try viaChild.addresses(index: try viaChild.link(named: "tbr0").index)
        let texts = Set(addrs.compactMap { a in a.primary.map { "\($0)/\(a.prefixLength)" } })
        #expect(texts.isSuperset(of: ["10.77.0.1/24", "fd77::1/64"]))
        // The kernel explains this one itself (ext-ack), and the errno stays available to callers.
        let dup = #expect(throws: NetlinkError.self) { try viaSetns.addAddress(try CIDR(parsing: "10.77.0.1/24"), device: "tbr0") }
        #expect(dup?.errno == EEXIST)
        #expect(dup?.description == "addr add 10.77.0.1/24 dev tbr0: File exists (kernel: ipv4: Address already assigned)")

        try viaSetns.setLink("tbr0", LinkChanges(up: true))
        try viaSetns.addRoute(RouteSpec(destination: try CIDR(parsing: "10.78.0.0/16"), gateway: IPAddress("10.77.0.254"), metric: 7))
        let route = try viaChild.routes().first { $0.destinationText == "10.78.0.0/16" }
        #expect(route?.gateway == IPAddress("10.77.0.254"))
        #expect(route?.metric == 7)
        try viaSetns.deleteRoute(RouteSpec(destination: try CIDR(parsing: "10.78.0.0/16"), gateway: IPAddress("10.77.0.254")))
        #expect(!(try viaChild.routes().contains { $0.destinationText == "10.78.0.0/16" }))

        let missing = #expect(throws: CoveError.self) { try viaSetns.deleteLink("nosuch") }
        #expect(missing?.message == "device \"nosuch\" not found")
        try viaSetns.deleteLink("tv1")
        #expect(Set(try viaChild.links().map(\.name)) == ["lo", "tbr0"])
    }

    @Test func aPlainFileIsNotANamespace() throws {
        let path = "/tmp/\(Self.uniqueName())"
        #expect(FileIO.exists(path) == false)
        try FileIO.write(path, "", create: true)
        defer { unlink(path) }
        #expect(throws: CoveError.self) { try NetlinkSocket(netnsPath: path) }
        #expect(throws: CoveError.self) { try NetlinkSocket.openedInChild(netnsPath: path) }
    }
}
