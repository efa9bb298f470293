import CLinux

/// Rounds up to netlink's 4-byte alignment (NLMSG_ALIGN and NLA_ALIGN are the same).
@inline(__always)
public func netlinkAlign(_ n: Int) -> Int { (n + 3) & ~3 }

/// One netlink request under construction: the 16-byte nlmsghdr, a fixed family header (ifinfomsg,
/// ifaddrmsg, rtmsg...) and attributes. Alignment and nested-attribute lengths are handled here once;
/// callers only say what goes in.
public struct NetlinkMessage {
    public private(set) var bytes: [UInt8]

    public init(type: UInt16, flags: UInt16 = 0) {
        bytes = [UInt8](repeating: 0, count: 16)
        bytes.storeHost(type, at: 4)
        bytes.storeHost(flags | UInt16(NLM_F_REQUEST), at: 6)
        bytes.storeHost(UInt32(16), at: 0)
    }

    public var type: UInt16 { bytes.loadHost(UInt16.self, at: 4) }
    public var flags: UInt16 {
        get { bytes.loadHost(UInt16.self, at: 6) }
        set { bytes.storeHost(newValue, at: 6) }
    }
    public var seq: UInt32 {
        get { bytes.loadHost(UInt32.self, at: 8) }
        set { bytes.storeHost(newValue, at: 8) }
    }

    /// Appends raw bytes of a fixed header, then pads to the alignment boundary.
    public mutating func appendHeader(_ raw: [UInt8]) {
        bytes.append(contentsOf: raw)
        pad()
    }

    /// ifinfomsg: family, type, index, flags, change (16 bytes).
    public mutating func appendIfInfo(family: UInt8 = 0, type: UInt16 = 0, index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) {
        var h = [UInt8](repeating: 0, count: 16)
        h[0] = family
        h.storeHost(type, at: 2)
        h.storeHost(index, at: 4)
        h.storeHost(flags, at: 8)
        h.storeHost(change, at: 12)
        appendHeader(h)
    }

    /// ifaddrmsg: family, prefix length, flags, scope, index (8 bytes).
    public mutating func appendIfAddr(family: UInt8, prefixLength: UInt8, flags: UInt8 = 0, scope: UInt8 = 0, index: UInt32) {
        var h: [UInt8] = [family, prefixLength, flags, scope, 0, 0, 0, 0]
        h.storeHost(index, at: 4)
        appendHeader(h)
    }

    /// rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags (12 bytes).
    public mutating func appendRtMsg(family: UInt8, dstLength: UInt8 = 0, table: UInt8 = 0, protocol: UInt8 = 0,
                                     scope: UInt8 = 0, type: UInt8 = 0, flags: UInt32 = 0) {
        var h: [UInt8] = [family, dstLength, 0, 0, table, `protocol`, scope, type, 0, 0, 0, 0]
        h.storeHost(flags, at: 8)
        appendHeader(h)
    }

    /// An attribute: 4-byte header (length without padding, type), payload, padding.
    public mutating func addAttribute(_ type: UInt16, _ payload: [UInt8]) {
        bytes.storeHostAppending(UInt16(4 + payload.count))
        bytes.storeHostAppending(type)
        bytes.append(contentsOf: payload)
        pad()
    }

    public mutating func addAttribute(_ type: UInt16, u8 value: UInt8) { addAttribute(type, [value]) }
    public mutating func addAttribute(_ type: UInt16, u16 value: UInt16) { addAttribute(type, hostBytes(value)) }
    public mutating func addAttribute(_ type: UInt16, u32 value: UInt32) { addAttribute(type, hostBytes(value)) }
    public mutating func addAttribute(_ type: UInt16, i32 value: Int32) { addAttribute(type, hostBytes(value)) }

    /// A NUL-terminated string attribute (IFLA_IFNAME, IFLA_INFO_KIND).
    public mutating func addAttribute(_ type: UInt16, string: String) {
        addAttribute(type, Array(string.utf8) + [0])
    }

    /// A nested attribute: whatever `body` appends (a fixed header and/or attributes) becomes its payload,
    /// and its length is filled in afterwards.
    public mutating func nested(_ type: UInt16, _ body: (inout NetlinkMessage) throws -> Void) rethrows {
        let start = bytes.count
        bytes.append(contentsOf: [0, 0, 0, 0])
        try body(&self)
        pad()
        bytes.storeHost(UInt16(bytes.count - start), at: start)
        bytes.storeHost(type, at: start + 2)
    }

    /// The wire bytes with the length and sequence number filled in.
    public func encoded(seq: UInt32) -> [UInt8] {
        var out = bytes
        out.storeHost(UInt32(out.count), at: 0)
        out.storeHost(seq, at: 8)
        return out
    }

    private mutating func pad() {
        let target = netlinkAlign(bytes.count)
        if target > bytes.count { bytes.append(contentsOf: [UInt8](repeating: 0, count: target - bytes.count)) }
    }
}

/// The in-memory bytes of an integer in host order (netlink integers are host-endian).
@inline(__always)
public func hostBytes<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
    withUnsafeBytes(of: v) { Array($0) }
}

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func storeHost<T: FixedWidthInteger>(_ v: T, at offset: Int) {
        Swift.withUnsafeBytes(of: v) { src in
            for i in 0..<src.count { self[offset + i] = src[i] }
        }
    }

    @inline(__always)
    mutating func storeHostAppending<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v) { append(contentsOf: $0) }
    }

    @inline(__always)
    func loadHost<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }
}

extension ArraySlice where Element == UInt8 {
    /// Reads an integer at `offset` from the slice's start (not from index 0 of the base array).
    @inline(__always)
    func loadHost<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }
}
