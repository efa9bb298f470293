/// A `Decoder` over a parsed `JSONValue`, with JSONDecoder's error shapes (typeMismatch, valueNotFound,
/// keyNotFound, dataCorrupted with the coding path) — plus numbers out of a field's range reported with
/// their path, and the object keys no type asked for (`KeyTracker`), which is how config.json's unknown
/// fields are found without a second decode.
struct JSONTreeDecoder: Decoder {
    let value: JSONValue
    let codingPath: [CodingKey]
    let tracker: KeyTracker?
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue, path: [CodingKey], tracker: KeyTracker?) throws -> T {
        // A JSONValue field takes its subtree as it is: every key in it is known.
        if T.self == JSONValue.self { return value as! T }
        // Dictionary's own init(from:) goes through generic code whose first run makes the Swift runtime
        // scan every protocol conformance in the binary (about 0.1 ms each, on every command that reads
        // state.json): string maps (annotations, sysctl, cgroup paths) are read here instead.
        if T.self == [String: String].self { return try stringMap(value, path: path) as! T }
        return try T(from: JSONTreeDecoder(value: value, codingPath: path, tracker: tracker))
    }

    static func stringMap(_ value: JSONValue, path: [CodingKey]) throws -> [String: String] {
        guard case .object(let o) = value else { throw Unbox.mismatch([String: String].self, value, path) }
        var out: [String: String] = [:]
        out.reserveCapacity(o.count)
        for (k, v) in o { out[k] = try Unbox.string(v, path + [NameKey(k)]) }
        return out
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        switch value {
        case .object(let o):
            let visit = tracker.map { $0.visit(o, path: codingPath) }
            return KeyedDecodingContainer(KeyedContainer<Key>(object: o, codingPath: codingPath, visit: visit, tracker: tracker))
        case .null:
            throw DecodingError.valueNotFound([String: Any].self, .init(codingPath: codingPath, debugDescription: "null"))
        default:
            throw DecodingError.typeMismatch([String: Any].self, .init(codingPath: codingPath, debugDescription: "not an object"))
        }
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        switch value {
        case .array(let a): return UnkeyedContainer(array: a, codingPath: codingPath, tracker: tracker)
        case .null: throw DecodingError.valueNotFound([Any].self, .init(codingPath: codingPath, debugDescription: "null"))
        default: throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "not an array"))
        }
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { SingleContainer(value: value, codingPath: codingPath, tracker: tracker) }
}

/// Which keys of which objects the decoded types asked for.
final class KeyTracker {
    final class Visit {
        let object: [String: JSONValue]
        let path: [CodingKey]
        /// Keys the Codable containers asked for.
        var asked: Set<String> = []
        /// Keys `TreeObject` read, in order (each once: a type reads each of its fields once), and how many of
        /// them the object has: when that is all of its keys, none is unknown and nothing is hashed.
        var read: [String] = []
        var present = 0
        init(object: [String: JSONValue], path: [CodingKey]) { self.object = object; self.path = path }

        func read(_ key: String, present found: Bool) {
            read.append(key)
            if found { present += 1 }
        }

        var complete: Bool { asked.isEmpty && present == object.count }
        func knows(_ key: String) -> Bool { asked.contains(key) || read.contains(key) }
    }
    var visits: [Visit] = []

    func visit(_ object: [String: JSONValue], path: [CodingKey]) -> Visit {
        let v = Visit(object: object, path: path)
        visits.append(v)
        return v
    }

    /// Paths (`linux.resources.foo`, `mounts[2].bar`) of keys no type asked for, sorted. A key whose value is
    /// null counts as absent (the typed model reads it as "not set"). When one object was read by more than
    /// one container, a key asked for by any of them is known.
    func unknownFields() -> [String] {
        var leftovers: [(Visit, String)] = []
        for v in visits where !v.complete {
            for (key, value) in v.object where value != .null && !v.knows(key) { leftovers.append((v, key)) }
        }
        if leftovers.isEmpty { return [] }
        var asked: [String: Set<String>] = [:]
        for v in visits { asked[SpecDecoder.fieldPath(v.path), default: []].formUnion(v.asked.union(v.read)) }
        var out: [String] = []
        for (v, key) in leftovers {
            let parent = SpecDecoder.fieldPath(v.path)
            if asked[parent]?.contains(key) == true { continue }
            out.append(v.path.isEmpty ? key : "\(parent).\(key)")
        }
        return Array(Set(out)).sorted()
    }
}

struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue!)" }
    init(_ i: Int) { intValue = i }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.intValue = intValue }
}

struct NameKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

/// Scalars: one function per JSON kind, shared by the three container types.
enum Unbox {
    static func mismatch<T>(_ t: T.Type, _ v: JSONValue, _ path: [CodingKey]) -> DecodingError {
        if v == .null { return .valueNotFound(t, .init(codingPath: path, debugDescription: "null")) }
        return .typeMismatch(t, .init(codingPath: path, debugDescription: "wrong JSON type"))
    }

    static func bool(_ v: JSONValue, _ path: @autoclosure () -> [CodingKey]) throws -> Bool {
        guard case .bool(let b) = v else { throw mismatch(Bool.self, v, path()) }
        return b
    }

    static func string(_ v: JSONValue, _ path: @autoclosure () -> [CodingKey]) throws -> String {
        guard case .string(let s) = v else { throw mismatch(String.self, v, path()) }
        return s
    }

    static func double(_ v: JSONValue, _ path: @autoclosure () -> [CodingKey]) throws -> Double {
        switch v {
        case .int(let i): return Double(i)
        case .uint(let u): return Double(u)
        case .double(let d): return d
        default: throw mismatch(Double.self, v, path())
        }
    }

    static func integer<T: FixedWidthInteger>(_ v: JSONValue, _ t: T.Type, _ path: @autoclosure () -> [CodingKey]) throws -> T {
        // The number is formatted only for the error message, not for every field.
        let text: String
        switch v {
        case .int(let i):
            if let x = T(exactly: i) { return x }
            text = String(i)
        case .uint(let u):
            if let x = T(exactly: u) { return x }
            text = String(u)
        case .double(let d):
            guard d.rounded(.towardZero) == d else { throw mismatch(t, v, path()) }
            if let x = T(exactly: d) { return x }
            text = String(d)
        default: throw mismatch(t, v, path())
        }
        throw DecodingError.dataCorrupted(.init(codingPath: path(), debugDescription: "\(text) is out of range for this field"))
    }
}
