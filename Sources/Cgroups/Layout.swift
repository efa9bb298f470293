import Kernel

/// Which cgroup layout a host uses, found at run time from /proc/self/mountinfo.
public struct CgroupLayout: Equatable, Sendable {
    public enum Mode: String, Sendable {
        /// Only the v2 hierarchy (most current distributions).
        case unified
        /// Only v1 controller hierarchies.
        case legacy
        /// v1 controllers plus a v2 hierarchy (usually /sys/fs/cgroup/unified) holding few or no controllers.
        /// Cove manages such hosts through v1, as runc does.
        case hybrid
    }

    public var mode: Mode
    /// v1 controller name (`memory`, `cpu`, `name=systemd`) → mount point. Co-mounted controllers
    /// (`cpu,cpuacct`) share one mount point.
    public var v1Mounts: [String: String]
    /// The v2 hierarchy's mount point, if one is mounted.
    public var unifiedMount: String?

    public init(mode: Mode, v1Mounts: [String: String] = [:], unifiedMount: String? = nil) {
        self.mode = mode
        self.v1Mounts = v1Mounts
        self.unifiedMount = unifiedMount
    }

    /// A pure v2 layout rooted at `root` (default /sys/fs/cgroup); tests point it at a temporary directory.
    public static func v2(root: String = "/sys/fs/cgroup") -> CgroupLayout {
        CgroupLayout(mode: .unified, unifiedMount: root)
    }

    /// A v1 layout with each controller mounted at `root/<controller>`.
    public static func v1(root: String = "/sys/fs/cgroup", controllers: [String]) -> CgroupLayout {
        var mounts: [String: String] = [:]
        for c in controllers { mounts[c] = "\(root)/\(c)" }
        return CgroupLayout(mode: .legacy, v1Mounts: mounts)
    }

    /// The cgroup version the manager for this layout speaks.
    public var version: CgroupVersion { mode == .unified ? .v2 : .v1 }

    /// Reads /proc/self/mountinfo and detects the layout.
    public static func detect(mountinfoPath: String = "/proc/self/mountinfo") throws -> CgroupLayout {
        try detect(mountinfo: FileIO.readString(mountinfoPath))
    }

    /// Detects the layout from mountinfo text. When a hierarchy is mounted more than once the mount under
    /// /sys/fs/cgroup wins, then the first one listed.
    public static func detect(mountinfo: String) throws -> CgroupLayout {
        var mounts: [String: String] = [:]
        var unified: String?
        // Bytes, not Characters: String's split walks grapheme clusters, which costs more than the rest of
        // `create`'s cgroup work. Lines are split into fields only when their type is cgroup or cgroup2.
        let text = Array(mountinfo.utf8)
        var start = 0
        while start < text.count {
            let end = text[start...].firstIndex(of: UInt8(ascii: "\n")) ?? text.count
            let line = text[start..<end]
            start = end + 1
            guard let sep = fieldSeparator(line), line[(sep + 3)...].starts(with: "cgroup".utf8) else { continue }
            let pre = line[..<sep].split(separator: 0x20).map { String(decoding: $0, as: UTF8.self) }
            let post = line[(sep + 3)...].split(separator: 0x20).map { String(decoding: $0, as: UTF8.self) }
            guard pre.count >= 5, post.count >= 3 else { continue }
            let mountPoint = unescape(pre[4])
            let preferred = { (old: String?) in old == nil || (!old!.hasPrefix("/sys/fs/cgroup") && mountPoint.hasPrefix("/sys/fs/cgroup")) }
            switch post[0] {
            case "cgroup2":
                if preferred(unified) { unified = mountPoint }
            case "cgroup":
                for opt in post[2].utf8.split(separator: UInt8(ascii: ",")) {
                    let o = String(decoding: opt, as: UTF8.self)
                    guard CgroupLayout.v1Controllers.contains(o) || o.hasPrefix("name=") else { continue }
                    if preferred(mounts[o]) { mounts[o] = mountPoint }
                }
            default:
                continue
            }
        }
        let real = mounts.keys.filter { !$0.hasPrefix("name=") }
        if real.isEmpty {
            guard let unified else { throw CoveError("no cgroup filesystem is mounted (found neither cgroup2 nor cgroup v1 controllers in mountinfo)") }
            return CgroupLayout(mode: .unified, v1Mounts: mounts, unifiedMount: unified)
        }
        return CgroupLayout(mode: unified == nil ? .legacy : .hybrid, v1Mounts: mounts, unifiedMount: unified)
    }

    /// Where the " - " between a mountinfo line's optional fields and its file system type is.
    static func fieldSeparator(_ line: ArraySlice<UInt8>) -> Int? {
        var i = line.startIndex
        while i + 2 < line.endIndex {
            if line[i] == 0x20, line[i + 1] == UInt8(ascii: "-"), line[i + 2] == 0x20 { return i }
            i += 1
        }
        return nil
    }

    /// The v1 controllers Cove knows; mount options that are not among them (`rw`, `noprefix`,
    /// `clone_children`, `release_agent=…`, `xattr`) are ignored.
    public static let v1Controllers: Set<String> = [
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "hugetlb",
        "net_cls", "net_prio", "perf_event", "rdma", "misc",
    ]

    /// mountinfo escapes space, tab, newline and backslash as \040, \011, \012, \134.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out = ""
        var chars = Array(s)[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            if c == "\\", chars.count >= 3, let code = UInt8(String(chars.prefix(3)), radix: 8) {
                out.append(Character(Unicode.Scalar(code)))
                chars = chars.dropFirst(3)
            } else {
                out.append(c)
            }
        }
        return out
    }
}

public enum CgroupVersion: Int, Sendable {
    case v1 = 1, v2 = 2
}
