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
            if case .dataCorrupted(let ctx) = error, ctx.codingPath.isEmpty, let field = badNumber(in: raw) {
                throw SpecError("\(source): \(field)")
            }
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

    /// JSONDecoder reports a number that does not fit its field (-1 for a uid) as "not valid JSON" without
    /// a path: find it by zeroing one number at a time until the document decodes past it.
    static func badNumber(in raw: JSONValue) -> String? {
        func numbers(_ v: JSONValue, _ path: String) -> [(String, JSONValue)] {
            switch v {
            case .int, .uint, .double: return [(path, v)]
            case .array(let a): return a.enumerated().flatMap { numbers($0.element, "\(path)[\($0.offset)]") }
            case .object(let o): return o.keys.sorted().flatMap { numbers(o[$0]!, path.isEmpty ? $0 : "\(path).\($0)") }
            default: return []
            }
        }
        func replacing(_ v: JSONValue, _ path: String, _ current: String) -> JSONValue {
            if current == path { return .int(0) }
            switch v {
            case .array(let a): return .array(a.enumerated().map { replacing($0.element, path, "\(current)[\($0.offset)]") })
            case .object(let o):
                var out: [String: JSONValue] = [:]
                for (k, x) in o { out[k] = replacing(x, path, current.isEmpty ? k : "\(current).\(k)") }
                return .object(out)
            default: return v
            }
        }
        for (path, value) in numbers(raw, "") {
            guard let data = try? JSONEncoder().encode(replacing(raw, path, "")) else { continue }
            do {
                _ = try JSONDecoder().decode(Spec.self, from: data)
            } catch let DecodingError.dataCorrupted(ctx) where ctx.codingPath.isEmpty {
                continue
            } catch {}
            let text: String
            switch value {
            case .int(let i): text = String(i)
            case .uint(let u): text = String(u)
            case .double(let d): text = String(d)
            default: text = "?"
            }
            return "\(path): \(text) is out of range for this field"
        }
        return nil
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
            if let u = ctx.underlyingError { text += " (\(u))" }
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
