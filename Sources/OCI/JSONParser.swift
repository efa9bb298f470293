/// A syntax error in a JSON document, with the line and column where parsing stopped.
public struct JSONSyntaxError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var line: Int
    public var column: Int
    public var description: String { "\(message) at line \(line), column \(column)" }
}

/// RFC 8259 JSON text → `JSONValue`, strictly (no comments, no trailing commas, no leading zeros).
/// Hand-written over the bytes because FoundationEssentials' JSONDecoder costs ~15M instructions for a
/// 3 KB config.json — most of `cove create`'s own CPU time. Integers keep their exact value (`.int`,
/// `.uint`); only numbers with a fraction or exponent become `.double`.
public enum JSONParser {
    /// Objects and arrays nested deeper than this are refused rather than risking the stack.
    static let maxDepth = 512

    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer in
            var p = ByteReader(bytes: buffer)
            let value = try p.value(depth: 0)
            p.skipSpace()
            guard p.at == buffer.count else { throw p.error("unexpected data after the JSON document") }
            return value
        }
    }
}

private struct ByteReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var at = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func error(_ message: String) -> JSONSyntaxError {
        var line = 1, column = 1
        for b in bytes[0..<min(at, bytes.count)] {
            if b == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
        }
        return JSONSyntaxError(message: message, line: line, column: column)
    }

    mutating func skipSpace() {
        while at < bytes.count {
            switch bytes[at] {
            case 0x20, 0x0A, 0x0D, 0x09: at += 1
            default: return
            }
        }
    }

    mutating func value(depth: Int) throws -> JSONValue {
        skipSpace()
        guard at < bytes.count else { throw error("unexpected end of input") }
        switch bytes[at] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        case let c: throw error("unexpected character '\(Character(Unicode.Scalar(c)))'")
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        let same = at + n <= bytes.count && word.withUTF8Buffer { w in (0..<n).allSatisfy { bytes[at + $0] == w[$0] } }
        guard same else { throw error("invalid literal (expected \(word))") }
        at += n
    }

    mutating func object(depth: Int) throws -> JSONValue {
        guard depth <= JSONParser.maxDepth else { throw error("nested too deeply") }
        at += 1
        var out: [String: JSONValue] = [:]
        skipSpace()
        if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .object(out) }
        while true {
            skipSpace()
            guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try string()
            skipSpace()
            guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw error("expected ':' after an object key") }
            at += 1
            out[key] = try value(depth: depth)
            skipSpace()
            guard at < bytes.count else { throw error("unexpected end of input in an object") }
            if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
            if bytes[at] == UInt8(ascii: "}") { at += 1; return .object(out) }
            throw error("expected ',' or '}' in an object")
        }
    }

    mutating func array(depth: Int) throws -> JSONValue {
        guard depth <= JSONParser.maxDepth else { throw error("nested too deeply") }
        at += 1
        var out: [JSONValue] = []
        skipSpace()
        if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .array(out) }
        while true {
            out.append(try value(depth: depth))
            skipSpace()
            guard at < bytes.count else { throw error("unexpected end of input in an array") }
            if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
            if bytes[at] == UInt8(ascii: "]") { at += 1; return .array(out) }
            throw error("expected ',' or ']' in an array")
        }
    }

    /// The common case — no escapes — is one scan and one copy.
    mutating func string() throws -> String {
        at += 1
        let start = at
        var ascii = true
        while at < bytes.count {
            let c = bytes[at]
            if c == UInt8(ascii: "\"") {
                defer { at += 1 }
                let utf8 = UnsafeBufferPointer(rebasing: bytes[start..<at])
                return ascii ? String(decoding: utf8, as: UTF8.self) : try validated(utf8)
            }
            if c == UInt8(ascii: "\\") { return try escapedString(from: start) }
            if c < 0x20 { throw error("control character in a string") }
            if c >= 0x80 { ascii = false }
            at += 1
        }
        throw error("unterminated string")
    }

    /// ASCII needs no validation, and String(decoding:) over bytes is the stdlib's non-generic fast path;
    /// String(validating:as:) is generic over the encoding and makes the runtime look up metadata on every
    /// call (~1,300 instructions each, a third of parsing a state.json).
    func validated(_ utf8: UnsafeBufferPointer<UInt8>) throws -> String {
        guard let s = String(validating: utf8, as: UTF8.self) else { throw error("invalid UTF-8 in a string") }
        return s
    }

    mutating func escapedString(from start: Int) throws -> String {
        var out = [UInt8](bytes[start..<at])
        while at < bytes.count {
            let c = bytes[at]
            switch c {
            case UInt8(ascii: "\""):
                at += 1
                return try out.withUnsafeBufferPointer { try validated($0) }
            case UInt8(ascii: "\\"):
                at += 1
                guard at < bytes.count else { throw error("unterminated string") }
                let e = bytes[at]
                at += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): out.append(contentsOf: try unicodeEscape())
                default: throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
                }
            default:
                if c < 0x20 { throw error("control character in a string") }
                out.append(c)
                at += 1
            }
        }
        throw error("unterminated string")
    }

    /// `\uXXXX` (after the `u`), joining a surrogate pair; returns the scalar's UTF-8.
    mutating func unicodeEscape() throws -> [UInt8] {
        var scalar = try hex4()
        if (0xD800...0xDBFF).contains(scalar) {
            guard at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else {
                throw error("unpaired surrogate in \\u escape")
            }
            at += 2
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate in \\u escape") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(scalar) {
            throw error("unpaired surrogate in \\u escape")
        }
        return Array(String(Character(Unicode.Scalar(scalar)!)).utf8)
    }

    mutating func hex4() throws -> UInt32 {
        guard at + 4 <= bytes.count else { throw error("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[at]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v << 4 | UInt32(d)
            at += 1
        }
        return v
    }

    mutating func digits() -> Int {
        let start = at
        while at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) { at += 1 }
        return at - start
    }

    mutating func number() throws -> JSONValue {
        let start = at
        let negative = bytes[at] == UInt8(ascii: "-")
        if negative { at += 1 }
        let intStart = at
        let n = digits()
        guard n > 0 else { throw error("expected a digit") }
        if n > 1, bytes[intStart] == UInt8(ascii: "0") { at = intStart + 1; throw error("leading zero in a number") }
        var integral = true
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
            integral = false
            at += 1
            guard digits() > 0 else { throw error("expected a digit after '.'") }
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
            integral = false
            at += 1
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard digits() > 0 else { throw error("expected a digit in the exponent") }
        }
        if integral {
            // Accumulate as a negative Int64 first: its range holds -9223372036854775808.
            var acc: Int64 = 0
            var fits = true
            for b in bytes[intStart..<at] {
                let (m, o1) = acc.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.subtractingReportingOverflow(Int64(b - UInt8(ascii: "0")))
                if o1 || o2 { fits = false; break }
                acc = s
            }
            if fits {
                if negative { return .int(acc) }
                if acc != Int64.min { return .int(-acc) }
            }
            if !negative, let u = UInt64(String(decoding: UnsafeBufferPointer(rebasing: bytes[intStart..<at]), as: UTF8.self)) {
                return .uint(u)
            }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else { throw error("number \(text) is out of range") }
        return .double(d)
    }
}
