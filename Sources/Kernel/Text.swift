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
}
