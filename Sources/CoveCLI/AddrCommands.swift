import ArgumentParser
import Kernel
import Netlink

/// `cove addr`: IPv4 and IPv6 addresses on devices.
struct AddrCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "addr",
        abstract: "Add, delete and list IPv4 and IPv6 addresses.",
        subcommands: [AddrAdd.self, AddrDelete.self, AddrList.self]
    )
}

struct AddrAdd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add an address to a device.")
    @OptionGroup var ns: NetnsOption
    @Argument(help: "ADDRESS/PREFIX, e.g. 10.1.1.1/24 or fd00::1/64.") var cidr: String
    @Option(help: "Device.") var dev: String
    @Flag(help: "IPv6: skip duplicate address detection so the address is usable at once.") var nodad = false

    func run() throws {
        let c = try CIDR(parsing: cidr)
        try netCommand { try ns.socket().addAddress(c, device: dev, noDAD: nodad) }
    }
}

struct AddrDelete: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Remove an address from a device.", aliases: ["del"])
    @OptionGroup var ns: NetnsOption
    @Argument(help: "ADDRESS/PREFIX.") var cidr: String
    @Option(help: "Device.") var dev: String

    func run() throws {
        let c = try CIDR(parsing: cidr)
        try netCommand { try ns.socket().deleteAddress(c, device: dev) }
    }
}

struct AddrList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List addresses.", aliases: ["ls", "show"])
    @OptionGroup var ns: NetnsOption
    @Option(help: "Only this device.") var dev: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try AddrList.show(netns: ns.netns, dev: dev, json: json)
    }

    /// Shared with NetFastPath.
    static func show(netns: String?, dev: String?, json: Bool) throws {
        try netCommand {
            let sock = try netSocket(netns)
            let links = try sock.links()
            let names = Dictionary(links.map { ($0.index, $0.name) }, uniquingKeysWith: { a, _ in a })
            let index = try dev.map { try sock.link(named: $0).index }
            let addrs = try sock.addresses(index: index)
            if json {
                print(JSONOut.array(addrs.map { a in
                    var o: [(String, JSONOut)] = [
                        ("ifindex", .int(a.index)), ("ifname", .string(names[a.index] ?? "if\(a.index)")),
                        ("family", .string(a.isIPv6 ? "inet6" : "inet")),
                        ("local", .string(a.primary.map { "\($0)" } ?? "")), ("prefixlen", .int(a.prefixLength)),
                        ("scope", .string(scopeName(a.scope))),
                    ]
                    if let l = a.label { o.append(("label", .string(l))) }
                    o.append(("flags", .array(a.flagNames.map(JSONOut.string))))
                    return .object(o)
                }).text)
                return
            }
            for a in addrs {
                var line = "\(a.index): \(names[a.index] ?? "if\(a.index)")    \(a.isIPv6 ? "inet6" : "inet") "
                line += "\(a.primary.map { "\($0)" } ?? "?")/\(a.prefixLength) scope \(scopeName(a.scope))"
                for f in a.flagNames { line += " \(f)" }
                print(line)
            }
        }
    }
}
