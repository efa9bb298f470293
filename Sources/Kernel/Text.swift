/// Strings joined, and paths split, without the standard library's generic `joined(separator:)`: its first use
/// for a collection type makes the Swift runtime look the type's conformances up by scanning every
/// conformance record in the binary (~0.1-0.2 ms each). A container's init met five such scans while it made
/// mount targets, mount options and device nodes, all on the path `create` waits for.
public enum Text {
    /// The non-empty components of `path`: `//a//b/` → `["a", "b"]`.
    public static func pathComponents(_ path: String) -> [String] {
        var parts: [String] = []
        var path = path
        path.withUTF8 { bytes in
            var start = 0
            for i in 0...bytes.count where i == bytes.count || bytes[i] == slash {
                if i > start { parts.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)) }
                start = i + 1
            }
        }
        return parts
    }

    /// `parts` with `separator` between them.
    public static func join(_ parts: ArraySlice<String>, separator: String) -> String {
        var out = ""
        var first = true
        for p in parts {
            if !first { out += separator }
            out += p
            first = false
        }
        return out
    }

    /// `a/b` for `/a/b`, `a/b/` and `//a//b`.
    public static func relativePath(_ path: String) -> String {
        var path = path
        return path.withUTF8 { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var slashPending = false
            for b in bytes {
                if b == slash {
                    slashPending = !out.isEmpty
                } else {
                    if slashPending { out.append(slash) }
                    slashPending = false
                    out.append(b)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Paths are split on the byte: "/" never occurs inside a longer UTF-8 sequence, and String's own
    /// `split` walks grapheme clusters (Character), which a profile of 50 parallel `run`s showed.
    static var slash: UInt8 { 0x2F }

    /// A mountinfo field with its octal escapes (\040 space, \011 tab, \012 newline, \134 backslash) decoded;
    /// a backslash not followed by three octal digits stays as it is. Bytes throughout: no Character walk.
    public static func unescapeMountinfo(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(UInt8(ascii: "\\")) else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == UInt8(ascii: "\\"), i + 3 < bytes.endIndex, let code = octalByte(bytes[(i + 1)..<(i + 4)]) {
                out.append(code)
                i += 4
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func unescapeMountinfo(_ s: String) -> String { unescapeMountinfo(Array(s.utf8)[...]) }

    /// Three octal digits as one byte; nil for anything else (or above 0o377).
    static func octalByte(_ digits: ArraySlice<UInt8>) -> UInt8? {
        var v = 0
        for d in digits {
            guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "7") else { return nil }
            v = v * 8 + Int(d - UInt8(ascii: "0"))
        }
        return v <= 0xFF ? UInt8(v) : nil
    }
}
