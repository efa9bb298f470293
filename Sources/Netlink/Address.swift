import CLinux
import Glibc
import Kernel

/// An address on a device (RTM_NEWADDR).
public struct InterfaceAddress: Equatable, Sendable {
    public var index: Int32
    public var prefixLength: Int
    public var flags: UInt32
    public var scope: UInt8
    public var local: IPAddress?
    public var address: IPAddress?
    public var label: String?

    /// IFA_LOCAL is the interface's own address on point-to-point links; elsewhere both are the same.
    public var primary: IPAddress? { local ?? address }
    public var isIPv6: Bool { primary?.isIPv6 ?? false }

    public init(reply: NetlinkReply) throws {
        let p = reply.payload
        guard p.count >= 8 else { throw CoveError("netlink: short RTM_NEWADDR message") }
        prefixLength = Int(p[p.startIndex + 1])
        scope = p[p.startIndex + 3]
        index = Int32(bitPattern: p.loadHost(UInt32.self, at: 4))
        let a = NetlinkParser.attributes(p.dropFirst(8))
        flags = a.u32(UInt16(IFA_FLAGS)) ?? UInt32(p[p.startIndex + 2])
        local = a[UInt16(IFA_LOCAL)].flatMap { IPAddress(bytes: Array($0)) }
        address = a[UInt16(IFA_ADDRESS)].flatMap { IPAddress(bytes: Array($0)) }
        label = a.string(UInt16(IFA_LABEL))
    }

    public var flagNames: [String] {
        let names: [(UInt32, String)] = [
            (0x01, "secondary"), (0x02, "nodad"), (0x04, "optimistic"), (0x08, "dadfailed"), (0x20, "deprecated"),
            (0x40, "tentative"), (0x200, "noprefixroute"),
        ]
        return names.filter { flags & $0.0 != 0 }.map(\.1)
    }
}

/// Route and address scopes as iproute2 names them.
public func scopeName(_ scope: UInt8) -> String {
    switch scope {
    case 0: "global"
    case 200: "site"
    case 253: "link"
    case 254: "host"
    case 255: "nowhere"
    default: String(scope)
    }
}

extension NetlinkSocket {
    /// Addresses of every device, or of one (the kernel filters by index: the socket is in strict mode).
    public func addresses(index: Int32? = nil) throws -> [InterfaceAddress] {
        var m = NetlinkMessage(type: UInt16(RTM_GETADDR))
        m.appendIfAddr(family: UInt8(AF_UNSPEC), prefixLength: 0, index: UInt32(bitPattern: index ?? 0))
        do {
            return try dump(m).filter { $0.header.type == UInt16(RTM_NEWADDR) }
                .map(InterfaceAddress.init(reply:))
                .filter { index == nil || $0.index == index }
        } catch let e as NetlinkError {
            throw e.with(context: "addr list")
        }
    }

    /// Adds `cidr` to `device`; fails (EEXIST) if it is already there. `noDAD` skips IPv6 duplicate
    /// address detection so the address is usable at once.
    public func addAddress(_ cidr: CIDR, device: String, noDAD: Bool = false) throws {
        let dev = try link(named: device)
        let m = RtnlMessage.address(add: true, cidr, index: dev.index, noDAD: noDAD)
        do {
            try request(m)
        } catch let e as NetlinkError {
            if e.errno == EEXIST && e.message == nil {
                throw CoveError("addr add \(cidr) dev \(device): address already assigned")
            }
            throw e.with(context: "addr add \(cidr) dev \(device)")
        }
    }

    public func deleteAddress(_ cidr: CIDR, device: String) throws {
        let dev = try link(named: device)
        let m = RtnlMessage.address(add: false, cidr, index: dev.index)
        do {
            try request(m)
        } catch let e as NetlinkError where e.errno == EADDRNOTAVAIL && e.message == nil {
            throw CoveError("addr delete \(cidr) dev \(device): no such address on the device")
        } catch let e as NetlinkError {
            throw e.with(context: "addr delete \(cidr) dev \(device)")
        }
    }
}

extension RtnlMessage {
    /// RTM_NEWADDR (CREATE|EXCL) or RTM_DELADDR, laid out as iproute2 lays it out: IFA_LOCAL, then IFA_ADDRESS.
    public static func address(add: Bool, _ cidr: CIDR, index: Int32, noDAD: Bool = false) -> NetlinkMessage {
        var m = add ? NetlinkMessage(type: UInt16(RTM_NEWADDR), flags: UInt16(NLM_F_CREATE | NLM_F_EXCL))
                    : NetlinkMessage(type: UInt16(RTM_DELADDR))
        // iproute2's default: host scope for IPv4 loopback addresses, global otherwise.
        let loopback = !cidr.address.isIPv6 && cidr.address.bytes[0] == 127
        m.appendIfAddr(family: cidr.address.family, prefixLength: UInt8(cidr.prefixLength), flags: noDAD ? 0x02 : 0,
                       scope: loopback ? 254 : 0, index: UInt32(bitPattern: index))
        m.addAttribute(UInt16(IFA_LOCAL), cidr.address.bytes)
        m.addAttribute(UInt16(IFA_ADDRESS), cidr.address.bytes)
        return m
    }
}
