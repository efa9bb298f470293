import Foundation
import Testing

/// Network namespaces and host devices one test made, removed at the end whatever happened (with iproute2,
/// so cleanup does not depend on the code under test), and a check that nothing is left.
final class NetScratch {
    private(set) var namespaces: [String] = []
    private(set) var hostLinks: [String] = []

    /// A fresh unique namespace name (not created).
    func nsName(_ tag: String = "cn") -> String {
        let n = UniqueName.make(tag)
        namespaces.append(n)
        return n
    }

    /// A fresh unique device name that fits IFNAMSIZ; tracked in case it ends up on the host.
    func linkName(_ tag: String = "cv") -> String {
        let n = UniqueName.make(tag)
        precondition(n.utf8.count <= 15, "device name \(n) too long")
        hostLinks.append(n)
        return n
    }

    /// Makes a namespace with `cove netns add` and returns its name.
    func addNamespace(_ tag: String = "cn") throws -> String {
        let n = nsName(tag)
        let r = try Cove.run(["netns", "add", n])
        guard r.status == 0 else { throw TestFailure("cove netns add \(n): \(r)") }
        return n
    }

    func cleanup() {
        for l in hostLinks where NetHost.hasLink(l) { _ = try? Shell.run(["ip", "link", "delete", l]) }
        for n in namespaces where FileManager.default.fileExists(atPath: "/run/netns/\(n)") {
            _ = try? Shell.run(["ip", "netns", "delete", n])
        }
    }

    /// What survived cleanup: namespace files, /run/netns mounts and host devices of this test.
    func leftovers() -> [String] {
        var out: [String] = []
        for n in namespaces {
            if FileManager.default.fileExists(atPath: "/run/netns/\(n)") { out.append("/run/netns/\(n)") }
            out += Leftovers.mounts(under: "/run/netns/\(n)")
        }
        for l in hostLinks where NetHost.hasLink(l) { out.append("host device \(l)") }
        return out
    }

    /// Cleans up and records a test failure for anything left behind.
    func finish(sourceLocation: SourceLocation = #_sourceLocation) {
        cleanup()
        let left = leftovers()
        #expect(left.isEmpty, "left behind: \(left)", sourceLocation: sourceLocation)
    }
}

enum NetHost {
    static func hasLink(_ name: String, netns: String? = nil) -> Bool {
        var argv = ["ip"]
        if let netns { argv += ["-n", netns] }
        argv += ["link", "show", "dev", name]
        return ((try? Shell.run(argv))?.status ?? 1) == 0
    }

    /// Whether the kernel can make a device of this kind (tried with iproute2 in a throwaway namespace).
    static func supports(_ kind: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        if let known = kinds[kind] { return known }
        let ns = UniqueName.make("kp")
        guard ((try? Shell.run(["ip", "netns", "add", ns]))?.status ?? 1) == 0 else { return false }
        defer { _ = try? Shell.run(["ip", "netns", "delete", ns]) }
        var argv = ["ip", "-n", ns, "link", "add"]
        switch kind {
        case "vlan": _ = try? Shell.run(argv + ["p0", "type", "veth", "peer", "name", "p1"]); argv += ["link", "p0", "name", "k0", "type", "vlan", "id", "2"]
        default: argv += ["k0", "type", kind]
        }
        let ok = ((try? Shell.run(argv))?.status ?? 1) == 0
        kinds[kind] = ok
        return ok
    }
    nonisolated(unsafe) private static var kinds: [String: Bool] = [:]
    private static let lock = NSLock()

    static var hasIproute2: Bool { (try? Shell.which("ip")) != nil }
    static var ready: Bool { Host.isRoot && BusyboxRootfs.available && hasIproute2 }
    static let reason: Comment = "needs root, /bin/busybox and iproute2's ip"
}

extension RunResult {
    /// A failed command's message: exactly one line on stderr, `cove: ...`.
    var isOneLineError: Bool {
        let lines = stderr.split(separator: "\n", omittingEmptySubsequences: true)
        return status != 0 && lines.count == 1 && lines[0].hasPrefix("cove: ")
    }
}

/// Runs cove and fails the test (with its output) if it does not succeed.
@discardableResult
func coveOK(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
    let r = try Cove.run(args)
    #expect(r.status == 0, "cove \(args.joined(separator: " ")): \(r)", sourceLocation: sourceLocation)
    if r.status != 0 { throw TestFailure("cove \(args.joined(separator: " ")) failed: \(r.stderr)") }
    return r
}

/// busybox ping from inside a namespace, through `cove netns exec`.
func ping(from ns: String, _ address: String, v6: Bool = false) throws -> RunResult {
    try Cove.run(["netns", "exec", ns, "--", "/bin/busybox", v6 ? "ping6" : "ping", "-c1", "-W2", address])
}

func jsonArray(_ text: String) throws -> [[String: Any]] {
    guard let a = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else {
        throw TestFailure("not a JSON array of objects: \(text)")
    }
    return a
}
