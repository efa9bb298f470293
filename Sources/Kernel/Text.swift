/// Strings joined, and paths split, without the standard library's generic `joined(separator:)`: its first use
/// for a collection type makes the Swift runtime look the type's conformances up by scanning every
/// conformance record in the binary (~0.1-0.2 ms each). A container's init met five such scans while it made
/// mount targets, mount options and device nodes, all on the path `create` waits for.
public enum Text {
    /// The non-empty components of `path`: `//a//b/` → `["a", "b"]`.
    public static func pathComponents(_ path: String) -> [String] {
        var parts: [String] = []
        for part in path.split(separator: "/") { parts.append(String(part)) }
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
        var out = ""
        for part in path.split(separator: "/") {
            if !out.isEmpty { out.append("/") }
            // append(contentsOf: Substring): `+ part` resolves the generic Sequence overload at run time.
            out.append(contentsOf: part)
        }
        return out
    }
}
