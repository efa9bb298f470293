/// A runtime-spec type read straight from the parsed tree, without Codable's containers.
///
/// Why not Decodable: its keyed containers are generic over each type's CodingKeys and boxed in a generic
/// class, so the first decode of a config.json made the Swift runtime build metadata for about a hundred
/// generic types — ~1.2 million instructions, most of `cove create`'s own CPU time before the clone. Here
/// each type reads its fields by name through `TreeObject`, whose generic methods are specialized at
/// compile time. The errors (and the unknown-field report) are the ones `JSONTreeDecoder` gives for the
/// same document: `DecodingError`s with the field's path, which `SpecDecoder.describe` turns into a line.
///
/// Field names are the Swift property names, as the synthesized Encodable conformance writes them; the
/// round-trip and completeness tests in OCITests hold the two together.
public protocol TreeDecodable {
    init(tree: TreeNode) throws
}

/// One value of the document and where it is (`linux.namespaces[2]`). The path is only put together for
/// an object (its unknown fields are reported under it) or an error: most values are scalars that decode fine.
public struct TreeNode {
    let value: JSONValue
    /// The path of the object or array holding the value, and the value's key or index in it (nil at the top).
    let parent: [CodingKey]
    let key: CodingKey?
    let tracker: KeyTracker?

    init(value: JSONValue, parent: [CodingKey], key: CodingKey?, tracker: KeyTracker?) {
        self.value = value
        self.parent = parent
        self.key = key
        self.tracker = tracker
    }

    var path: [CodingKey] { key.map { parent + [$0] } ?? parent }

    /// The value as an object whose fields are read by name; every name asked counts as known.
    public func object() throws -> TreeObject {
        switch value {
        case .object(let o):
            let p = path
            return TreeObject(object: o, path: p, visit: tracker?.visit(o, path: p), tracker: tracker)
        case .null:
            throw DecodingError.valueNotFound([String: Any].self, .init(codingPath: path, debugDescription: "null"))
        default:
            throw DecodingError.typeMismatch([String: Any].self, .init(codingPath: path, debugDescription: "not an object"))
        }
    }

    func array() throws -> [JSONValue] {
        switch value {
        case .array(let a): return a
        case .null: throw DecodingError.valueNotFound([Any].self, .init(codingPath: path, debugDescription: "null"))
        default: throw DecodingError.typeMismatch([Any].self, .init(codingPath: path, debugDescription: "not an array"))
        }
    }
}

/// The fields of one JSON object, in the shape of a synthesized `init(from:)`: `required` throws
/// keyNotFound when the field is absent, `optional` reads null as absent.
public struct TreeObject {
    let object: [String: JSONValue]
    let path: [CodingKey]
    let visit: KeyTracker.Visit?
    let tracker: KeyTracker?

    public func required<T: TreeDecodable>(_ key: String) throws -> T {
        let v = object[key]
        visit?.read(key, present: v != nil)
        guard let v else {
            throw DecodingError.keyNotFound(NameKey(key), .init(codingPath: path, debugDescription: "missing"))
        }
        return try T(tree: TreeNode(value: v, parent: path, key: NameKey(key), tracker: tracker))
    }

    public func optional<T: TreeDecodable>(_ key: String) throws -> T? {
        let v = object[key]
        visit?.read(key, present: v != nil)
        guard let v, v != .null else { return nil }
        return try T(tree: TreeNode(value: v, parent: path, key: NameKey(key), tracker: tracker))
    }
}

extension String: TreeDecodable {
    public init(tree: TreeNode) throws { self = try Unbox.string(tree.value, tree.path) }
}

extension Bool: TreeDecodable {
    public init(tree: TreeNode) throws { self = try Unbox.bool(tree.value, tree.path) }
}

/// Integers: the value must fit the field's type exactly (`-1 is out of range for this field`).
extension TreeDecodable where Self: FixedWidthInteger {
    public init(tree: TreeNode) throws { self = try Unbox.integer(tree.value, Self.self, tree.path) }
}

extension Int: TreeDecodable {}
extension Int32: TreeDecodable {}
extension Int64: TreeDecodable {}
extension UInt8: TreeDecodable {}
extension UInt16: TreeDecodable {}
extension UInt32: TreeDecodable {}
extension UInt64: TreeDecodable {}

/// A subtree kept as it is (the platform sections Cove only carries): every key in it is known.
extension JSONValue: TreeDecodable {
    public init(tree: TreeNode) throws { self = tree.value }
}

extension Array: TreeDecodable where Element: TreeDecodable {
    public init(tree: TreeNode) throws {
        let items = try tree.array()
        let path = tree.path
        self.init()
        reserveCapacity(items.count)
        for (i, v) in items.enumerated() {
            append(try Element(tree: TreeNode(value: v, parent: path, key: IndexKey(i), tracker: tree.tracker)))
        }
    }
}

extension Dictionary: TreeDecodable where Key == String, Value: TreeDecodable {
    public init(tree: TreeNode) throws {
        guard case .object(let o) = tree.value else { throw Unbox.mismatch([String: Value].self, tree.value, tree.path) }
        let path = tree.path
        self.init(minimumCapacity: o.count)
        for (k, v) in o { self[k] = try Value(tree: TreeNode(value: v, parent: path, key: NameKey(k), tracker: tree.tracker)) }
    }
}

/// The spec's string enums: a value outside the enum is the error a synthesized init(from:) gives.
extension TreeDecodable where Self: RawRepresentable, RawValue == String {
    public init(tree: TreeNode) throws {
        let raw = try Unbox.string(tree.value, tree.path)
        guard let v = Self(rawValue: raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: tree.path,
                                                    debugDescription: "Cannot initialize \(Self.self) from invalid String value \(raw)"))
        }
        self = v
    }
}
