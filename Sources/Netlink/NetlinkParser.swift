import CLinux
import Glibc
import Kernel

/// struct nlmsghdr.
public struct NetlinkHeader: Equatable, Sendable {
    public var length: UInt32
    public var type: UInt16
    public var flags: UInt16
    public var seq: UInt32
    public var pid: UInt32
}

/// One message out of a datagram: its header and the payload after the header.
public struct NetlinkReply {
    public var header: NetlinkHeader
    public var payload: ArraySlice<UInt8>
}

/// A request the kernel refused: the errno and, with NETLINK_EXT_ACK, the kernel's own explanation and the
/// offset of the offending attribute in the request. `context` says what was being done ("link add veth0").
public struct NetlinkError: Error, CustomStringConvertible, Equatable {
    public var errno: Int32
    public var message: String?
    public var attributeOffset: UInt32?
    public var context: String?

    public init(errno: Int32, message: String? = nil, attributeOffset: UInt32? = nil, context: String? = nil) {
        self.errno = errno
        self.message = message
        self.attributeOffset = attributeOffset
        self.context = context
    }

    public func with(context: String) -> NetlinkError {
        var copy = self
        copy.context = context
        return copy
    }

    public var description: String {
        var s = context.map { "\($0): " } ?? ""
        s += String(cString: strerror(errno))
        if let message, !message.isEmpty { s += " (kernel: \(message))" }
        return s
    }
}

/// Splits datagrams into messages and attributes. Pure: unit tests feed it recorded kernel bytes.
public enum NetlinkParser {
    public static func header(_ bytes: ArraySlice<UInt8>) -> NetlinkHeader {
        NetlinkHeader(length: bytes.loadHost(UInt32.self, at: 0), type: bytes.loadHost(UInt16.self, at: 4),
                      flags: bytes.loadHost(UInt16.self, at: 6), seq: bytes.loadHost(UInt32.self, at: 8),
                      pid: bytes.loadHost(UInt32.self, at: 12))
    }

    /// Every message in one datagram; a length that runs past the end is a protocol error, not a crash.
    public static func messages(in datagram: [UInt8]) throws -> [NetlinkReply] {
        var out: [NetlinkReply] = []
        var offset = 0
        while datagram.count - offset >= 16 {
            let h = header(datagram[offset...])
            let len = Int(h.length)
            guard len >= 16, offset + len <= datagram.count else {
                throw CoveError("netlink: truncated message (length \(len) at offset \(offset) of \(datagram.count))")
            }
            out.append(NetlinkReply(header: h, payload: datagram[(offset + 16)..<(offset + len)]))
            offset += netlinkAlign(len)
        }
        return out
    }

    /// The attributes in `bytes` (which starts at an attribute boundary). A malformed tail is ignored,
    /// as the kernel's own nla_for_each_attr does.
    public static func attributes(_ bytes: ArraySlice<UInt8>) -> NetlinkAttributes {
        var entries: [(UInt16, ArraySlice<UInt8>)] = []
        var offset = bytes.startIndex
        while bytes.endIndex - offset >= 4 {
            let len = Int(bytes[offset...].loadHost(UInt16.self, at: 0))
            let type = bytes[offset...].loadHost(UInt16.self, at: 2) & 0x3FFF // without NLA_F_NESTED and NLA_F_NET_BYTEORDER
            guard len >= 4, offset + len <= bytes.endIndex else { break }
            entries.append((type, bytes[(offset + 4)..<(offset + len)]))
            offset += netlinkAlign(len)
        }
        return NetlinkAttributes(entries: entries)
    }

    /// The payload of an NLMSG_ERROR message: nil for an ACK (error 0), else the error with any ext-ack
    /// text. The original request follows the error code, whole or (NLM_F_CAPPED) only its header; the
    /// TLVs (NLM_F_ACK_TLVS) come after it.
    public static func error(from reply: NetlinkReply) -> NetlinkError? {
        let p = reply.payload
        guard p.count >= 4 else { return NetlinkError(errno: EPROTO, message: "short NLMSG_ERROR") }
        let code = p.loadHost(Int32.self, at: 0)
        if code == 0 { return nil }
        var err = NetlinkError(errno: -code)
        if reply.header.flags & UInt16(NLM_F_ACK_TLVS) != 0, p.count >= 20 {
            var tlvStart = 20
            if reply.header.flags & UInt16(NLM_F_CAPPED) == 0 {
                tlvStart = 4 + netlinkAlign(Int(p.loadHost(UInt32.self, at: 4)))
            }
            if tlvStart <= p.count {
                fillExtAck(&err, NetlinkParser.attributes(p[(p.startIndex + tlvStart)...]))
            }
        }
        return err
    }

    /// The payload of NLMSG_DONE: a dump that failed midway ends with a negative error code there,
    /// followed by ext-ack TLVs.
    public static func doneError(from reply: NetlinkReply) -> NetlinkError? {
        let p = reply.payload
        guard p.count >= 4 else { return nil }
        let code = p.loadHost(Int32.self, at: 0)
        if code == 0 { return nil }
        var err = NetlinkError(errno: -code)
        if reply.header.flags & UInt16(NLM_F_ACK_TLVS) != 0 {
            fillExtAck(&err, NetlinkParser.attributes(p[(p.startIndex + 4)...]))
        }
        return err
    }

    static func fillExtAck(_ err: inout NetlinkError, _ attrs: NetlinkAttributes) {
        err.message = attrs.string(UInt16(NLMSGERR_ATTR_MSG.rawValue))
        err.attributeOffset = attrs.u32(UInt16(NLMSGERR_ATTR_OFFS.rawValue))
    }
}

/// Attributes of one message or nest, looked up by type.
public struct NetlinkAttributes {
    public var entries: [(type: UInt16, value: ArraySlice<UInt8>)]

    public init(entries: [(UInt16, ArraySlice<UInt8>)]) {
        self.entries = entries.map { (type: $0.0, value: $0.1) }
    }

    public subscript(type: UInt16) -> ArraySlice<UInt8>? {
        entries.first(where: { $0.type == type })?.value
    }

    public func u8(_ type: UInt16) -> UInt8? { self[type].flatMap { $0.count >= 1 ? $0.first : nil } }
    public func u16(_ type: UInt16) -> UInt16? { self[type].flatMap { $0.count >= 2 ? $0.loadHost(UInt16.self, at: 0) : nil } }
    public func u32(_ type: UInt16) -> UInt32? { self[type].flatMap { $0.count >= 4 ? $0.loadHost(UInt32.self, at: 0) : nil } }
    public func i32(_ type: UInt16) -> Int32? { u32(type).map { Int32(bitPattern: $0) } }

    /// A string attribute without its NUL terminator.
    public func string(_ type: UInt16) -> String? {
        guard let v = self[type] else { return nil }
        let end = v.firstIndex(of: 0) ?? v.endIndex
        return String(decoding: v[v.startIndex..<end], as: UTF8.self)
    }

    public func nested(_ type: UInt16) -> NetlinkAttributes? {
        self[type].map { NetlinkParser.attributes($0) }
    }
}

/// Collects the replies to one request: ignores messages with another sequence number (late replies to an
/// earlier request), stops at the ACK of a plain request or NLMSG_DONE of a dump, and turns kernel errors
/// (including an error in the middle of a multi-part dump) into `NetlinkError`.
public struct NetlinkReplyCollector {
    public let seq: UInt32
    public private(set) var messages: [NetlinkReply] = []
    public private(set) var done = false
    /// NLM_F_DUMP_INTR: the table changed during the dump; the caller should dump again.
    public private(set) var interrupted = false

    public init(seq: UInt32) { self.seq = seq }

    public mutating func feed(_ datagram: [UInt8]) throws {
        for m in try NetlinkParser.messages(in: datagram) {
            guard m.header.seq == seq, !done else { continue }
            if m.header.flags & UInt16(NLM_F_DUMP_INTR) != 0 { interrupted = true }
            switch Int32(m.header.type) {
            case NLMSG_NOOP:
                continue
            case NLMSG_ERROR:
                if let err = NetlinkParser.error(from: m) { throw err }
                done = true
            case NLMSG_DONE:
                if let err = NetlinkParser.doneError(from: m) { throw err }
                done = true
            case NLMSG_OVERRUN:
                throw NetlinkError(errno: ENOBUFS, message: "netlink overrun")
            default:
                messages.append(m)
            }
        }
    }
}
