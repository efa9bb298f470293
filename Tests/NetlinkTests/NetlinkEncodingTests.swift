import CLinux
import Testing
@testable import Netlink

/// Little-endian helpers to write expected bytes by hand (x86-64 and arm64 hosts are little-endian,
/// and netlink integers are host order).
func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xff) } }

@Suite("Netlink encoding")
struct NetlinkEncodingTests {
    @Test func headerOnlyDumpRequest() {
        var m = NetlinkMessage(type: UInt16(RTM_GETLINK), flags: UInt16(NLM_F_DUMP))
        m.appendIfInfo()
        let bytes = m.encoded(seq: 7)
        // nlmsghdr: len 32, type 18, flags REQUEST|DUMP (0x301), seq 7, pid 0; then a zero ifinfomsg.
        #expect(bytes == le32(32) + le16(18) + le16(0x301) + le32(7) + le32(0) + [UInt8](repeating: 0, count: 16))
    }

    @Test func stringAttributeIsTerminatedAndPadded() {
        var m = NetlinkMessage(type: UInt16(RTM_GETLINK))
        m.appendIfInfo()
        m.addAttribute(UInt16(IFLA_IFNAME), string: "eth0")
        let bytes = m.encoded(seq: 1)
        // rta_len counts header + "eth0\0" (9) without padding; the next attribute starts 4-aligned.
        #expect(bytes.count == 16 + 16 + 12)
        #expect(Array(bytes[32...]) == le16(9) + le16(3) + Array("eth0".utf8) + [0, 0, 0, 0])
        #expect(Array(bytes[0..<4]) == le32(44))
    }

    @Test func integerAttributes() {
        var m = NetlinkMessage(type: UInt16(RTM_NEWLINK))
        m.addAttribute(4, u32: 1500)
        m.addAttribute(5, u8: 0xAB)
        m.addAttribute(6, u16: 0x1234)
        let tail = Array(m.encoded(seq: 0)[16...])
        #expect(tail == le16(8) + le16(4) + le32(1500)
            + le16(5) + le16(5) + [0xAB, 0, 0, 0]
            + le16(6) + le16(6) + [0x34, 0x12, 0, 0])
    }

    @Test func threeLevelNest() {
        // The builder alone, nesting three deep (NetlinkIproute2BytesTests checks the API against iproute2 itself).
        var m = NetlinkMessage(type: UInt16(RTM_NEWLINK), flags: UInt16(NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK))
        m.appendIfInfo()
        m.addAttribute(UInt16(IFLA_IFNAME), string: "v0")
        m.nested(UInt16(IFLA_LINKINFO)) { info in
            info.addAttribute(UInt16(IFLA_INFO_KIND), string: "veth")
            info.nested(UInt16(IFLA_INFO_DATA)) { data in
                data.nested(UInt16(VETH_INFO_PEER)) { peer in
                    peer.appendIfInfo()
                    peer.addAttribute(UInt16(IFLA_IFNAME), string: "v1")
                }
            }
        }
        let peer: [UInt8] = le16(28) + le16(1) + [UInt8](repeating: 0, count: 16) + le16(7) + le16(3) + Array("v1".utf8) + [0, 0]
        let data: [UInt8] = le16(32) + le16(2) + peer
        let kind: [UInt8] = le16(9) + le16(1) + Array("veth".utf8) + [0, 0, 0, 0]
        let linkinfo: [UInt8] = le16(UInt16(4 + kind.count + data.count)) + le16(18) + kind + data
        let ifname: [UInt8] = le16(7) + le16(3) + Array("v0".utf8) + [0, 0]
        let body: [UInt8] = [UInt8](repeating: 0, count: 16) + ifname + linkinfo
        let header: [UInt8] = le32(UInt32(16 + body.count)) + le16(16) + le16(0x605) + le32(42) + le32(0)
        #expect(m.encoded(seq: 42) == header + body)
    }

    @Test func fixedHeadersHaveKernelLayout() {
        var a = NetlinkMessage(type: UInt16(RTM_NEWADDR))
        a.appendIfAddr(family: 2, prefixLength: 24, flags: 2, scope: 254, index: 7)
        #expect(Array(a.encoded(seq: 0)[16...]) == [2, 24, 2, 254] + le32(7))

        var r = NetlinkMessage(type: UInt16(RTM_NEWROUTE))
        r.appendRtMsg(family: 10, dstLength: 64, table: 254, protocol: 3, scope: 0, type: 1)
        #expect(Array(r.encoded(seq: 0)[16...]) == [10, 64, 0, 0, 254, 3, 0, 1] + le32(0))

        var l = NetlinkMessage(type: UInt16(RTM_NEWLINK))
        l.appendIfInfo(index: 3, flags: 1, change: 1)
        #expect(Array(l.encoded(seq: 0)[16...]) == [0, 0] + le16(0) + le32(3) + le32(1) + le32(1))
    }

    @Test func emptyNestIsJustAHeader() {
        var m = NetlinkMessage(type: 0)
        m.nested(18) { _ in }
        #expect(Array(m.encoded(seq: 0)[16...]) == le16(4) + le16(18))
    }
}
