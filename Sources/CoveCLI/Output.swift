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

/// A JSON value with key order kept, rendered like `jq`/lsns would print it.
indirect enum JSONText {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONText])
    case object([(String, JSONText)])

    static func object(_ dict: [String: JSONText], order: [String]? = nil) -> JSONText {
        let keys = order ?? dict.keys.sorted()
        return .object(keys.compactMap { k in dict[k].map { (k, $0) } })
    }

    func rendered(pretty: Bool = false, indent: Int = 0) -> String {
        let nl = pretty ? "\n" : ""
        let pad = pretty ? String(repeating: "   ", count: indent + 1) : ""
        let endPad = pretty ? String(repeating: "   ", count: indent) : ""
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n):
            return n == n.rounded() && abs(n) < 1e17 ? String(Int64(n)) : String(n)
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

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
