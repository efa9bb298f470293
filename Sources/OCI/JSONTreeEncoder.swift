/// Encodable → compact JSON text, keys in the order the type encodes them (declaration order for
/// synthesized conformances), slashes unescaped. Replaces FoundationEssentials' JSONEncoder where a
/// runtime command writes state (~2M instructions per write there).
public enum JSONTreeEncoder {
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        if T.self == JSONValue.self { return (value as! JSONValue).text }
        let root = Node()
        try value.encode(to: NodeEncoder(node: root, codingPath: []))
        var out = ""
        out.reserveCapacity(4096)
        root.render(into: &out)
        return out
    }
}

/// One JSON value under construction. Reference semantics: containers hand out nodes and fill them later.
final class Node {
    enum Kind { case unset, literal(String), object([(String, Node)]), array([Node]) }
    var kind = Kind.unset

    func keyed() -> Node {
        if case .object = kind {} else { kind = .object([]) }
        return self
    }

    func child(_ key: String) -> Node {
        guard case .object(var fields) = keyed().kind else { preconditionFailure() }
        if let existing = fields.first(where: { $0.0 == key }) { return existing.1 }
        let n = Node()
        kind = .unset  // drop the reference while appending, so `fields` stays uniquely owned
        fields.append((key, n))
        kind = .object(fields)
        return n
    }

    func append() -> Node {
        var items: [Node] = []
        if case .array(let a) = kind { items = a }
        let n = Node()
        kind = .unset
        items.append(n)
        kind = .array(items)
        return n
    }

    func render(into out: inout String) {
        switch kind {
        case .unset: out += "{}"
        case .literal(let s): out += s
        case .object(let fields):
            out += "{"
            for (i, (key, node)) in fields.enumerated() {
                if i > 0 { out += "," }
                out += JSONText.quote(key)
                out += ":"
                node.render(into: &out)
            }
            out += "}"
        case .array(let items):
            out += "["
            for (i, node) in items.enumerated() {
                if i > 0 { out += "," }
                node.render(into: &out)
            }
            out += "]"
        }
    }

    static func number(_ d: Double) -> String {
        if d.rounded(.towardZero) == d, abs(d) < 1e15 { return String(Int64(d)) }
        return d.isFinite ? String(d) : "null"
    }
}

struct NodeEncoder: Encoder {
    let node: Node
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(NodeKeyed<Key>(node: node.keyed(), codingPath: codingPath))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        if case .array = node.kind {} else { node.kind = .array([]) }
        return NodeUnkeyed(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { NodeSingle(node: node, codingPath: codingPath) }
}

struct NodeKeyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    let codingPath: [CodingKey]

    func set(_ key: Key, _ literal: String) { node.child(key.stringValue).kind = .literal(literal) }

    mutating func encodeNil(forKey key: Key) { set(key, "null") }
    mutating func encode(_ v: Bool, forKey key: Key) { set(key, v ? "true" : "false") }
    mutating func encode(_ v: String, forKey key: Key) { set(key, JSONText.quote(v)) }
    mutating func encode(_ v: Double, forKey key: Key) { set(key, Node.number(v)) }
    mutating func encode(_ v: Float, forKey key: Key) { set(key, Node.number(Double(v))) }
    mutating func encode(_ v: Int, forKey key: Key) { set(key, String(v)) }
    mutating func encode(_ v: Int8, forKey key: Key) { set(key, String(v)) }
    mutating func encode(_ v: Int16, forKey key: Key) { set(key, String(v)) }
    mutating func encode(_ v: Int32, forKey key: Key) { set(key, String(v)) }
    mutating func encode(_ v: Int64, forKey key: Key) { set(key, String(v)) }
    mutating func encode(_ v: UInt, forKey key: Key) { set(key, String(v)) }
    mutating func encode(_ v: UInt8, forKey key: Key) { set(key, String(v)) }
    mutating func encode(_ v: UInt16, forKey key: Key) { set(key, String(v)) }
    mutating func encode(_ v: UInt32, forKey key: Key) { set(key, String(v)) }
    mutating func encode(_ v: UInt64, forKey key: Key) { set(key, String(v)) }

    mutating func encode<T: Encodable>(_ v: T, forKey key: Key) throws {
        if T.self == JSONValue.self { return set(key, (v as! JSONValue).text) }
        if T.self == JSONFragment.self { return set(key, (v as! JSONFragment).text) }
        try v.encode(to: NodeEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        NodeEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> Encoder { NodeEncoder(node: node, codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> Encoder { NodeEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key]) }
}

struct NodeUnkeyed: UnkeyedEncodingContainer {
    let node: Node
    let codingPath: [CodingKey]
    var count: Int {
        if case .array(let a) = node.kind { return a.count }
        return 0
    }

    func add(_ literal: String) { node.append().kind = .literal(literal) }

    mutating func encodeNil() { add("null") }
    mutating func encode(_ v: Bool) { add(v ? "true" : "false") }
    mutating func encode(_ v: String) { add(JSONText.quote(v)) }
    mutating func encode(_ v: Double) { add(Node.number(v)) }
    mutating func encode(_ v: Float) { add(Node.number(Double(v))) }
    mutating func encode(_ v: Int) { add(String(v)) }
    mutating func encode(_ v: Int8) { add(String(v)) }
    mutating func encode(_ v: Int16) { add(String(v)) }
    mutating func encode(_ v: Int32) { add(String(v)) }
    mutating func encode(_ v: Int64) { add(String(v)) }
    mutating func encode(_ v: UInt) { add(String(v)) }
    mutating func encode(_ v: UInt8) { add(String(v)) }
    mutating func encode(_ v: UInt16) { add(String(v)) }
    mutating func encode(_ v: UInt32) { add(String(v)) }
    mutating func encode(_ v: UInt64) { add(String(v)) }

    mutating func encode<T: Encodable>(_ v: T) throws {
        if T.self == JSONValue.self { return add((v as! JSONValue).text) }
        try v.encode(to: NodeEncoder(node: node.append(), codingPath: codingPath + [IndexKey(count)]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: node.append(), codingPath: codingPath).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        NodeEncoder(node: node.append(), codingPath: codingPath).unkeyedContainer()
    }

    mutating func superEncoder() -> Encoder { NodeEncoder(node: node.append(), codingPath: codingPath) }
}

struct NodeSingle: SingleValueEncodingContainer {
    let node: Node
    let codingPath: [CodingKey]

    func set(_ literal: String) { node.kind = .literal(literal) }

    mutating func encodeNil() { set("null") }
    mutating func encode(_ v: Bool) { set(v ? "true" : "false") }
    mutating func encode(_ v: String) { set(JSONText.quote(v)) }
    mutating func encode(_ v: Double) { set(Node.number(v)) }
    mutating func encode(_ v: Float) { set(Node.number(Double(v))) }
    mutating func encode(_ v: Int) { set(String(v)) }
    mutating func encode(_ v: Int8) { set(String(v)) }
    mutating func encode(_ v: Int16) { set(String(v)) }
    mutating func encode(_ v: Int32) { set(String(v)) }
    mutating func encode(_ v: Int64) { set(String(v)) }
    mutating func encode(_ v: UInt) { set(String(v)) }
    mutating func encode(_ v: UInt8) { set(String(v)) }
    mutating func encode(_ v: UInt16) { set(String(v)) }
    mutating func encode(_ v: UInt32) { set(String(v)) }
    mutating func encode(_ v: UInt64) { set(String(v)) }

    mutating func encode<T: Encodable>(_ v: T) throws {
        if T.self == JSONValue.self { return set((v as! JSONValue).text) }
        try v.encode(to: NodeEncoder(node: node, codingPath: codingPath))
    }
}

/// JSON text that is already valid (it was parsed), written as it is by `JSONTreeEncoder` — a container's
/// config.json goes into each state write without being rendered again from its tree.
public struct JSONFragment: Encodable {
    public let text: String
    public init(_ text: String) { self.text = text }

    /// Other encoders get the parsed value.
    public func encode(to encoder: Encoder) throws {
        try JSONParser.parse(Array(text.utf8)).encode(to: encoder)
    }
}

extension JSONValue {
    /// Compact JSON text, object keys sorted (a tree holds no order of its own).
    public var text: String {
        var out = ""
        render(into: &out)
        return out
    }

    func render(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .uint(let u): out += String(u)
        case .double(let d): out += Node.number(d)
        case .string(let s): out += JSONText.quote(s)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.render(into: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            // Sorted pairs, not sorted keys: looking each key up again hashed it a second time.
            for (i, (k, v)) in o.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { out += "," }
                out += JSONText.quote(k)
                out += ":"
                v.render(into: &out)
            }
            out += "}"
        }
    }
}
