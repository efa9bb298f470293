import Foundation
import Testing

/// The plain forms of the network commands are parsed by hand (NetFastPath); a `--opt=value` spelling of the
/// same command goes through ArgumentParser. Both must do and print the same.
@Suite("NetFastPath: hand-parsed and ArgumentParser forms agree", .enabled(if: NetHost.ready, NetHost.reason))
struct NetFastPathTests {
    /// Runs both spellings; expects the same status, stdout and stderr, and returns the fast one's result.
    @discardableResult
    func same(_ fast: [String], _ slow: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        let a = try Cove.run(fast), b = try Cove.run(slow)
        #expect(a.status == b.status && a.stdout == b.stdout && a.stderr == b.stderr,
                "\(fast.joined(separator: " ")):\n\(a)\n\(slow.joined(separator: " ")):\n\(b)", sourceLocation: sourceLocation)
        return a
    }

    @Test func listingsAndErrorsMatch() throws {
        let s = NetScratch()
        defer { s.finish() }
        let ns = try s.addNamespace("fp")
        try coveOK(["link", "add", "-n", ns, "fpa", "--type", "veth", "--peer", "fpb"])
        try coveOK(["addr", "add", "10.77.0.1/24", "--dev", "fpa", "-n", ns])
        try coveOK(["link", "set", "-n", ns, "fpa", "--up"])
        try coveOK(["link", "set", "fpb", "-n", ns, "--mtu=1400", "--up"])
        #expect(try Shell.run(["ip", "-n", ns, "link", "show", "fpb"]).stdout.contains("mtu 1400"))
        try coveOK(["route", "add", "10.78.0.0/16", "--via", "10.77.0.2", "-n", ns, "--metric", "7"])
        try coveOK(["route", "add", "10.79.0.0/16", "--dev=fpa", "-n", ns])

        let links = try same(["link", "list", "-n", ns], ["link", "list", "--netns=\(ns)"])
        #expect(links.status == 0 && links.stdout.contains("fpa@fpb") && links.stdout.contains("fpb@fpa"), "\(links)")
        try same(["link", "ls", "-n", ns, "--json"], ["link", "list", "--netns=\(ns)", "--json"])
        try same(["link", "show", "-n", ns, "fpa"], ["link", "show", "--netns=\(ns)", "fpa"])
        let addrs = try same(["addr", "show", "-n", ns, "--dev", "fpa"], ["addr", "list", "--dev=fpa", "-n", ns])
        #expect(addrs.stdout.contains("inet 10.77.0.1/24"), "\(addrs)")
        try same(["addr", "ls", "-n", ns, "--json"], ["addr", "list", "--netns=\(ns)", "--json"])
        let routes = try same(["route", "show", "-n", ns], ["route", "list", "--netns=\(ns)"])
        #expect(routes.stdout.contains("10.78.0.0/16 via 10.77.0.2 dev fpa") && routes.stdout.contains("metric 7"), "\(routes)")
        #expect(routes.stdout.contains("10.79.0.0/16 dev fpa"), "\(routes)")
        try same(["route", "ls", "-n", ns, "--json"], ["route", "list", "--netns=\(ns)", "--json"])

        // Errors: one line each, the same on both paths.
        let missing = try same(["link", "show", "-n", ns, "nosuchdev"], ["link", "show", "--netns=\(ns)", "nosuchdev"])
        #expect(missing.status != 0 && missing.stderr.split(separator: "\n").count == 1, "\(missing)")
        let noNS = try same(["addr", "list", "-n", "nosuch-\(ns)"], ["addr", "list", "--netns=nosuch-\(ns)"])
        #expect(noNS.status != 0 && noNS.stderr.contains("nosuch-\(ns)"), "\(noNS)")
        let badRoute = try same(["route", "add", "10.80.0.0/99", "--dev", "fpa", "-n", ns], ["route", "add", "10.80.0.0/99", "--dev=fpa", "-n", ns])
        #expect(badRoute.status != 0, "\(badRoute)")
        let nothing = try Cove.run(["link", "set", "-n", ns, "fpa"])
        #expect(nothing.status != 0 && nothing.stderr.contains("nothing to change"), "\(nothing)")

        try coveOK(["route", "delete", "10.78.0.0/16", "--via", "10.77.0.2", "-n", ns, "--metric", "7"])
        try coveOK(["route", "del", "10.79.0.0/16", "--dev=fpa", "-n", ns])
        let left = try coveOK(["route", "list", "-n", ns]).stdout
        #expect(!left.contains("10.78.") && !left.contains("10.79.") && left.contains("10.77.0.0/24"), "\(left)")

        let listed = try coveOK(["netns", "list"]).stdout
        #expect(listed.split(separator: "\n").contains { $0 == Substring(ns) || $0.hasPrefix("\(ns) (id:") }, "\(listed)")
        let json = try jsonArray(try coveOK(["netns", "ls", "--json"]).stdout)
        #expect(json.contains { $0["name"] as? String == ns })
    }

    @Test func netnsExecPassesEverythingAfterTheName() throws {
        let s = NetScratch()
        defer { s.finish() }
        let ns = try s.addNamespace("fx")
        let r = try Cove.run(["netns", "exec", ns, "/bin/busybox", "sh", "-c", "echo \"$0 $1\"; ip -o link | wc -l; exit 5", "--json", "-n"])
        #expect(r.status == 5 && r.stdout == "--json -n\n1\n", "\(r)")
        let dashed = try Cove.run(["netns", "exec", ns, "--", "/bin/busybox", "echo", "--", "-x"])
        #expect(dashed.status == 0 && dashed.stdout == "-- -x\n", "\(dashed)")
        let none = try Cove.run(["netns", "exec", ns, "--"])
        #expect(none.status != 0 && none.stderr.contains("no command given"), "\(none)")
        let gone = try Cove.run(["netns", "exec", "nosuch-\(ns)", "/bin/true"])
        #expect(gone.status != 0 && gone.stderr.split(separator: "\n").count == 1 && gone.stderr.contains("nosuch-\(ns)"), "\(gone)")
    }
}
