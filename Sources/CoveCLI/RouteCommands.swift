import ArgumentParser
import Kernel
import Netlink

/// `cove route`: the main routing table, IPv4 and IPv6.
struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Add, delete and list routes of the main table (IPv4 and IPv6).",
        subcommands: [RouteAdd.self, RouteDelete.self, RouteList.self]
    )
}

struct RouteTarget: ParsableArguments {
    @Argument(help: "PREFIX (10.2.0.0/16, fd00:2::/64) or default.") var prefix: String
    @Option(help: "Gateway address.") var via: String?
    @Option(help: "Output device.") var dev: String?
    @Option(help: "Route metric (priority).") var metric: UInt32?
    @Flag(name: .customShort("6"), help: "IPv6, for `default` without --via.") var ipv6 = false

    func spec() throws -> RouteSpec {
        try RouteTarget.spec(prefix: prefix, via: via, dev: dev, metric: metric, ipv6: ipv6)
    }

    /// Shared with NetFastPath.
    static func spec(prefix: String, via: String?, dev: String?, metric: UInt32?, ipv6: Bool) throws -> RouteSpec {
        var dest: CIDR?
        if prefix != "default" {
            dest = try CIDR(parsing: prefix)
        }
        var gw: IPAddress?
        if let via {
            guard let g = IPAddress(via) else { throw CoveError("invalid gateway address \"\(via)\"") }
            gw = g
        }
        if let dev { try InterfaceName.validate(dev) }
        return RouteSpec(destination: dest, gateway: gw, device: dev, metric: metric, ipv6: ipv6)
    }
}

struct RouteAdd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a route.")
    @OptionGroup var ns: NetnsOption
    @OptionGroup var target: RouteTarget

    func run() throws {
        let spec = try target.spec()
        try netCommand { try ns.socket().addRoute(spec) }
    }
}

struct RouteDelete: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a route.", aliases: ["del"])
    @OptionGroup var ns: NetnsOption
    @OptionGroup var target: RouteTarget

    func run() throws {
        let spec = try target.spec()
        try netCommand { try ns.socket().deleteRoute(spec) }
    }
}

struct RouteList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List routes of the main table.", aliases: ["ls", "show"])
    @OptionGroup var ns: NetnsOption
    @Flag(help: "Print JSON (the keys of `ip -j route`).") var json = false

    func run() throws {
        try RouteList.show(netns: ns.netns, json: json)
    }

    /// Shared with NetFastPath.
    static func show(netns: String?, json: Bool) throws {
        try netCommand {
            let sock = try netSocket(netns)
            let names = Dictionary(try sock.links().map { ($0.index, $0.name) }, uniquingKeysWith: { a, _ in a })
            let routes = try sock.routes()
            if json {
                print(JSONOut.array(routes.map { r in
                    var o: [(String, JSONOut)] = [("dst", .string(r.destinationText))]
                    if r.type != 1 { o.append(("type", .string(r.typeName))) }
                    if let g = r.gateway { o.append(("gateway", .string("\(g)"))) }
                    if let i = r.outputIndex { o.append(("dev", .string(names[i] ?? "if\(i)"))) }
                    o.append(("protocol", .string(r.protocolName)))
                    o.append(("scope", .string(scopeName(r.scope))))
                    if let s = r.preferredSource { o.append(("prefsrc", .string("\(s)"))) }
                    if let m = r.metric { o.append(("metric", .int(m))) }
                    o.append(("flags", .array([])))
                    return .object(o)
                }).text)
                return
            }
            for r in routes {
                var line = r.type == 1 ? r.destinationText : "\(r.typeName) \(r.destinationText)"
                if let g = r.gateway { line += " via \(g)" }
                if let i = r.outputIndex { line += " dev \(names[i] ?? "if\(i)")" }
                if r.protocolID != 3 { line += " proto \(r.protocolName)" }
                if r.scope != 0 { line += " scope \(scopeName(r.scope))" }
                if let s = r.preferredSource { line += " src \(s)" }
                if let m = r.metric, m != 0 || r.isIPv6 { line += " metric \(m)" }
                print(line)
            }
        }
    }
}
