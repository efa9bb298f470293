import CLinux
import Glibc
import Testing
@testable import Netlink

/// Builds kernel-side messages (as the kernel lays them out) for the parser to read.
enum KernelBytes {
    static func message(type: UInt16, flags: UInt16 = 0, seq: UInt32, payload: [UInt8]) -> [UInt8] {
        var out = le32(UInt32(16 + payload.count)) + le16(type) + le16(flags) + le32(seq) + le32(4242) + payload
        while out.count % 4 != 0 { out.append(0) }
        return out
    }

    static func attr(_ type: UInt16, _ payload: [UInt8]) -> [UInt8] {
        var out = le16(UInt16(4 + payload.count)) + le16(type) + payload
        while out.count % 4 != 0 { out.append(0) }
        return out
    }

    static func newLink(index: Int32, name: String, mtu: UInt32, seq: UInt32, flags: UInt16 = UInt16(NLM_F_MULTI)) -> [UInt8] {
        let ifinfo: [UInt8] = [0, 0] + le16(1) + le32(UInt32(bitPattern: index)) + le32(0x1003) + le32(0)
        let attrs = attr(UInt16(IFLA_IFNAME), Array(name.utf8) + [0]) + attr(UInt16(IFLA_MTU), le32(mtu))
            + attr(UInt16(IFLA_ADDRESS), [2, 0, 0, 0, 0, 1])
            + attr(UInt16(IFLA_LINKINFO), attr(UInt16(IFLA_INFO_KIND), Array("veth".utf8) + [0]))
        return message(type: UInt16(RTM_NEWLINK), flags: flags, seq: seq, payload: ifinfo + attrs)
    }

    static func done(seq: UInt32, error: Int32 = 0, tlvs: [UInt8] = []) -> [UInt8] {
        let flags = UInt16(NLM_F_MULTI) | (tlvs.isEmpty ? 0 : UInt16(NLM_F_ACK_TLVS))
        return message(type: UInt16(NLMSG_DONE), flags: flags, seq: seq, payload: le32(UInt32(bitPattern: error)) + tlvs)
    }

    /// NLMSG_ERROR: the code, the original request (capped: header only), then ext-ack TLVs.
    static func error(seq: UInt32, code: Int32, original: [UInt8], capped: Bool, tlvs: [UInt8] = []) -> [UInt8] {
        var flags: UInt16 = capped ? UInt16(NLM_F_CAPPED) : 0
        if !tlvs.isEmpty { flags |= UInt16(NLM_F_ACK_TLVS) }
        let echoed = capped ? Array(original[0..<16]) : original
        return message(type: UInt16(NLMSG_ERROR), flags: flags, seq: seq, payload: le32(UInt32(bitPattern: code)) + echoed + tlvs)
    }
}

@Suite("Netlink dump parsing")
struct NetlinkParsingTests {
    let request: [UInt8] = {
        var m = NetlinkMessage(type: UInt16(RTM_NEWLINK), flags: UInt16(NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK))
        m.appendIfInfo()
        m.addAttribute(UInt16(IFLA_IFNAME), string: "veth0")
        return m.encoded(seq: 9)
    }()

    @Test func multipartDumpSpansDatagramsUntilDone() throws {
        var c = NetlinkReplyCollector(seq: 5)
        try c.feed(KernelBytes.newLink(index: 1, name: "lo", mtu: 65536, seq: 5) + KernelBytes.newLink(index: 2, name: "eth0", mtu: 1500, seq: 5))
        #expect(!c.done)
        try c.feed(KernelBytes.newLink(index: 3, name: "veth0", mtu: 9000, seq: 5))
        #expect(!c.done)
        try c.feed(KernelBytes.done(seq: 5))
        #expect(c.done)
        let links = try c.messages.map(Link.init(reply:))
        #expect(links.map(\.name) == ["lo", "eth0", "veth0"])
        #expect(links.map(\.index) == [1, 2, 3])
        #expect(links.map(\.mtu) == [65536, 1500, 9000])
        #expect(links[2].kind == "veth")
        #expect(links[2].address == [2, 0, 0, 0, 0, 1])
        #expect(links[2].flagNames == ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP"])
    }

    @Test func messagesWithAnotherSequenceNumberAreIgnored() throws {
        var c = NetlinkReplyCollector(seq: 6)
        // A late reply to request 5, including its DONE, must neither be collected nor end request 6.
        try c.feed(KernelBytes.newLink(index: 1, name: "stale", mtu: 1, seq: 5) + KernelBytes.done(seq: 5))
        #expect(!c.done)
        #expect(c.messages.isEmpty)
        try c.feed(KernelBytes.newLink(index: 2, name: "fresh", mtu: 1, seq: 6) + KernelBytes.done(seq: 6))
        #expect(c.done)
        #expect(try c.messages.map(Link.init(reply:)).map(\.name) == ["fresh"])
    }

    @Test func ackEndsAPlainRequest() throws {
        var c = NetlinkReplyCollector(seq: 9)
        try c.feed(KernelBytes.error(seq: 9, code: 0, original: request, capped: true))
        #expect(c.done)
        #expect(c.messages.isEmpty)
    }

    @Test func cappedErrorCarriesExtAckMessageAndOffset() throws {
        let tlvs = KernelBytes.attr(UInt16(NLMSGERR_ATTR_MSG.rawValue), Array("Link already exists".utf8) + [0])
            + KernelBytes.attr(UInt16(NLMSGERR_ATTR_OFFS.rawValue), le32(36))
        var c = NetlinkReplyCollector(seq: 9)
        let err = #expect(throws: NetlinkError.self) {
            try c.feed(KernelBytes.error(seq: 9, code: -EEXIST, original: request, capped: true, tlvs: tlvs))
        }
        #expect(err?.errno == EEXIST)
        #expect(err?.message == "Link already exists")
        #expect(err?.attributeOffset == 36)
        #expect(err?.with(context: "link add veth0").description == "link add veth0: File exists (kernel: Link already exists)")
    }

    @Test func uncappedErrorSkipsTheEchoedRequest() throws {
        let tlvs = KernelBytes.attr(UInt16(NLMSGERR_ATTR_MSG.rawValue), Array("Unknown device type".utf8) + [0])
        var c = NetlinkReplyCollector(seq: 9)
        let err = #expect(throws: NetlinkError.self) {
            try c.feed(KernelBytes.error(seq: 9, code: -EOPNOTSUPP, original: request, capped: false, tlvs: tlvs))
        }
        #expect(err?.errno == EOPNOTSUPP)
        #expect(err?.message == "Unknown device type")
    }

    @Test func errorWithoutExtAck() throws {
        var c = NetlinkReplyCollector(seq: 9)
        let err = #expect(throws: NetlinkError.self) {
            try c.feed(KernelBytes.error(seq: 9, code: -ENODEV, original: request, capped: false))
        }
        #expect(err == NetlinkError(errno: ENODEV))
        #expect(err?.description == "No such device")
    }

    @Test func errorInTheMiddleOfADump() throws {
        var c = NetlinkReplyCollector(seq: 3)
        try c.feed(KernelBytes.newLink(index: 1, name: "lo", mtu: 65536, seq: 3))
        let tlvs = KernelBytes.attr(UInt16(NLMSGERR_ATTR_MSG.rawValue), Array("dump failed".utf8) + [0])
        let err = #expect(throws: NetlinkError.self) {
            try c.feed(KernelBytes.done(seq: 3, error: -EINVAL, tlvs: tlvs))
        }
        #expect(err?.errno == EINVAL)
        #expect(err?.message == "dump failed")
        #expect(!c.done)
    }

    @Test func interruptedDumpIsFlagged() throws {
        var c = NetlinkReplyCollector(seq: 4)
        try c.feed(KernelBytes.newLink(index: 1, name: "lo", mtu: 1, seq: 4, flags: UInt16(NLM_F_MULTI | NLM_F_DUMP_INTR)) + KernelBytes.done(seq: 4))
        #expect(c.done)
        #expect(c.interrupted)
    }

    @Test func truncatedMessageIsAnErrorNotACrash() {
        var bytes = KernelBytes.newLink(index: 1, name: "lo", mtu: 1, seq: 1)
        bytes.removeLast(8)
        var c = NetlinkReplyCollector(seq: 1)
        #expect(throws: (any Error).self) { try c.feed(bytes) }
    }

    @Test func nestedAndMaskedAttributeTypes() {
        // NLA_F_NESTED (0x8000) on the type must not hide the attribute.
        let inner = KernelBytes.attr(UInt16(IFLA_INFO_KIND), Array("bridge".utf8) + [0])
        let outer = KernelBytes.attr(UInt16(IFLA_LINKINFO) | 0x8000, inner) + KernelBytes.attr(UInt16(IFLA_MTU), le32(1400))
        let attrs = NetlinkParser.attributes(outer[...])
        #expect(attrs.nested(UInt16(IFLA_LINKINFO))?.string(UInt16(IFLA_INFO_KIND)) == "bridge")
        #expect(attrs.u32(UInt16(IFLA_MTU)) == 1400)
        #expect(attrs.u32(99) == nil)
    }
}
