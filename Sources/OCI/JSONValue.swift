import FoundationEssentials

/// Any JSON document: what `JSONParser` makes, the platform sections a Linux runtime only carries (windows,
/// solaris, vm, zos), and the config a container's state keeps. Its own Decodable conformance serves other
/// decoders only; `JSONTreeDecoder` hands the subtree over as it is.
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
}
