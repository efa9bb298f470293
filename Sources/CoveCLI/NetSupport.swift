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

/// A small JSON writer (the binary avoids Foundation); keys keep their given order like iproute2's output.
indirect enum NetJSON {
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case array([NetJSON])
    case object([(String, NetJSON)])

    static func int<T: BinaryInteger>(_ v: T) -> NetJSON { .integer(Int64(v)) }

    var text: String {
        switch self {
        case .string(let s): return NetJSON.quote(s)
        case .integer(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .array(let a): return "[" + a.map(\.text).joined(separator: ",") + "]"
        case .object(let o): return "{" + o.map { NetJSON.quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
