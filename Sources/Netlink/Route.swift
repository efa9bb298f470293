import CLinux
import Glibc
import Kernel

/// A route from the main table (RTM_NEWROUTE).
public struct Route: Equatable, Sendable {
    public var family: UInt8
    public var destinationLength: Int
    public var table: UInt32
    public var protocolID: UInt8
    public var scope: UInt8
    public var type: UInt8
    public var flags: UInt32
    public var destination: IPAddress?
    public var gateway: IPAddress?
    public var outputIndex: Int32?
    public var metric: UInt32?
    public var preferredSource: IPAddress?

    public init(reply: NetlinkReply) throws {
        let p = reply.payload
        guard p.count >= 12 else { throw CoveError("netlink: short RTM_NEWROUTE message") }
        let b = p.startIndex
        family = p[b]
        destinationLength = Int(p[b + 1])
        protocolID = p[b + 5]
        scope = p[b + 6]
        type = p[b + 7]
        flags = p.loadHost(UInt32.self, at: 8)
        let a = NetlinkParser.attributes(p.dropFirst(12))
        table = a.u32(UInt16(RTA_TABLE.rawValue)) ?? UInt32(p[b + 4])
        destination = a[UInt16(RTA_DST.rawValue)].flatMap { IPAddress(bytes: Array($0)) }
        gateway = a[UInt16(RTA_GATEWAY.rawValue)].flatMap { IPAddress(bytes: Array($0)) }
        outputIndex = a.i32(UInt16(RTA_OIF.rawValue))
        metric = a.u32(UInt16(RTA_PRIORITY.rawValue))
        preferredSource = a[UInt16(RTA_PREFSRC.rawValue)].flatMap { IPAddress(bytes: Array($0)) }
    }

    public var isIPv6: Bool { family == UInt8(AF_INET6) }

    /// `default` or ADDRESS/PREFIX (a host route prints without /32 or /128, as iproute2 does).
    public var destinationText: String {
        guard let destination, destinationLength > 0 else { return "default" }
        return destinationLength == destination.maxPrefix ? "\(destination)" : "\(destination)/\(destinationLength)"
    }

    public var protocolName: String {
        switch protocolID {
        case 0: "unspec"
        case 1: "redirect"
        case 2: "kernel"
        case 3: "boot"
        case 4: "static"
        case 16: "dhcp"
        case 42: "babel"
        case 186: "bgp"
        case 188: "ospf"
        default: String(protocolID)
        }
    }

    public var typeName: String {
        let names = ["unspec", "unicast", "local", "broadcast", "anycast", "multicast", "blackhole", "unreachable", "prohibit", "throw", "nat"]
        return Int(type) < names.count ? names[Int(type)] : String(type)
    }
}

/// What `addRoute`/`deleteRoute` act on: nil destination means the default route.
public struct RouteSpec: Equatable, Sendable {
    public var destination: CIDR?
    public var gateway: IPAddress?
    public var device: String?
    public var metric: UInt32?
    /// Only consulted when neither destination nor gateway says which family ("default dev X").
    public var ipv6: Bool

    public init(destination: CIDR?, gateway: IPAddress? = nil, device: String? = nil, metric: UInt32? = nil, ipv6: Bool = false) {
        self.destination = destination
        self.gateway = gateway
        self.device = device
        self.metric = metric
        self.ipv6 = ipv6
    }

    public var family: UInt8 {
        if let destination { return destination.address.family }
        if let gateway { return gateway.family }
        return UInt8(ipv6 ? AF_INET6 : AF_INET)
    }

    public var description: String {
        var s = destination.map { "\($0)" } ?? "default"
        if let gateway { s += " via \(gateway)" }
        if let device { s += " dev \(device)" }
        if let metric { s += " metric \(metric)" }
        return s
    }

    func validate() throws {
        if let gateway, gateway.family != family {
            throw CoveError("route \(description): gateway \(gateway) is not in the destination's address family")
        }
        if gateway == nil && device == nil {
            throw CoveError("route \(description): needs --via GATEWAY or --dev DEVICE")
        }
    }
}

private let mainTable: UInt8 = 254

extension NetlinkSocket {
    /// Routes of the main table, IPv4 then IPv6, without cached clones.
    public func routes() throws -> [Route] {
        var out: [Route] = []
        for family in [UInt8(AF_INET), UInt8(AF_INET6)] {
            var m = NetlinkMessage(type: UInt16(RTM_GETROUTE))
            m.appendRtMsg(family: family)
            do {
                out += try dump(m).filter { $0.header.type == UInt16(RTM_NEWROUTE) }.map(Route.init(reply:))
                    .filter { $0.table == UInt32(mainTable) && $0.flags & UInt32(RTM_F_CLONED) == 0 }
            } catch let e as NetlinkError {
                throw e.with(context: "route list")
            }
        }
        return out
    }

    public func addRoute(_ spec: RouteSpec) throws {
        try spec.validate()
        let m = RtnlMessage.route(add: true, spec, outputIndex: try spec.device.map { try link(named: $0).index })
        do {
            try request(m)
        } catch let e as NetlinkError {
            if e.errno == EEXIST && e.message == nil { throw CoveError("route add \(spec.description): route already exists") }
            throw e.with(context: "route add \(spec.description)")
        }
    }

    public func deleteRoute(_ spec: RouteSpec) throws {
        let m = RtnlMessage.route(add: false, spec, outputIndex: try spec.device.map { try link(named: $0).index })
        do {
            try request(m)
        } catch let e as NetlinkError {
            if e.errno == ESRCH && e.message == nil { throw CoveError("route delete \(spec.description): no such route") }
            throw e.with(context: "route delete \(spec.description)")
        }
    }
}

extension RtnlMessage {
    /// RTM_NEWROUTE (CREATE|EXCL) or RTM_DELROUTE in the main table, attributes in iproute2's order.
    public static func route(add: Bool, _ spec: RouteSpec, outputIndex: Int32?) -> NetlinkMessage {
        var m: NetlinkMessage
        let dstLength = UInt8(spec.destination?.prefixLength ?? 0)
        if add {
            m = NetlinkMessage(type: UInt16(RTM_NEWROUTE), flags: UInt16(NLM_F_CREATE | NLM_F_EXCL))
            // iproute2's defaults: protocol boot; link scope for an IPv4 route straight out of a device.
            let scope: UInt8 = (spec.gateway == nil && spec.family == UInt8(AF_INET)) ? 253 : 0
            m.appendRtMsg(family: spec.family, dstLength: dstLength, table: mainTable, protocol: 3, scope: scope, type: 1)
        } else {
            // Scope "nowhere" and no protocol or type: matches the route whatever those are.
            m = NetlinkMessage(type: UInt16(RTM_DELROUTE))
            m.appendRtMsg(family: spec.family, dstLength: dstLength, table: mainTable, scope: 255)
        }
        if let d = spec.destination, d.prefixLength > 0 { m.addAttribute(UInt16(RTA_DST.rawValue), d.address.bytes) }
        if let g = spec.gateway { m.addAttribute(UInt16(RTA_GATEWAY.rawValue), g.bytes) }
        if let metric = spec.metric { m.addAttribute(UInt16(RTA_PRIORITY.rawValue), u32: metric) }
        if let outputIndex { m.addAttribute(UInt16(RTA_OIF.rawValue), i32: outputIndex) }
        return m
    }
}
