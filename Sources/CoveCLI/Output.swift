import OCI

/// Text output helpers for listings: aligned columns and a small JSON writer (no Foundation on the CLI path).
enum Columns {
    static func render(_ rows: [[String]], rightAligned: Set<Int>, lastUnpadded: Bool) -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: width)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        var out = ""
        for r in rows {
            var line = ""
            for (i, c) in r.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - c.count)
                let last = i == r.count - 1
                if rightAligned.contains(i) { line += pad + c } else { line += c + (last && lastUnpadded ? "" : pad) }
                if !last { line += " " }
            }
            out += line + "\n"
        }
        return out
    }
}

/// The CLI's JSON writer (no Foundation on the CLI path): keys keep their given order, as lsns and iproute2
/// print them. String escaping is OCI's `JSONText.quote`, the one implementation in the package.
indirect enum JSONOut {
    case null
    case bool(Bool)
    case integer(Int64)
    case string(String)
    case array([JSONOut])
    case object([(String, JSONOut)])

    static func int<T: BinaryInteger>(_ v: T) -> JSONOut { .integer(Int64(v)) }

    static func object(_ dict: [String: JSONOut], order: [String]) -> JSONOut {
        .object(order.compactMap { k in dict[k].map { (k, $0) } })
    }

    /// Compact, on one line.
    var text: String { rendered(pretty: false) }

    func rendered(pretty: Bool, indent: Int = 0) -> String {
        let nl = pretty ? "\n" : ""
        let pad = pretty ? String(repeating: "   ", count: indent + 1) : ""
        let endPad = pretty ? String(repeating: "   ", count: indent) : ""
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let n): return String(n)
        case .string(let s): return JSONText.quote(s)
        case .array(let items):
            if items.isEmpty { return "[]" }
            return "[" + nl + items.map { pad + $0.rendered(pretty: pretty, indent: indent + 1) }.joined(separator: "," + nl) + nl + endPad + "]"
        case .object(let pairs):
            if pairs.isEmpty { return "{}" }
            let sep = pretty ? ": " : ":"
            return "{" + nl + pairs.map { pad + JSONText.quote($0.0) + sep + $0.1.rendered(pretty: pretty, indent: indent + 1) }
                .joined(separator: "," + nl) + nl + endPad + "}"
        }
    }
}
