import CLinux
import Testing
@testable import Netlink

/// Requests compared byte for byte with what iproute2 6.1 sends for the same command, captured with
/// `strace -e trace=sendmsg -xx ip ...` (header fields decoded by strace, payload as printed). Only the
/// sequence number differs between runs, so both sides use the same one.
@Suite("Netlink requests match iproute2's bytes")
struct NetlinkIproute2BytesTests {
    static func hex(_ s: String) -> [UInt8] {
        s.split(separator: "x").dropFirst().map { UInt8($0.prefix(2), radix: 16)! }
    }

    static func header(length: UInt32, type: UInt16, flags: UInt16, seq: UInt32 = 1234) -> [UInt8] {
        le32(length) + le16(type) + le16(flags) + le32(seq) + le32(0)
    }

    static func acked(_ m: NetlinkMessage) -> [UInt8] {
        var m = m
        m.flags |= UInt16(NLM_F_ACK)
        return m.encoded(seq: 1234)
    }

    /// ip link add v0 type veth peer name v1
    @Test func vethPair() {
        let payload = Self.hex(#"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x07\x00\x03\x00\x76\x30\x00\x00\x2c\x00\x12\x00\x08\x00\x01\x00\x76\x65\x74\x68\x20\x00\x02\x00\x1c\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x07\x00\x03\x00\x76\x31\x00\x00"#)
        let m = RtnlMessage.newLink(name: "v0", kind: .veth(peer: "v1", peerNetns: nil), parentIndex: nil)
        #expect(Self.acked(m) == Self.header(length: 84, type: 0x10, flags: 0x605) + payload)
    }

    /// ip addr add 10.1.1.1/24 dev b0   (b0 has index 2)
    @Test func ipv4Address() throws {
        let payload = Self.hex(#"\x02\x18\x00\x00\x02\x00\x00\x00\x08\x00\x02\x00\x0a\x01\x01\x01\x08\x00\x01\x00\x0a\x01\x01\x01"#)
        let m = RtnlMessage.address(add: true, try CIDR(parsing: "10.1.1.1/24"), index: 2)
        #expect(Self.acked(m) == Self.header(length: 40, type: 0x14, flags: 0x605) + payload)
    }

    /// ip addr add fd00::1/64 dev b0 nodad
    @Test func ipv6AddressWithoutDAD() throws {
        let payload = Self.hex(#"\x0a\x40\x02\x00\x02\x00\x00\x00\x14\x00\x02\x00\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x14\x00\x01\x00\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"#)
        let m = RtnlMessage.address(add: true, try CIDR(parsing: "fd00::1/64"), index: 2, noDAD: true)
        #expect(Self.acked(m) == Self.header(length: 64, type: 0x14, flags: 0x605) + payload)
    }

    /// ip route add 10.2.0.0/16 via 10.1.1.254 dev b0 metric 7
    @Test func routeWithGatewayAndMetric() throws {
        let payload = Self.hex(#"\x02\x10\x00\x00\xfe\x03\x00\x01\x00\x00\x00\x00\x08\x00\x01\x00\x0a\x02\x00\x00\x08\x00\x05\x00\x0a\x01\x01\xfe\x08\x00\x06\x00\x07\x00\x00\x00\x08\x00\x04\x00\x02\x00\x00\x00"#)
        let spec = RouteSpec(destination: try CIDR(parsing: "10.2.0.0/16"), gateway: IPAddress("10.1.1.254"), device: "b0", metric: 7)
        #expect(Self.acked(RtnlMessage.route(add: true, spec, outputIndex: 2)) == Self.header(length: 60, type: 0x18, flags: 0x605) + payload)
    }

    /// ip route del 10.1.0.0/16 dev b0
    @Test func routeDelete() throws {
        let payload = Self.hex(#"\x02\x10\x00\x00\xfe\x00\xff\x00\x00\x00\x00\x00\x08\x00\x01\x00\x0a\x01\x00\x00\x08\x00\x04\x00\x02\x00\x00\x00"#)
        let spec = RouteSpec(destination: try CIDR(parsing: "10.1.0.0/16"), device: "b0")
        #expect(Self.acked(RtnlMessage.route(add: false, spec, outputIndex: 2)) == Self.header(length: 44, type: 0x19, flags: 0x5) + payload)
    }

    /// ip link set b0 mtu 1400 up
    @Test func linkSetMtuUp() {
        let payload = Self.hex(#"\x00\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x08\x00\x04\x00\x78\x05\x00\x00"#)
        let m = RtnlMessage.setLink(index: 2, LinkChanges(up: true, mtu: 1400), masterIndex: nil)
        #expect(Self.acked(m) == Self.header(length: 40, type: 0x10, flags: 0x5) + payload)
    }
}
