import Foundation
import Testing
@testable import OCI

private let fixtures = "/work/shared/oci-runtime-spec-schema/test"

private func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

private func syntaxError(_ text: String) -> JSONSyntaxError? {
    do { _ = try parse(text); return nil } catch { return error as? JSONSyntaxError }
}

@Suite("OCI JSON parser, tree decoder and encoder")
struct OCIJSONTests {
    @Test("scalars keep their kind: exact integers as int or uint, fractions and exponents as double")
    func numberKinds() throws {
        #expect(try parse("0") == .int(0))
        #expect(try parse("-12") == .int(-12))
        #expect(try parse("-9223372036854775808") == .int(Int64.min))
        #expect(try parse("9223372036854775807") == .int(Int64.max))
        #expect(try parse("9223372036854775808") == .uint(9_223_372_036_854_775_808))
        #expect(try parse("18446744073709551615") == .uint(UInt64.max))
        #expect(try parse("18446744073709551616") == .double(18446744073709551616))
        #expect(try parse("1.5") == .double(1.5))
        #expect(try parse("-2e3") == .double(-2000))
        #expect(try parse(" true ") == .bool(true))
        #expect(try parse("null") == .null)
        #expect(try parse(#"{"a":[1,{"b":false}],"c":{}}"#)
            == .object(["a": .array([.int(1), .object(["b": .bool(false)])]), "c": .object([:])]))
    }

    @Test("string escapes, surrogate pairs and UTF-8 come out as Swift strings")
    func strings() throws {
        #expect(try parse(#""a\"b\\c\/d\n\t\r\b\f""#) == .string("a\"b\\c/d\n\t\r\u{08}\u{0C}"))
        #expect(try parse(#""\u00e9\u4e2d\ud83d\ude00""#) == .string("é中😀"))
        #expect(try parse("\"héllo 中文\"") == .string("héllo 中文"))
        #expect(try parse(#"{"k\u0041":1}"#) == .object(["kA": .int(1)]))
    }

    @Test("malformed documents are refused with the line and column", arguments: [
        ("{\"a\":1,}", "expected a string key", 1, 8),
        ("[1,2", "unexpected end of input in an array", 1, 5),
        ("{\n  \"a\": 01\n}", "leading zero in a number", 2, 9),
        ("\"a\tb\"", "control character in a string", 1, 3),
        ("\"abc", "unterminated string", 1, 5),
        ("{} x", "unexpected data after the JSON document", 1, 4),
        ("tru", "invalid literal (expected true)", 1, 1),
        (#""\x""#, "invalid escape '\\x'", 1, 4),
        (#""\ud800""#, "unpaired surrogate in \\u escape", 1, 8),
        ("-", "expected a digit", 1, 2),
        ("1.", "expected a digit after '.'", 1, 3),
        ("", "unexpected end of input", 1, 1),
    ] as [(String, String, Int, Int)])
    func syntaxErrors(_ text: String, _ message: String, _ line: Int, _ column: Int) {
        let e = syntaxError(text)
        #expect(e == JSONSyntaxError(message: message, line: line, column: column), "\(String(describing: e))")
    }

    @Test("invalid UTF-8 and runaway nesting are refused")
    func hostileInput() {
        #expect((try? JSONParser.parse([0x22, 0xFF, 0xFE, 0x22])) == nil)
        #expect(syntaxError(String(repeating: "[", count: 600) + String(repeating: "]", count: 600))?.message == "nested too deeply")
        #expect(syntaxError(String(repeating: "[", count: 500) + String(repeating: "]", count: 500)) == nil)
    }

    @Test("every schema fixture parses to the same tree as Foundation's JSONSerialization")
    func agreesWithFoundation() throws {
        let names = try FileManager.default.subpathsOfDirectory(atPath: fixtures).filter { $0.hasSuffix(".json") }
        #expect(names.count > 15)
        func convert(_ any: Any) -> JSONValue {
            switch any {
            case is NSNull: return .null
            case let s as String: return .string(s)
            case let a as [Any]: return .array(a.map(convert))
            case let o as [String: Any]: return .object(o.mapValues(convert))
            case let n as NSNumber:
                let kind = String(cString: n.objCType)
                if kind == "c" || kind == "B" { return .bool(n.boolValue) }
                if kind == "d" || kind == "f" { return .double(n.doubleValue) }
                if n.int64Value < 0 { return .int(n.int64Value) }
                return n.uint64Value <= UInt64(Int64.max) ? .int(n.int64Value) : .uint(n.uint64Value)
            default: return .string("unconvertible \(any)")
            }
        }
        var compared = 0
        for name in names {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/\(name)"))
            guard let reference = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
                #expect(throws: JSONSyntaxError.self, "\(name)") { try JSONParser.parse(Array(data)) }
                continue
            }
            #expect(try JSONParser.parse(Array(data)) == convert(reference), "\(name)")
            compared += 1
        }
        #expect(compared > 15)
    }

    @Test("the tree encoder writes what JSONEncoder writes, in declaration order, and decodes back equal")
    func encoderRoundTrip() throws {
        var spec = DefaultSpec.make()
        spec.annotations = ["org.example/key": "a \"quoted\" value\n"]
        var memory = Resources.Memory()
        memory.limit = 1 << 30
        memory.swap = -1
        if spec.linux?.resources == nil { spec.linux?.resources = Resources() }
        spec.linux?.resources?.memory = memory
        let text = try JSONTreeEncoder.encode(spec)
        #expect(text.hasPrefix(#"{"ociVersion":"#))
        #expect(!text.contains("\\/"))
        #expect(try JSONParser.parse(Array(text.utf8)) == JSONParser.parse(Array(try JSONEncoder().encode(spec))))
        #expect(try SpecDecoder.decode(Array(text.utf8)).spec == spec)
    }

    @Test("a number that does not fit its field names the field; a fraction where an integer belongs is a type error")
    func numberRanges() {
        func error(_ json: String) -> String {
            do { _ = try SpecDecoder.decode(Array(json.utf8)); return "" } catch { return "\(error)" }
        }
        let base = #"{"ociVersion":"1.0.2","root":{"path":"r"},"process":{"cwd":"/","args":["sh"],"user":{"uid":UID,"gid":0}}}"#
        #expect(error(base.replacingOccurrences(of: "UID", with: "4294967296"))
            == "config.json: process.user.uid: 4294967296 is out of range for this field")
        #expect(error(base.replacingOccurrences(of: "UID", with: "1.5")) == "config.json: process.user.uid: expected an integer 0-4294967295")
        #expect(error(base.replacingOccurrences(of: "UID", with: "7.0")) == "")
        #expect(error(base.replacingOccurrences(of: "UID", with: "0").replacingOccurrences(of: #"{"path":"r"}"#, with: #"{"path":null}"#)) == "config.json: root.path: expected a string, got null")
        #expect(error("[1]") == "config.json: expected a JSON object at the top level")
        #expect(error("{\"ociVersion\": }").hasPrefix("config.json: invalid JSON: unexpected character '}' at line 1, column 16"))
    }

    @Test("unknown fields inside arrays and maps are found; null values and JSONValue subtrees are not reported")
    func unknownFieldPaths() throws {
        let json = #"""
        {"ociVersion":"1.0.2","root":{"path":"r"},"extra":null,
         "mounts":[{"destination":"/a"},{"destination":"/b","bogus":1}],
         "annotations":{"any":"thing"},"windows":{"whatever":{"deep":true}},
         "linux":{"resources":{"memory":{"limit":1,"limt":2}}}}
        """#
        let decoded = try SpecDecoder.decode(Array(json.utf8))
        #expect(decoded.unknownFields == ["linux.resources.memory.limt", "mounts[1].bogus"])
    }
}

@Suite("OCI JSON trees as text")
struct OCIJSONTextTests {
    @Test("a JSONValue renders as compact JSON with sorted keys that parses back equal, also inside a Codable type")
    func textRoundTrip() throws {
        let doc = #"{"b":[1,-2,18446744073709551615,1.5,"x\"y",null,true],"a":{"z":{},"y":[]}}"#
        let value = try JSONParser.parse(Array(doc.utf8))
        #expect(value.text == #"{"a":{"y":[],"z":{}},"b":[1,-2,18446744073709551615,1.5,"x\"y",null,true]}"#)
        #expect(try JSONParser.parse(Array(value.text.utf8)) == value)
        struct Holder: Codable { var name: String; var tree: JSONValue; var list: [JSONValue] }
        let text = try JSONTreeEncoder.encode(Holder(name: "n", tree: value, list: [.int(1), value]))
        #expect(text == #"{"name":"n","tree":\#(value.text),"list":[1,\#(value.text)]}"#)
        let back = try SpecDecoder.decode(Holder.self, from: Array(text.utf8), source: "t")
        #expect(back.tree == value && back.list == [.int(1), value])
        #expect(value[path: ["a", "z"]] == .object([:]))
        #expect(value[path: ["b", "x"]] == nil)
    }

    @Test("JSONText.quote escapes what JSON requires, copies the rest byte for byte, and agrees with JSONEncoder")
    func quoting() throws {
        let cases = ["", "a", "/sys/fs/cgroup/memory/cove/some-container-id-longer-than-15", "täst ✓ 𝄞",
                     "q\"uote", "back\\slash", "nl\ncr\rtab\t", "bell\u{07}nul\u{00}", "\u{1f}"]
        for s in cases {
            let quoted = JSONText.quote(s)
            #expect(try JSONParser.parse(Array(quoted.utf8)) == .string(s), "\(quoted)")
            let viaFoundation = String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
            #expect(try JSONParser.parse(Array(viaFoundation.utf8)) == JSONParser.parse(Array(quoted.utf8)))
        }
        #expect(JSONText.quote("plain/path") == #""plain/path""#)
        #expect(JSONText.quote("a\"b\\c\nd\u{01}") == #""a\"b\\c\nd\u0001""#)
    }
}
