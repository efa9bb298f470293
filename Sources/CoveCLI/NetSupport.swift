import ArgumentParser
import Kernel
import Netlink

/// `-n/--netns NAME`: act inside a named network namespace (like `ip -n NAME`).
struct NetnsOption: ParsableArguments {
    @Option(name: [.customShort("n"), .customLong("netns")], help: "Act inside the named network namespace (/run/netns/NAME).")
    var netns: String?

    func socket() throws -> NetlinkSocket { try netSocket(netns) }
}

func netSocket(_ netns: String?) throws -> NetlinkSocket {
    guard let netns else { return try NetlinkSocket() }
    let s = try NetlinkSocket(netnsPath: NamedNetns.existing(netns))
    s.label = netns
    return s
}

/// Runs a network command body, giving kernel netlink errors the CLI's one-line error shape.
func netCommand(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as NetlinkError {
        throw CoveError(e.description)
    }
}

/// A namespace given as NAME (in /run/netns) or PID, as `ip link set ... netns` takes it. The returned
/// fd (if any) must stay open until the request is sent.
func resolveNetnsTarget(_ text: String) throws -> (NetnsTarget, Int32?) {
    if let path = try? NamedNetns.existing(text) {
        let fd = try NetNamespace.open(path: path)
        return (.fd(fd), fd)
    }
    if let pid = Int32(text), pid > 0 {
        guard ProcessControl.exists(pid) else { throw CoveError("no process with PID \(pid)") }
        return (.pid(pid), nil)
    }
    try NamedNetns.validate(text)
    throw CoveError("network namespace \"\(text)\" not found")
}

