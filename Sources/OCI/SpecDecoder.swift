/// Bad input in a spec document: one line naming the file and field.
public struct SpecError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A decoded config.json and the fields it had that the runtime-spec does not define. The spec asks
/// runtimes to ignore unknown properties; Cove reports them instead of dropping them silently.
public struct DecodedSpec: Sendable {
    public var spec: Spec
    /// The document as parsed, unknown fields included (what a container's state keeps).
    public var raw: JSONValue
    public var unknownFields: [String]
}

public enum SpecDecoder {
    /// Parses and schema-checks a config.json document (types, required fields, enums, patterns).
    /// Platform suitability is a separate step: `SpecValidator.validateForLinux`.
    public static func decode(_ bytes: [UInt8], source: String = "config.json") throws -> DecodedSpec {
        let raw = try parse(bytes, source: source)
        let (spec, unknown) = try decodeReportingUnknown(Spec.self, from: raw, source: source)
        try SchemaChecks.check(spec, source: source)
        return DecodedSpec(spec: spec, raw: raw, unknownFields: unknown)
    }

    /// Decodes a JSON object document and names the fields (`linux.resources.foo`) no type asked for.
    public static func decodeReportingUnknown<T: TreeDecodable>(_ type: T.Type, from bytes: [UInt8], source: String) throws -> (T, [String]) {
        try decodeReportingUnknown(type, from: try parse(bytes, source: source), source: source)
    }

    static func decodeReportingUnknown<T: TreeDecodable>(_ type: T.Type, from raw: JSONValue, source: String) throws -> (T, [String]) {
        guard case .object = raw else { throw SpecError("\(source): expected a JSON object at the top level") }
        let tracker = KeyTracker()
        let value = try reporting(source) { try T(tree: TreeNode(value: raw, parent: [], key: nil, tracker: tracker)) }
        return (value, tracker.unknownFields())
    }

    /// A runtime-spec type (config.json or a part of it: `process` for exec, `linux.resources` for update).
    public static func decode<T: TreeDecodable>(_ type: T.Type, from bytes: [UInt8], source: String) throws -> T {
        let raw = try parse(bytes, source: source)
        return try reporting(source) { try T(tree: TreeNode(value: raw, parent: [], key: nil, tracker: nil)) }
    }

    /// A runtime-spec type from a parsed document, or the part of one at `path` (which errors then name in full).
    public static func decode<T: TreeDecodable>(_ type: T.Type, from value: JSONValue, source: String, at path: [String] = []) throws -> T {
        try reporting(source) { try T(tree: TreeNode(value: value, parent: path.map { NameKey($0) }, key: nil, tracker: nil)) }
    }

    static func reporting<T>(_ source: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DecodingError {
            throw SpecError("\(source): \(describe(error))")
        }
    }

    /// Decodes any runtime-spec document (state.json, features) with the same error shape.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], source: String) throws -> T {
        try decode(type, from: try parse(bytes, source: source), source: source, tracker: nil)
    }

    /// Decodes a parsed document, or the part of one at `path` (which errors then name in full).
    public static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue, source: String, at path: [String] = []) throws -> T {
        do {
            return try JSONTreeDecoder.decode(type, from: value, path: path.map { NameKey($0) }, tracker: nil)
        } catch let error as DecodingError {
            throw SpecError("\(source): \(describe(error))")
        }
    }

    /// Parses JSON text, with the error shape of `decode`.
    public static func parse(_ bytes: [UInt8], source: String) throws -> JSONValue {
        do {
            return try JSONParser.parse(bytes)
        } catch let e as JSONSyntaxError {
            throw SpecError("\(source): invalid JSON: \(e)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from raw: JSONValue, source: String, tracker: KeyTracker?) throws -> T {
        do {
            return try JSONTreeDecoder.decode(type, from: raw, path: [], tracker: tracker)
        } catch let error as DecodingError {
            throw SpecError("\(source): \(describe(error))")
        }
    }

    /// `linux.namespaces[2].type`: the coding path as the spec's field path.
    static func fieldPath(_ keys: [CodingKey], last: CodingKey? = nil) -> String {
        var out = ""
        for key in keys + (last.map { [$0] } ?? []) {
            if let i = key.intValue, key.stringValue.hasPrefix("Index") || key.stringValue == String(i) {
                out += "[\(i)]"
            } else {
                out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return out.isEmpty ? "(top level)" : out
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let ctx):
            return "\(fieldPath(ctx.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let ctx):
            return "\(fieldPath(ctx.codingPath)): expected \(typeName(type)), got null"
        case .keyNotFound(let key, let ctx):
            return "\(fieldPath(ctx.codingPath, last: key)): required field is missing"
        case .dataCorrupted(let ctx):
            var text = ctx.debugDescription
            if let range = text.firstRange(of: "from invalid String value ") {
                text = "invalid value '\(text[range.upperBound...])'"
            }
            if let u = ctx.underlyingError { text += " (\(u))" }
            return "\(fieldPath(ctx.codingPath)): \(text)"
        @unknown default:
            return "\(error)"
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        let name = String(describing: type)
        switch name {
        case "String": return "a string"
        case "Bool": return "a boolean"
        case "Int", "Int64", "Int32": return "an integer"
        case "UInt8": return "an integer 0-255"
        case "UInt16": return "an integer 0-65535"
        case "UInt32": return "an integer 0-4294967295"
        case "UInt64": return "a non-negative integer"
        default:
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "an object (\(name))"
        }
    }
}
