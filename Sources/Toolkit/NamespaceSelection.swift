import Kernel

/// Which namespaces a tool was asked for, each with an optional file (to persist it, or to join it).
/// A small array rather than a Dictionary: instantiating Dictionary<NamespaceKind, …> makes the Swift runtime
/// look up NamespaceKind's Hashable conformance by scanning every conformance record in the binary — a
/// measurable part of `cove unshare`'s start-up.
public struct NamespaceSelection {
    private var entries: [(kind: NamespaceKind, file: String?)] = []

    public init() {}

    /// nil: not selected; .some(nil): selected without a file; .some(path): selected with a file.
    public subscript(kind: NamespaceKind) -> String?? {
        get {
            for e in entries where e.kind == kind { return .some(e.file) }
            return nil
        }
        set {
            entries.removeAll { $0.kind == kind }
            if let value = newValue { entries.append((kind, value)) }
        }
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var kinds: [NamespaceKind] { entries.map(\.kind) }
    public var files: [String?] { entries.map(\.file) }
}
