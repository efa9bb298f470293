import Kernel

/// Which cgroup layout a host uses, found at run time (/sys/fs/cgroup, or /proc/self/mountinfo).
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

    /// The host's layout: from /sys/fs/cgroup itself where it is laid out as systemd and the distributions
    /// mount it (`fromSysFsCgroup`), otherwise from /proc/self/mountinfo. The kernel writes mountinfo's text
    /// for every mount of the namespace: about as costly as the first way with this machine's 30 mounts
    /// (45 µs of reads against two statfs, a getdents and /proc/self/cgroup), 0.3 ms more per `run` with 324
    /// — and a host running many containers has hundreds.
    public static func detect() throws -> CgroupLayout {
        if let layout = fromSysFsCgroup() { return layout }
        return try detect(mountinfoPath: "/proc/self/mountinfo")
    }

    /// Reads a mountinfo file and detects the layout.
    public static func detect(mountinfoPath: String) throws -> CgroupLayout {
        try detect(mountinfo: FileIO.readString(mountinfoPath))
    }

    static let cgroupMagic = 0x0027_e0eb, cgroup2Magic = 0x6367_7270, tmpfsMagic = 0x0102_1994

    /// The layout read from `root` (/sys/fs/cgroup): cgroup2 there is the unified layout; a tmpfs holds one
    /// directory per hierarchy, named after its controllers (`cpu,cpuacct`; `systemd` for name=systemd) and
    /// `unified` for a cgroup2 mount. The names are checked against the hierarchies the kernel lists for this
    /// process (`procCgroup`, the controller lists of its v1 lines) rather than each directory with a statfs
    /// (~5 µs each, as much as mountinfo costs on a host with few mounts): a directory of a hierarchy's name
    /// that is not its mount would show at the first file Cove opens in it, as an error. Nil — and mountinfo
    /// decides — when anything differs: another file system, a name that is not a list of known controllers,
    /// a hierarchy the kernel lists without a directory of its name, or `unified` that is not cgroup2.
    static func fromSysFsCgroup(_ root: String = "/sys/fs/cgroup", procCgroup: String = "/proc/self/cgroup") -> CgroupLayout? {
        guard let type = FileIO.fileSystemType(root) else { return nil }
        if type == cgroup2Magic { return CgroupLayout(mode: .unified, unifiedMount: root) }
        guard type == tmpfsMagic, let names = try? FileIO.listDirectories(root) else { return nil }
        var mounts: [String: String] = [:]
        var unified: String?
        var found: Set<String> = []
        for name in names {
            let path = root + "/" + name
            if name == "unified" {
                guard FileIO.fileSystemType(path) == cgroup2Magic else { return nil }
                unified = path
                continue
            }
            let controllers = name == "systemd" ? ["name=systemd"] : name.split(separator: ",").map(String.init)
            guard controllers == ["name=systemd"] || controllers.allSatisfy({ v1Controllers.contains($0) }) else { return nil }
            found.insert(Text.join(controllers.sorted()[...], separator: ","))
            for c in controllers { mounts[c] = path }
        }
        guard let text = try? FileIO.readString(procCgroup), ProcessCgroups.v1Hierarchies(text) == found else { return nil }
        if mounts.keys.allSatisfy({ $0.hasPrefix("name=") }) {
            guard let unified else { return nil }
            return CgroupLayout(mode: .unified, v1Mounts: mounts, unifiedMount: unified)
        }
        return CgroupLayout(mode: unified == nil ? .legacy : .hybrid, v1Mounts: mounts, unifiedMount: unified)
    }

    /// Detects the layout from mountinfo text. When a hierarchy is mounted more than once the mount under
    /// /sys/fs/cgroup wins, then the first one listed.
    public static func detect(mountinfo: String) throws -> CgroupLayout {
        var mounts: [String: String] = [:]
        var unified: String?
        let known = CgroupLayout.v1Controllers
        // Bytes and index ranges, not Characters or arrays of fields: walking Characters (String.contains,
        // split) and materializing every field cost ~220K instructions for a 22-line mountinfo, in each
        // `create`, `run` and `exec`. Only cgroup and cgroup2 lines get a String: the mount point and options.
        let text = Array(mountinfo.utf8)
        var start = 0
        while start < text.count {
            let end = text[start...].firstIndex(of: UInt8(ascii: "\n")) ?? text.count
            defer { start = end + 1 }
            // After " - ": type, source, super options; before it: ID, parent ID, major:minor, root, mount point.
            guard let sep = fieldSeparator(text[start..<end]), text[(sep + 3)..<end].starts(with: "cgroup".utf8) else { continue }
            let post = fields(text, sep + 3, end, count: 3)
            guard post.count == 3 else { continue }
            let isV2 = text[post[0]].elementsEqual("cgroup2".utf8)
            guard isV2 || text[post[0]].elementsEqual("cgroup".utf8) else { continue }
            let pre = fields(text, start, sep, count: 5)
            guard pre.count == 5 else { continue }
            let mountPoint = Text.unescapeMountinfo(text[pre[4]])
            let underSysFs = isUnderSysFs(mountPoint)
            let preferred = { (old: String?) in old == nil || (underSysFs && !isUnderSysFs(old!)) }
            if isV2 {
                if preferred(unified) { unified = mountPoint }
                continue
            }
            var o = post[2].lowerBound
            while o < post[2].upperBound {
                let comma = text[o..<post[2].upperBound].firstIndex(of: UInt8(ascii: ",")) ?? post[2].upperBound
                let opt = String(decoding: text[o..<comma], as: UTF8.self)
                o = comma + 1
                guard known.contains(opt) || opt.utf8.starts(with: "name=".utf8) else { continue }
                if preferred(mounts[opt]) { mounts[opt] = mountPoint }
            }
        }
        let real = mounts.keys.filter { !$0.hasPrefix("name=") }
        if real.isEmpty {
            guard let unified else { throw CoveError("no cgroup filesystem is mounted (found neither cgroup2 nor cgroup v1 controllers in mountinfo)") }
            return CgroupLayout(mode: .unified, v1Mounts: mounts, unifiedMount: unified)
        }
        return CgroupLayout(mode: unified == nil ? .legacy : .hybrid, v1Mounts: mounts, unifiedMount: unified)
    }

    static func isUnderSysFs(_ path: String) -> Bool { path.utf8.starts(with: "/sys/fs/cgroup".utf8) }

    /// The ranges of the first `count` space-separated fields of text[from..<to] (runs of spaces are one gap).
    static func fields(_ text: [UInt8], _ from: Int, _ to: Int, count: Int) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(count)
        var i = from
        while i < to && out.count < count {
            while i < to && text[i] == 0x20 { i += 1 }
            let begin = i
            while i < to && text[i] != 0x20 { i += 1 }
            if i > begin { out.append(begin..<i) }
        }
        return out
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

    /// mountinfo's octal escapes decoded (`Text.unescapeMountinfo`).
    static func unescape(_ s: String) -> String { Text.unescapeMountinfo(s) }
}

public enum CgroupVersion: Int, Sendable {
    case v1 = 1, v2 = 2
}
