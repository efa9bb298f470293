import ArgumentParser
import Glibc
import Kernel
import Netlink

/// `cove link`: network devices over rtnetlink.
struct LinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "List, create, change and delete network devices.",
        subcommands: [LinkList.self, LinkShow.self, LinkAdd.self, LinkSet.self, LinkDelete.self]
    )
}

struct LinkList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List network devices.", aliases: ["ls"])
    @OptionGroup var ns: NetnsOption
    @Flag(help: "Print JSON (the keys of `ip -j link`).") var json = false

    func run() throws {
        try LinkList.show(netns: ns.netns, json: json)
    }

    /// Shared with NetFastPath.
    static func show(netns: String?, json: Bool) throws {
        try netCommand {
            let links = try netSocket(netns).links()
            LinkOutput.print(links, all: links, json: json)
        }
    }
}

struct LinkShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one network device.")
    @OptionGroup var ns: NetnsOption
    @Flag(help: "Print JSON.") var json = false
    @Argument(help: "Device name.") var device: String

    func run() throws {
        try LinkShow.show(netns: ns.netns, device: device, json: json)
    }

    /// Shared with NetFastPath.
    static func show(netns: String?, device: String, json: Bool) throws {
        try netCommand {
            let sock = try netSocket(netns)
            let link = try sock.link(named: device)
            LinkOutput.print([link], all: try sock.links(), json: json)
        }
    }
}

struct LinkAdd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Create a network device.")
    @OptionGroup var ns: NetnsOption
    @Argument(help: "Name of the new device.") var name: String
    @Option(help: "veth, bridge, dummy, macvlan or vlan.") var type: String
    @Option(help: "veth: name of the peer end.") var peer: String?
    @Option(help: "veth: create the peer end in this named namespace (or PID's).") var peerNetns: String?
    @Option(help: "macvlan, vlan: the parent device.") var link: String?
    @Option(help: "vlan: the VLAN id (1-4094).") var id: Int?
    @Option(help: "macvlan: private, vepa, bridge or passthru.") var mode: String?

    func run() throws {
        try netCommand {
            let sock = try ns.socket()
            var peerFD: Int32?
            defer { if let peerFD { close(peerFD) } }
            let kind: LinkKind
            switch type {
            case "veth":
                guard let peer else { throw CoveError("link add \(name): --type veth needs --peer NAME") }
                var target: NetnsTarget?
                if let peerNetns {
                    let (t, fd) = try resolveNetnsTarget(peerNetns)
                    target = t
                    peerFD = fd
                }
                kind = .veth(peer: peer, peerNetns: target)
            case "bridge": kind = .bridge
            case "dummy": kind = .dummy
            case "macvlan":
                guard let link else { throw CoveError("link add \(name): --type macvlan needs --link PARENT") }
                var m: MacvlanMode?
                if let mode {
                    guard let parsed = MacvlanMode(rawValue: mode) else {
                        throw CoveError("link add \(name): unknown macvlan mode \"\(mode)\" (private, vepa, bridge, passthru)")
                    }
                    m = parsed
                }
                kind = .macvlan(parent: link, mode: m)
            case "vlan":
                guard let link else { throw CoveError("link add \(name): --type vlan needs --link PARENT") }
                guard let id, (1...4094).contains(id) else { throw CoveError("link add \(name): --type vlan needs --id between 1 and 4094") }
                kind = .vlan(parent: link, id: UInt16(id))
            default:
                throw CoveError("link add \(name): unsupported type \"\(type)\" (veth, bridge, dummy, macvlan, vlan)")
            }
            if kind.name != "veth" && (peer != nil || peerNetns != nil) {
                throw CoveError("link add \(name): --peer and --peer-netns only apply to --type veth")
            }
            try sock.addLink(name: name, kind: kind)
        }
    }
}

struct LinkSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Change a network device.",
        discussion: "Here -n NAME selects the namespace to act in and --netns NS|PID moves the device (like `ip -n NAME link set DEV netns NS`)."
    )
    @Option(name: .customShort("n"), help: ArgumentHelp("Act inside the named network namespace.", valueName: "name")) var inNetns: String?
    @Argument(help: "Device name.") var device: String
    @Flag(help: "Bring the device up.") var up = false
    @Flag(help: "Take the device down.") var down = false
    @Option(name: .customLong("netns"), help: "Move the device into this named namespace or PID's namespace.") var moveTo: String?
    @Option(help: "Enslave the device to this bridge.") var master: String?
    @Flag(help: "Release the device from its bridge.") var nomaster = false
    @Option(help: "Set the MTU.") var mtu: UInt32?
    @Option(help: "Rename the device.") var name: String?
    @Option(help: "Set the MAC address.") var address: String?

    func run() throws {
        try LinkSet.Request(inNetns: inNetns, device: device, up: up, down: down, moveTo: moveTo, master: master,
                            nomaster: nomaster, mtu: mtu, name: name, address: address).run()
    }

    /// The parsed command line, shared with NetFastPath.
    struct Request {
        var inNetns: String?
        var device: String
        var up = false, down = false
        var moveTo: String?
        var master: String?
        var nomaster = false
        var mtu: UInt32?
        var name: String?
        var address: String?

        func run() throws {
            if up && down { throw CoveError("link set \(device): --up and --down exclude each other") }
            if master != nil && nomaster { throw CoveError("link set \(device): --master and --nomaster exclude each other") }
            try netCommand {
                var changes = LinkChanges()
                if up { changes.up = true }
                if down { changes.up = false }
                changes.mtu = mtu
                changes.newName = name
                if let address { changes.address = try MACAddress.parse(address) }
                if let master { changes.master = .some(master) }
                if nomaster { changes.master = .some(nil) }
                let sock = try netSocket(inNetns)
                var fd: Int32?
                defer { if let fd { close(fd) } }
                if let moveTo {
                    let (t, f) = try resolveNetnsTarget(moveTo)
                    changes.netns = t
                    fd = f
                }
                if changes.isEmpty { throw CoveError("link set \(device): nothing to change") }
                try sock.setLink(device, changes)
            }
        }
    }
}

struct LinkDelete: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a network device.", aliases: ["del"])
    @OptionGroup var ns: NetnsOption
    @Argument(help: "Device name.") var device: String

    func run() throws {
        try netCommand { try ns.socket().deleteLink(device) }
    }
}

enum LinkOutput {
    static func print(_ links: [Link], all: [Link], json: Bool) {
        let names = Dictionary(all.map { ($0.index, $0.name) }, uniquingKeysWith: { a, _ in a })
        if json {
            Swift.print(JSONOut.array(links.map { object($0, names) }).text)
            return
        }
        for l in links {
            var head = "\(l.index): \(l.name)"
            if let peer = l.linkIndex, peer != 0 {
                head += l.linkNetnsID == nil ? "@\(names[peer] ?? "if\(peer)")" : "@if\(peer)"
            }
            head += ": <" + Text.join(l.flagNames[...], separator: ",") + ">"
            if let mtu = l.mtu { head += " mtu \(mtu)" }
            if let q = l.qdisc { head += " qdisc \(q)" }
            if let m = l.masterIndex { head += " master \(names[m] ?? "if\(m)")" }
            head += " state \(l.operStateName)"
            if let k = l.kind { head += " kind \(k)" }
            Swift.print(head)
            var second = "    link/\(l.hardwareTypeName)"
            if let a = l.address { second += " " + MACAddress.format(a[...]) }
            if let b = l.broadcast { second += " brd " + MACAddress.format(b[...]) }
            if let id = l.linkNetnsID { second += " link-netnsid \(id)" }
            Swift.print(second)
        }
    }

    static func object(_ l: Link, _ names: [Int32: String]) -> JSONOut {
        var o: [(String, JSONOut)] = [("ifindex", .int(l.index))]
        if let peer = l.linkIndex, peer != 0 {
            if l.linkNetnsID == nil, let n = names[peer] { o.append(("link", .string(n))) } else { o.append(("link_index", .int(peer))) }
        }
        o.append(("ifname", .string(l.name)))
        o.append(("flags", .array(l.flagNames.map(JSONOut.string))))
        if let mtu = l.mtu { o.append(("mtu", .int(mtu))) }
        if let q = l.qdisc { o.append(("qdisc", .string(q))) }
        if let m = l.masterIndex { o.append(("master", .string(names[m] ?? "if\(m)"))) }
        o.append(("operstate", .string(l.operStateName)))
        if let t = l.txQueueLength { o.append(("txqlen", .int(t))) }
        o.append(("link_type", .string(l.hardwareTypeName)))
        if let a = l.address { o.append(("address", .string(MACAddress.format(a[...])))) }
        if let b = l.broadcast { o.append(("broadcast", .string(MACAddress.format(b[...])))) }
        if let id = l.linkNetnsID { o.append(("link_netnsid", .int(id))) }
        if let k = l.kind { o.append(("linkinfo", .object([("info_kind", .string(k))]))) }
        return .object(o)
    }
}
