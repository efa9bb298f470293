import ArgumentParser
import Glibc
import Kernel
import Netlink

/// The hot network commands parsed by hand. ArgumentParser reflects over cove's whole command tree on every
/// start, which costs several times the netlink work of `netns add` or `link add` itself (issue 3 asks for
/// half of iproute2's time). Only the exact plain forms below are taken here; anything else — help, other
/// options, `--opt=value` spellings, missing values — falls through to ArgumentParser, which then parses the
/// same command line, so both paths accept the same input and report errors the same way.
///
/// Wired like the util-linux tools: `ToolCommands.entry` returns `NetFastPath.entry(name)` for netns, link,
/// addr and route.
enum NetFastPath {
    static func entry(_ name: String) -> (([String]) -> Int32)? {
        switch name {
        case "netns", "link", "addr", "route": { args in run(name, args) }
        default: nil
        }
    }

    static func run(_ name: String, _ args: [String]) -> Int32 {
        guard let action = plan(name, args) else { return parsed([name] + args) }
        do {
            try netCommand(action)
            return 0
        } catch let e as SyscallError {
            printError(e.description)
        } catch let e as CoveError {
            printError(e.description)
        } catch {
            printError("\(error)")
        }
        return 1
    }

    /// The slow path: exactly what CoveMain does with a command line.
    static func parsed(_ argv: [String]) -> Int32 {
        do {
            var command = try Cove.parseNamed(argv)
            try command.run()
            return 0
        } catch let error as ExitCode {
            return error.rawValue
        } catch let error as SyscallError {
            printError(error.description)
            return 1
        } catch let error as CoveError {
            printError(error.description)
            return 1
        } catch {
            Cove.exit(withError: error)
        }
    }

    /// The action for a recognised command line, or nil to leave it to ArgumentParser.
    static func plan(_ name: String, _ args: [String]) -> (() throws -> Void)? {
        guard let sub = args.first else { return nil }
        if name == "netns" && sub == "exec" { return planExec(Array(args.dropFirst())) }
        guard var opts = Options(Array(args.dropFirst())) else { return nil }
        switch (name, sub) {
        case ("netns", "add"):
            guard opts.positional.count == 1, opts.isEmpty else { return nil }
            let n = opts.positional[0]
            return { try NamedNetns.add(n) }
        case ("netns", "delete"), ("netns", "del"):
            guard !opts.positional.isEmpty, opts.isEmpty else { return nil }
            let names = opts.positional
            return { try NamedNetns.delete(names) }
        case ("netns", "list"), ("netns", "ls"):
            let json = opts.flag("--json")
            guard opts.positional.isEmpty, opts.isEmpty else { return nil }
            return { try NetnsList.show(json: json) }
        case ("link", "list"), ("link", "ls"):
            let ns = opts.take("-n", "--netns"), json = opts.flag("--json")
            guard opts.positional.isEmpty, opts.isEmpty else { return nil }
            return { try LinkList.show(netns: ns, json: json) }
        case ("link", "show"):
            let ns = opts.take("-n", "--netns"), json = opts.flag("--json")
            guard opts.positional.count == 1, opts.isEmpty else { return nil }
            let dev = opts.positional[0]
            return { try LinkShow.show(netns: ns, device: dev, json: json) }
        case ("link", "add"):
            return planLinkAdd(&opts)
        case ("link", "set"):
            return planLinkSet(&opts)
        case ("link", "delete"), ("link", "del"):
            let ns = opts.take("-n", "--netns")
            guard opts.positional.count == 1, opts.isEmpty else { return nil }
            let dev = opts.positional[0]
            return { try netSocket(ns).deleteLink(dev) }
        case ("addr", "add"):
            let ns = opts.take("-n", "--netns"), nodad = opts.flag("--nodad")
            guard opts.positional.count == 1, let dev = opts.take("--dev"), opts.isEmpty else { return nil }
            let cidr = opts.positional[0]
            return { try netSocket(ns).addAddress(try CIDR(parsing: cidr), device: dev, noDAD: nodad) }
        case ("addr", "list"), ("addr", "ls"), ("addr", "show"):
            let ns = opts.take("-n", "--netns"), dev = opts.take("--dev"), json = opts.flag("--json")
            guard opts.positional.isEmpty, opts.isEmpty else { return nil }
            return { try AddrList.show(netns: ns, dev: dev, json: json) }
        case ("route", "add"), ("route", "delete"), ("route", "del"):
            let ns = opts.take("-n", "--netns"), via = opts.take("--via"), dev = opts.take("--dev")
            let metricText = opts.take("--metric"), ipv6 = opts.flag("-6")
            guard opts.positional.count == 1, opts.isEmpty else { return nil }
            var metric: UInt32?
            if let metricText {
                guard let m = UInt32(metricText) else { return nil }
                metric = m
            }
            let prefix = opts.positional[0], add = sub == "add"
            return {
                let spec = try RouteTarget.spec(prefix: prefix, via: via, dev: dev, metric: metric, ipv6: ipv6)
                try netCommand { add ? try netSocket(ns).addRoute(spec) : try netSocket(ns).deleteRoute(spec) }
            }
        case ("route", "list"), ("route", "ls"), ("route", "show"):
            let ns = opts.take("-n", "--netns"), json = opts.flag("--json")
            guard opts.positional.isEmpty, opts.isEmpty else { return nil }
            return { try RouteList.show(netns: ns, json: json) }
        default:
            return nil
        }
    }

    /// `netns exec NAME [--] COMMAND...`: everything after NAME is the command's (ArgumentParser captures it
    /// for passthrough), so only a NAME that is no option and a command that is there are taken here.
    static func planExec(_ words: [String]) -> (() throws -> Void)? {
        guard words.count >= 2, !words[0].hasPrefix("-") else { return nil }
        let name = words[0], command = Array(words.dropFirst())
        guard command[0] == "--" ? command.count > 1 : !command[0].hasPrefix("-") else { return nil }
        return { try NetnsExec.exec(name, command) }
    }

    static func planLinkAdd(_ opts: inout Options) -> (() throws -> Void)? {
        let ns = opts.take("-n", "--netns")
        guard opts.positional.count == 1, opts.take("--type") == "veth", let peer = opts.take("--peer") else { return nil }
        let peerNetns = opts.take("--peer-netns")
        guard opts.isEmpty else { return nil }
        let dev = opts.positional[0]
        return {
            let sock = try netSocket(ns)
            var fd: Int32?
            defer { if let fd { close(fd) } }
            var target: NetnsTarget?
            if let peerNetns {
                let (t, f) = try resolveNetnsTarget(peerNetns)
                target = t
                fd = f
            }
            try sock.addLink(name: dev, kind: .veth(peer: peer, peerNetns: target))
        }
    }

    /// `link set`: here -n is the namespace to act in and --netns where the device goes (as in LinkSet).
    static func planLinkSet(_ opts: inout Options) -> (() throws -> Void)? {
        guard opts.positional.count == 1 else { return nil }
        var r = LinkSet.Request(inNetns: opts.take("-n"), device: opts.positional[0])
        r.up = opts.flag("--up")
        r.down = opts.flag("--down")
        r.moveTo = opts.take("--netns")
        r.master = opts.take("--master")
        r.nomaster = opts.flag("--nomaster")
        r.name = opts.take("--name")
        r.address = opts.take("--address")
        if let mtu = opts.take("--mtu") {
            guard let m = UInt32(mtu) else { return nil }
            r.mtu = m
        }
        guard opts.isEmpty else { return nil }
        return { [r] in try r.run() }
    }

    /// `--opt value` pairs, flags and positional words; nil for anything unusual (an unknown option,
    /// `--opt=value`, `--`, a dangling option, help), so that ArgumentParser deals with it. Which options a
    /// command takes is checked by its case in `plan`: whatever it did not take leaves `isEmpty` false.
    struct Options {
        // Switches, not Sets: hashing Strings brings code and metadata `netns add` would otherwise not touch
        // (page faults: 61 -> 77 per command when these were Sets).
        static func isValued(_ w: String) -> Bool {
            switch w {
            case "-n", "--netns", "--type", "--peer", "--peer-netns", "--dev", "--mtu", "--master", "--name", "--address",
                 "--via", "--metric": true
            default: false
            }
        }

        static func isFlag(_ w: String) -> Bool {
            switch w {
            case "--json", "--up", "--down", "--nomaster", "--nodad", "-6": true
            default: false
            }
        }

        var values: [(String, String)] = []
        var flags: [String] = []
        var positional: [String] = []

        init?(_ words: [String]) {
            var i = 0
            while i < words.count {
                let w = words[i]
                if Options.isFlag(w) {
                    flags.append(w)
                    i += 1
                } else if w.hasPrefix("-") {
                    guard Options.isValued(w), i + 1 < words.count, !words[i + 1].hasPrefix("-") else { return nil }
                    values.append((w, words[i + 1]))
                    i += 2
                } else {
                    positional.append(w)
                    i += 1
                }
            }
        }

        var isEmpty: Bool { values.isEmpty && flags.isEmpty }

        /// Removes and returns the value of an option given once under any of `names`; a repeated option
        /// makes the value "" so the caller's checks fail and ArgumentParser reports it.
        mutating func take(_ names: String...) -> String? {
            let hits = values.filter { names.contains($0.0) }
            values.removeAll { names.contains($0.0) }
            if hits.count > 1 { values.append(("", "")) }
            return hits.count == 1 ? hits[0].1 : nil
        }

        /// Removes a flag and tells whether it was given; given twice, it stays so the command falls through.
        mutating func flag(_ name: String) -> Bool {
            let hits = flags.filter { $0 == name }.count
            if hits == 1 { flags.removeAll { $0 == name } }
            return hits == 1
        }
    }
}
