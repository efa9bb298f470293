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
        case "netns", "link", "addr": { args in run(name, args) }
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
        case ("link", "add"):
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
        case ("link", "delete"), ("link", "del"):
            let ns = opts.take("-n", "--netns")
            guard opts.positional.count == 1, opts.isEmpty else { return nil }
            let dev = opts.positional[0]
            return { try netSocket(ns).deleteLink(dev) }
        case ("addr", "add"):
            let ns = opts.take("-n", "--netns")
            guard opts.positional.count == 1, let dev = opts.take("--dev"), opts.isEmpty else { return nil }
            let cidr = opts.positional[0]
            return { try netSocket(ns).addAddress(try CIDR(parsing: cidr), device: dev) }
        default:
            return nil
        }
    }

    /// `--opt value` pairs and positional words; nil for anything unusual (flags, `--opt=value`, `--`, a
    /// dangling option, help), so that ArgumentParser deals with it.
    struct Options {
        var values: [(String, String)] = []
        var positional: [String] = []

        init?(_ words: [String]) {
            var i = 0
            while i < words.count {
                let w = words[i]
                if w.hasPrefix("-") {
                    guard ["-n", "--netns", "--type", "--peer", "--peer-netns", "--dev"].contains(w), i + 1 < words.count,
                          !words[i + 1].hasPrefix("-") else { return nil }
                    values.append((w, words[i + 1]))
                    i += 2
                } else {
                    positional.append(w)
                    i += 1
                }
            }
        }

        var isEmpty: Bool { values.isEmpty }

        /// Removes and returns the value of an option given once under any of `names`; a repeated option
        /// makes the value "" so the caller's checks fail and ArgumentParser reports it.
        mutating func take(_ names: String...) -> String? {
            let hits = values.filter { names.contains($0.0) }
            values.removeAll { names.contains($0.0) }
            if hits.count > 1 { values.append(("", "")) }
            return hits.count == 1 ? hits[0].1 : nil
        }
    }
}
