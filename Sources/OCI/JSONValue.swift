import FoundationEssentials

/// Any JSON document. Used for the platform sections a Linux runtime only carries (windows, solaris, vm, zos)
/// and to find fields the typed decoding did not take (see `SpecDecoder`).
public enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int64.self) { self = .int(i); return }
        if let u = try? c.decode(UInt64.self) { self = .uint(u); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        self = .object(try c.decode([String: JSONValue].self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .uint(let u): try c.encode(u)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// The value at a path of object keys, or nil where one is missing or not an object.
    public subscript(path keys: [String]) -> JSONValue? {
        var v = self
        for k in keys {
            guard case .object(let o) = v, let next = o[k] else { return nil }
            v = next
        }
        return v
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Paths (`linux.resources.foo`, `mounts[2].bar`) of object keys present in `self` but missing in `other`.
    /// Keys whose value is null count as absent: the typed model reads them as "not set".
    func keysMissing(in other: JSONValue?, path: String = "") -> [String] {
        switch self {
        case .object(let mine):
            let theirs: [String: JSONValue]
            if case .object(let o)? = other { theirs = o } else { theirs = [:] }
            var out: [String] = []
            for key in mine.keys.sorted() {
                let value = mine[key]!
                if value == .null { continue }
                let sub = path.isEmpty ? key : "\(path).\(key)"
                if let t = theirs[key] {
                    out += value.keysMissing(in: t, path: sub)
                } else {
                    out.append(sub)
                }
            }
            return out
        case .array(let mine):
            guard case .array(let theirs)? = other else { return [] }
            var out: [String] = []
            for (i, v) in mine.enumerated() where i < theirs.count {
                out += v.keysMissing(in: theirs[i], path: "\(path)[\(i)]")
            }
            return out
        default:
            return []
        }
    }
}
