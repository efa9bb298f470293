import CLinux
import Glibc
import Kernel

/// A network device as RTM_NEWLINK describes it.
public struct Link: Equatable, Sendable {
    public var index: Int32
    public var name: String
    public var flags: UInt32
    public var mtu: UInt32?
    /// ARPHRD_* hardware type.
    public var hardwareType: UInt16
    public var address: [UInt8]?
    public var broadcast: [UInt8]?
    public var operState: UInt8?
    public var kind: String?
    public var masterIndex: Int32?
    /// IFLA_LINK: the peer of a veth or the parent of a macvlan/vlan (an index in `linkNetnsID`'s namespace if set).
    public var linkIndex: Int32?
    public var linkNetnsID: Int32?
    public var txQueueLength: UInt32?
    public var qdisc: String?

    public var isUp: Bool { flags & LinkFlag.up != 0 }

    /// Decodes one RTM_NEWLINK message (ifinfomsg followed by IFLA_* attributes).
    public init(reply: NetlinkReply) throws {
        let p = reply.payload
        guard p.count >= 16 else { throw CoveError("netlink: short RTM_NEWLINK message") }
        hardwareType = p.loadHost(UInt16.self, at: 2)
        index = p.loadHost(Int32.self, at: 4)
        flags = p.loadHost(UInt32.self, at: 8)
        let a = NetlinkParser.attributes(p.dropFirst(16))
        name = a.string(UInt16(IFLA_IFNAME)) ?? "if\(index)"
        mtu = a.u32(UInt16(IFLA_MTU))
        address = a[UInt16(IFLA_ADDRESS)].map(Array.init)
        broadcast = a[UInt16(IFLA_BROADCAST)].map(Array.init)
        operState = a.u8(UInt16(IFLA_OPERSTATE))
        kind = a.nested(UInt16(IFLA_LINKINFO))?.string(UInt16(IFLA_INFO_KIND))
        masterIndex = a.i32(UInt16(IFLA_MASTER))
        linkIndex = a.i32(UInt16(IFLA_LINK))
        linkNetnsID = a.i32(UInt16(IFLA_LINK_NETNSID))
        txQueueLength = a.u32(UInt16(IFLA_TXQLEN))
        qdisc = a.string(UInt16(IFLA_QDISC))
    }

    /// RFC 2863 operational state as iproute2 prints it.
    public var operStateName: String {
        let names = ["UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"]
        guard let s = operState else { return "UNKNOWN" }
        return Int(s) < names.count ? names[Int(s)] : "UNKNOWN"
    }

    /// The link/TYPE word of `ip link`.
    public var hardwareTypeName: String {
        switch hardwareType {
        case 1: "ether"
        case 772: "loopback"
        case 65534: "none"
        case 768: "ipip"
        case 776: "sit"
        case 778: "gre"
        default: "[\(hardwareType)]"
        }
    }

    /// Interface flags in the order and spelling of `ip link` (NO-CARRIER for an up device without carrier).
    public var flagNames: [String] {
        var out: [String] = []
        if flags & LinkFlag.up != 0 && flags & LinkFlag.running == 0 { out.append("NO-CARRIER") }
        for (bit, name) in LinkFlag.names where flags & bit != 0 { out.append(name) }
        return out
    }
}

/// IFF_* bits (linux/if.h).
public enum LinkFlag {
    public static let up: UInt32 = 0x1
    public static let running: UInt32 = 0x40
    public static let names: [(UInt32, String)] = [
        (0x8, "LOOPBACK"), (0x2, "BROADCAST"), (0x10, "POINTOPOINT"), (0x1000, "MULTICAST"), (0x80, "NOARP"),
        (0x200, "ALLMULTI"), (0x100, "PROMISC"), (0x20, "NOTRAILERS"), (0x4, "DEBUG"), (0x8000, "DYNAMIC"),
        (0x4000, "AUTOMEDIA"), (0x2000, "PORTSEL"), (0x800, "SLAVE"), (0x400, "MASTER"), (0x1, "UP"),
        (0x10000, "LOWER_UP"), (0x20000, "DORMANT"), (0x40000, "ECHO"),
    ]
}

/// Where to move a device: a network namespace file descriptor, or the namespace of a process.
public enum NetnsTarget: Equatable, Sendable {
    case fd(Int32)
    case pid(Int32)
}

/// What kind of device `addLink` creates.
public enum LinkKind: Equatable, Sendable {
    case veth(peer: String, peerNetns: NetnsTarget?)
    case bridge
    case dummy
    case macvlan(parent: String, mode: MacvlanMode?)
    case vlan(parent: String, id: UInt16)

    public var name: String {
        switch self {
        case .veth: "veth"
        case .bridge: "bridge"
        case .dummy: "dummy"
        case .macvlan: "macvlan"
        case .vlan: "vlan"
        }
    }
}

public enum MacvlanMode: String, CaseIterable, Sendable {
    case `private`, vepa, bridge, passthru

    var value: UInt32 {
        switch self {
        case .private: 1
        case .vepa: 2
        case .bridge: 4
        case .passthru: 8
        }
    }
}

/// Changes `setLink` applies in one RTM_NEWLINK request; nil fields stay as they are.
public struct LinkChanges: Equatable, Sendable {
    public var up: Bool?
    public var mtu: UInt32?
    public var newName: String?
    public var address: [UInt8]?
    /// `.some(nil)` detaches the device from its bridge.
    public var master: String??
    public var netns: NetnsTarget?

    public init(up: Bool? = nil, mtu: UInt32? = nil, newName: String? = nil, address: [UInt8]? = nil,
                master: String?? = nil, netns: NetnsTarget? = nil) {
        self.up = up
        self.mtu = mtu
        self.newName = newName
        self.address = address
        self.master = master
        self.netns = netns
    }

    public var isEmpty: Bool { self == LinkChanges() }
}
