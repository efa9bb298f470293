import CLinux
import Glibc
import Kernel

/// One namespace as lsns(8) reports it.
public struct NamespaceEntry: Equatable {
    public var inode: UInt64
    public var kind: NamespaceKind
    public var processCount = 0
    /// The lowest PID holding it (nil when only a bind mount keeps it alive).
    public var pid: pid_t?
    public var uid: UInt32?
    public var command: String?
    /// Bind mounts that keep it alive (`ip netns add`, `unshare --net=FILE`).
    public var paths: [String] = []
    /// Inode of the user namespace that owns it; for a user namespace, its parent (nil at the top).
    public var owner: UInt64?

    public var user: String? { uid.map { Identity.userName($0) ?? String($0) } }
}

/// Reads every namespace on the system: /proc/*/ns/* for those held by processes, nsfs mounts in
/// /proc/self/mountinfo for persistent ones.
public enum NamespaceList {
    public static func scan() -> [NamespaceEntry] {
        var entries: [Key: NamespaceEntry] = [:]
        let pids = ((try? FileIO.list("/proc")) ?? []).compactMap { pid_t($0) }.sorted()
        for pid in pids {
            var owner: UInt32?
            for kind in NamespaceKind.allCases {
                var st = stat()
                // Processes can exit while we look, and some ns links need ptrace access: skip those.
                guard stat("/proc/\(pid)/ns/\(kind.procName)", &st) == 0 else { continue }
                let key = Key(kind: kind, inode: UInt64(st.st_ino))
                if entries[key] == nil {
                    if owner == nil { owner = processOwner(pid) }
                    entries[key] = NamespaceEntry(inode: key.inode, kind: kind, pid: pid, uid: owner, command: commandLine(pid))
                    link(key, chain: ownerChain("/proc/\(pid)/ns/\(kind.procName)", kind), into: &entries)
                }
                entries[key]!.processCount += 1
            }
        }
        for (path, kind, inode) in persistentMounts() {
            let key = Key(kind: kind, inode: inode)
            if entries[key] == nil {
                entries[key] = NamespaceEntry(inode: inode, kind: kind)
                link(key, chain: ownerChain(path, kind), into: &entries)
            }
            entries[key]!.paths.append(path)
        }
        return entries.values.sorted { ($0.inode, $0.kind.procName) < ($1.inode, $1.kind.procName) }
    }

    struct Key: Hashable {
        var kind: NamespaceKind
        var inode: UInt64
    }

    static func processOwner(_ pid: pid_t) -> UInt32? {
        var st = stat()
        return stat("/proc/\(pid)", &st) == 0 ? st.st_uid : nil
    }

    /// The command line with NULs as spaces, like lsns's COMMAND column; the comm name for kernel threads.
    static func commandLine(_ pid: pid_t) -> String? {
        if let bytes = try? FileIO.read("/proc/\(pid)/cmdline"), !bytes.isEmpty {
            let trimmed = bytes.last == 0 ? bytes.dropLast() : bytes[...]
            return String(decoding: trimmed.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        }
        return (try? FileIO.readString("/proc/\(pid)/comm")).map { "[" + $0.filter { $0 != "\n" } + "]" }
    }

    /// The owning user namespace and its ancestors, nearest first: ioctl(NS_GET_USERNS) — NS_GET_PARENT for a
    /// user namespace — then NS_GET_PARENT up to the top, with fstat for each inode.
    static func ownerChain(_ path: String, _ kind: NamespaceKind) -> [UInt64] {
        var fd = cove_open(path, O_RDONLY | O_CLOEXEC, 0)
        guard fd >= 0 else { return [] }
        var chain: [UInt64] = []
        var request = kind == .user ? COVE_NS_GET_PARENT : COVE_NS_GET_USERNS
        while true {
            let next = cove_ioctl(fd, request, 0)
            close(fd)
            // EPERM: the parent lies outside our own user namespace (or this is the top).
            guard next >= 0 else { return chain }
            var st = stat()
            guard fstat(next, &st) == 0 else { close(next); return chain }
            chain.append(UInt64(st.st_ino))
            fd = next
            request = COVE_NS_GET_PARENT
        }
    }

    /// Adds the owner chain of `key`: user namespaces kept alive only by the namespaces they own still
    /// belong in the tree, with no processes.
    static func link(_ key: Key, chain: [UInt64], into entries: inout [Key: NamespaceEntry]) {
        entries[key]?.owner = chain.first
        for (i, inode) in chain.enumerated() {
            let k = Key(kind: .user, inode: inode)
            if entries[k] != nil { break }
            entries[k] = NamespaceEntry(inode: inode, kind: .user, owner: i + 1 < chain.count ? chain[i + 1] : nil)
        }
    }

    /// nsfs bind mounts: mountinfo lines whose filesystem type is nsfs and whose root is "net:[4026532…]".
    static func persistentMounts() -> [(String, NamespaceKind, UInt64)] {
        let text = (try? FileIO.readString("/proc/self/mountinfo")) ?? ""
        var seen = Set<String>()
        return text.split(separator: "\n").compactMap { line in
            let halves = line.split(separator: " - ", maxSplits: 1)
            guard halves.count == 2, halves[1].hasPrefix("nsfs ") else { return nil }
            let fields = halves[0].split(separator: " ")
            guard fields.count >= 5 else { return nil }
            let root = fields[3], mountPoint = Text.unescapeMountinfo(String(fields[4]))
            guard let colon = root.firstIndex(of: ":"), let kind = NamespaceKind(procName: String(root[..<colon])),
                  let inode = UInt64(root[root.index(colon, offsetBy: 2)...].dropLast()),
                  seen.insert(mountPoint).inserted else { return nil }
            return (mountPoint, kind, inode)
        }
    }

    /// The /proc/PID/ns view of one process: (entry name, inode), including pid_for_children/time_for_children.
    public static func show(pid: pid_t?) throws -> [(name: String, inode: UInt64?)] {
        let dir = "/proc/\(pid.map(String.init) ?? "self")/ns"
        guard FileIO.isDirectory(dir) else { throw CoveError("no such process: \(pid.map(String.init) ?? "self")") }
        return try FileIO.list(dir).sorted().map { name in
            (name, try? Namespaces.inode(path: "\(dir)/\(name)"))
        }
    }
}
