import FoundationEssentials

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
    public var unknownFields: [String]
}

public enum SpecDecoder {
    /// Parses and schema-checks a config.json document (types, required fields, enums, patterns).
    /// Platform suitability is a separate step: `SpecValidator.validateForLinux`.
    public static func decode(_ bytes: [UInt8], source: String = "config.json") throws -> DecodedSpec {
        let data = Data(bytes)
        let raw: JSONValue
        do {
            raw = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw SpecError("\(source): invalid JSON: \(jsonSyntaxMessage(error))")
        }
        guard case .object = raw else { throw SpecError("\(source): expected a JSON object at the top level") }
        let spec: Spec
        do {
            spec = try JSONDecoder().decode(Spec.self, from: data)
        } catch let error as DecodingError {
            throw SpecError("\(source): \(describe(error))")
        }
        try SchemaChecks.check(spec, source: source)
        let back = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(spec))
        return DecodedSpec(spec: spec, unknownFields: raw.keysMissing(in: back))
    }

    /// Decodes any runtime-spec document (state.json, features) with the same error shape.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], source: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            if case .dataCorrupted(let ctx) = error, ctx.codingPath.isEmpty {
                throw SpecError("\(source): invalid JSON: \(jsonSyntaxMessage(error))")
            }
            throw SpecError("\(source): \(describe(error))")
        }
    }

    /// `linux.namespaces[2].type`: the coding path as the spec's field path.
    static func path(_ keys: [CodingKey], last: CodingKey? = nil) -> String {
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
            return "\(path(ctx.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let ctx):
            return "\(path(ctx.codingPath)): expected \(typeName(type)), got null"
        case .keyNotFound(let key, let ctx):
            return "\(path(ctx.codingPath, last: key)): required field is missing"
        case .dataCorrupted(let ctx):
            var text = ctx.debugDescription
            if let range = text.firstRange(of: "from invalid String value ") {
                text = "invalid value '\(text[range.upperBound...])'"
            }
            return "\(path(ctx.codingPath)): \(text)"
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

    static func jsonSyntaxMessage(_ error: Error) -> String {
        if let e = error as? DecodingError, case .dataCorrupted(let ctx) = e {
            if let underlying = ctx.underlyingError { return "\(underlying)" }
            return ctx.debugDescription
        }
        return "\(error)"
    }
}
