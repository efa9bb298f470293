import CLinux
import Glibc
import Kernel

/// RTEXT_FILTER_SKIP_STATS: listing links does not need the large statistics blocks.
private let skipStats: UInt32 = 1 << 3

extension NetlinkSocket {
    /// Every device in the socket's namespace, in ifindex order.
    public func links() throws -> [Link] {
        var m = NetlinkMessage(type: UInt16(RTM_GETLINK))
        m.appendIfInfo()
        m.addAttribute(UInt16(IFLA_EXT_MASK), u32: skipStats)
        do {
            return try dump(m).filter { $0.header.type == UInt16(RTM_NEWLINK) }.map(Link.init(reply:))
        } catch let e as NetlinkError {
            throw e.with(context: "link list")
        }
    }

    /// The device called `name`; a clear "not found" error if there is none.
    public func link(named name: String) throws -> Link {
        try InterfaceName.validate(name)
        var m = NetlinkMessage(type: UInt16(RTM_GETLINK))
        m.appendIfInfo()
        m.addAttribute(UInt16(IFLA_IFNAME), string: name)
        m.addAttribute(UInt16(IFLA_EXT_MASK), u32: skipStats)
        do {
            guard let r = try request(m).first(where: { $0.header.type == UInt16(RTM_NEWLINK) }) else {
                throw CoveError("device \"\(name)\" not found\(whereSuffix)")
            }
            return try Link(reply: r)
        } catch let e as NetlinkError where e.errno == ENODEV {
            throw CoveError("device \"\(name)\" not found\(whereSuffix)")
        } catch let e as NetlinkError {
            throw e.with(context: "link show \(name)")
        }
    }

    public func link(index: Int32) throws -> Link {
        var m = NetlinkMessage(type: UInt16(RTM_GETLINK))
        m.appendIfInfo(index: index)
        m.addAttribute(UInt16(IFLA_EXT_MASK), u32: skipStats)
        do {
            guard let r = try request(m).first(where: { $0.header.type == UInt16(RTM_NEWLINK) }) else {
                throw CoveError("device with index \(index) not found\(whereSuffix)")
            }
            return try Link(reply: r)
        } catch let e as NetlinkError where e.errno == ENODEV {
            throw CoveError("device with index \(index) not found\(whereSuffix)")
        }
    }

    /// Creates a device. A veth pair is made by one request, so either both ends exist afterwards or neither.
    public func addLink(name: String, kind: LinkKind) throws {
        try InterfaceName.validate(name)
        var parentIndex: Int32?
        switch kind {
        case .macvlan(let parent, _), .vlan(let parent, _):
            parentIndex = try link(named: parent).index
        case .veth(let peer, _):
            try InterfaceName.validate(peer)
            if peer == name { throw CoveError("veth peer name must differ from \"\(name)\"") }
        default:
            break
        }
        let m = RtnlMessage.newLink(name: name, kind: kind, parentIndex: parentIndex)
        do {
            try request(m)
        } catch let e as NetlinkError {
            var what = "link add \(name) type \(kind.name)"
            if case .veth(let peer, _) = kind { what += " peer \(peer)" }
            if e.errno == EEXIST && e.message == nil {
                // Say which name is taken: the new device's here, or the peer's (here or in its namespace).
                if (try? link(named: name)) != nil { throw CoveError("\(what): device \"\(name)\" already exists\(whereSuffix)") }
                if case .veth(let peer, let ns) = kind, ns == nil, (try? link(named: peer)) != nil {
                    throw CoveError("\(what): device \"\(peer)\" already exists\(whereSuffix)")
                }
                if case .veth(let peer, _) = kind { throw CoveError("\(what): device \"\(peer)\" already exists in the peer's namespace") }
                throw CoveError("\(what): a device with that name already exists")
            }
            throw e.with(context: what)
        }
    }

    /// Applies `changes` to the device `name` in one request.
    public func setLink(_ name: String, _ changes: LinkChanges) throws {
        let dev = try link(named: name)
        if let newName = changes.newName { try InterfaceName.validate(newName) }
        if let mtu = changes.mtu, mtu == 0 { throw CoveError("invalid MTU 0") }
        var masterIndex: Int32?
        if let master = changes.master {
            masterIndex = try master.map { m in
                let dev = try link(named: m)
                if let kind = dev.kind, !["bridge", "bond", "team", "vrf", "openvswitch"].contains(kind) {
                    throw CoveError("link set \(name): \"\(m)\" cannot be a master: it is a \(kind) device, not a bridge")
                }
                return dev.index
            } ?? 0
        }
        let m = RtnlMessage.setLink(index: dev.index, changes, masterIndex: masterIndex)
        do {
            try request(m)
        } catch let e as NetlinkError {
            throw e.with(context: "link set \(name)")
        }
    }

    /// Changes the device with this index, without looking it up first.
    public func setLink(index: Int32, _ changes: LinkChanges) throws {
        do {
            try request(RtnlMessage.setLink(index: index, changes, masterIndex: nil))
        } catch let e as NetlinkError {
            throw e.with(context: "link set index \(index)")
        }
    }

    /// Deletes a device (for a veth, both ends go).
    public func deleteLink(_ name: String) throws {
        let dev = try link(named: name)
        var m = NetlinkMessage(type: UInt16(RTM_DELLINK))
        m.appendIfInfo(index: dev.index)
        do {
            try request(m)
        } catch let e as NetlinkError {
            throw e.with(context: "link delete \(name)")
        }
    }

    var whereSuffix: String {
        label.map { " in network namespace \"\($0)\"" } ?? ""
    }
}

/// The requests themselves, built without a socket so tests can compare them with iproute2's bytes.
public enum RtnlMessage {
    /// RTM_NEWLINK with CREATE|EXCL. iproute2 sends IFLA_INFO_KIND without a NUL; so does this.
    public static func newLink(name: String, kind: LinkKind, parentIndex: Int32?) -> NetlinkMessage {
        var m = NetlinkMessage(type: UInt16(RTM_NEWLINK), flags: UInt16(NLM_F_CREATE | NLM_F_EXCL))
        m.appendIfInfo()
        m.addAttribute(UInt16(IFLA_IFNAME), string: name)
        if let parentIndex { m.addAttribute(UInt16(IFLA_LINK), i32: parentIndex) }
        m.nested(UInt16(IFLA_LINKINFO)) { info in
            info.addAttribute(UInt16(IFLA_INFO_KIND), Array(kind.name.utf8))
            switch kind {
            case .veth(let peer, let peerNetns):
                info.nested(UInt16(IFLA_INFO_DATA)) { data in
                    data.nested(UInt16(VETH_INFO_PEER)) { p in
                        p.appendIfInfo()
                        p.addAttribute(UInt16(IFLA_IFNAME), string: peer)
                        if let peerNetns { p.addNetnsTarget(peerNetns) }
                    }
                }
            case .macvlan(_, let mode?):
                info.nested(UInt16(IFLA_INFO_DATA)) { $0.addAttribute(UInt16(IFLA_MACVLAN_MODE), u32: mode.value) }
            case .vlan(_, let id):
                info.nested(UInt16(IFLA_INFO_DATA)) { $0.addAttribute(UInt16(IFLA_VLAN_ID), u16: id) }
            default:
                break
            }
        }
        return m
    }

    /// RTM_NEWLINK on an existing index: flags via ifi_flags/ifi_change, the rest as attributes.
    public static func setLink(index: Int32, _ changes: LinkChanges, masterIndex: Int32?) -> NetlinkMessage {
        var m = NetlinkMessage(type: UInt16(RTM_NEWLINK))
        if let up = changes.up {
            m.appendIfInfo(index: index, flags: up ? LinkFlag.up : 0, change: LinkFlag.up)
        } else {
            m.appendIfInfo(index: index)
        }
        if let newName = changes.newName { m.addAttribute(UInt16(IFLA_IFNAME), string: newName) }
        if let mtu = changes.mtu { m.addAttribute(UInt16(IFLA_MTU), u32: mtu) }
        if let address = changes.address { m.addAttribute(UInt16(IFLA_ADDRESS), address) }
        if let masterIndex { m.addAttribute(UInt16(IFLA_MASTER), i32: masterIndex) }
        if let netns = changes.netns { m.addNetnsTarget(netns) }
        return m
    }
}

extension NetlinkMessage {
    mutating func addNetnsTarget(_ target: NetnsTarget) {
        switch target {
        case .fd(let fd): addAttribute(UInt16(IFLA_NET_NS_FD), u32: UInt32(bitPattern: fd))
        case .pid(let pid): addAttribute(UInt16(IFLA_NET_NS_PID), u32: UInt32(bitPattern: pid))
        }
    }
}
