import Foundation
import Testing
@testable import Cgroups
import Kernel

@Suite("CgroupLayout: detection from mountinfo")
struct CgroupLayoutTests {
    /// This build machine's cgroup lines.
    static let hybrid = """
    31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
    32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
    33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
    34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
    35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
    36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
    37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
    38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
    39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
    40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
    41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
    """

    @Test func hybridHostIsDetected() throws {
        let l = try CgroupLayout.detect(mountinfo: Self.hybrid)
        #expect(l.mode == .hybrid)
        #expect(l.version == .v1)
        #expect(l.unifiedMount == "/sys/fs/cgroup/unified")
        #expect(l.v1Mounts["memory"] == "/sys/fs/cgroup/memory")
        #expect(l.v1Mounts["cpuacct"] == "/sys/fs/cgroup/cpuacct")
        #expect(l.v1Mounts["name=systemd"] == "/sys/fs/cgroup/systemd")
        #expect(l.v1Mounts["hugetlb"] == nil)
        #expect(Set(l.v1Mounts.keys) == ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "name=systemd"])
    }

    @Test func unifiedHostIsDetected() throws {
        let text = """
        22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
        26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        """
        let l = try CgroupLayout.detect(mountinfo: text)
        #expect(l.mode == .unified)
        #expect(l.version == .v2)
        #expect(l.unifiedMount == "/sys/fs/cgroup")
        #expect(l.v1Mounts.isEmpty)
    }

    @Test func legacyHostWithCoMountedControllers() throws {
        let text = """
        25 22 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
        27 25 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:8 - cgroup cgroup rw,cpu,cpuacct
        28 25 0:25 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid shared:9 - cgroup cgroup rw,net_cls,net_prio
        29 25 0:26 / /sys/fs/cgroup/memory rw,nosuid shared:10 - cgroup cgroup rw,memory
        30 25 0:27 / /sys/fs/cgroup/systemd rw shared:11 - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd
        """
        let l = try CgroupLayout.detect(mountinfo: text)
        #expect(l.mode == .legacy)
        #expect(l.unifiedMount == nil)
        #expect(l.v1Mounts["cpu"] == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(l.v1Mounts["cpuacct"] == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(l.v1Mounts["net_prio"] == "/sys/fs/cgroup/net_cls,net_prio")
        #expect(l.v1Mounts["xattr"] == nil)
        #expect(l.v1Mounts.keys.contains { $0.hasPrefix("release_agent") } == false)
    }

    @Test func systemdOnlyV1WithUnifiedIsUnified() throws {
        // systemd's "hybrid" with no real v1 controller: everything is managed through v2.
        let text = """
        30 25 0:27 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd
        31 25 0:28 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
        """
        let l = try CgroupLayout.detect(mountinfo: text)
        #expect(l.mode == .unified)
        #expect(l.unifiedMount == "/sys/fs/cgroup/unified")
    }

    @Test func preferredMountAndEscapes() throws {
        let text = """
        50 22 0:32 / /mnt/other\\040place rw - cgroup cgroup rw,memory
        51 22 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
        52 22 0:33 / /mnt/odd\\040dir rw - cgroup cgroup rw,pids
        """
        let l = try CgroupLayout.detect(mountinfo: text)
        #expect(l.v1Mounts["memory"] == "/sys/fs/cgroup/memory")
        #expect(l.v1Mounts["pids"] == "/mnt/odd dir")
        // Each escape mountinfo makes; a backslash not followed by three octal digits stays as it is.
        #expect(CgroupLayout.unescape(#"a\040b\011c\012d\134e"#) == "a b\tc\nd\\e")
        #expect(CgroupLayout.unescape(#"x\09y\04"#) == #"x\09y\04"#)
        #expect(CgroupLayout.unescape("plain/path") == "plain/path")
        // Extra spaces between fields, and a cgroup2 line among v1 ones: a hybrid host.
        let spaced = "60  22 0:40 /  /sys/fs/cgroup/unified rw - cgroup2  cgroup2 rw\n" + text
        #expect(try CgroupLayout.detect(mountinfo: spaced).mode == .hybrid)
    }

    @Test func noCgroupMountIsAClearError() {
        #expect(throws: CoveError.self) { try CgroupLayout.detect(mountinfo: "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n") }
        do {
            _ = try CgroupLayout.detect(mountinfo: "")
        } catch {
            #expect("\(error)".contains("no cgroup filesystem"))
        }
    }

    @Test func thisHostParses() throws {
        let l = try CgroupLayout.detect()
        #expect(l.unifiedMount != nil || !l.v1Mounts.isEmpty)
    }

    @Test("on this host /sys/fs/cgroup read directly gives what mountinfo gives, and is used where the layout is the usual one")
    func directReadAgreesWithMountinfo() throws {
        let fromMountinfo = try CgroupLayout.detect(mountinfoPath: "/proc/self/mountinfo")
        let direct = CgroupLayout.fromSysFsCgroup()
        if let direct { #expect(direct == fromMountinfo) }
        #expect(try CgroupLayout.detect() == fromMountinfo)
        // Every hierarchy under /sys/fs/cgroup, in a directory named after its controllers: the usual layout.
        let usual = fromMountinfo.v1Mounts.allSatisfy { c, mp in
            mp.hasPrefix("/sys/fs/cgroup/") && (c == "name=systemd" ? mp.hasSuffix("/systemd") : mp.split(separator: "/").last!.split(separator: ",").contains(Substring(c)))
        } && (fromMountinfo.unifiedMount?.hasPrefix("/sys/fs/cgroup") ?? true)
        if usual { #expect(direct != nil, "\(fromMountinfo)") }
    }

    @Test("a root that is no cgroup tree, or hierarchies the kernel lists without a directory, leave it to mountinfo")
    func directReadDefers() throws {
        let fake = try FakeCgroupfs()
        try "12:memory:/\n0::/\n".write(toFile: fake.root + "/cgroup", atomically: false, encoding: .utf8)
        #expect(CgroupLayout.fromSysFsCgroup(fake.root, procCgroup: fake.root + "/cgroup") == nil)
        #expect(CgroupLayout.fromSysFsCgroup("/sys/fs/cgroup", procCgroup: fake.root + "/missing") == nil
                || FileIO.fileSystemType("/sys/fs/cgroup") == CgroupLayout.cgroup2Magic)
        if FileIO.fileSystemType("/sys/fs/cgroup") == CgroupLayout.tmpfsMagic {
            // The kernel names a hierarchy (here an invented one) that no directory holds.
            let real = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
            try (real + "99:name=nowhere:/\n").write(toFile: fake.root + "/extra", atomically: false, encoding: .utf8)
            #expect(CgroupLayout.fromSysFsCgroup("/sys/fs/cgroup", procCgroup: fake.root + "/extra") == nil)
        }
    }
}

@Suite("CgroupPath: cgroupsPath as runc reads it")
struct CgroupPathTests {
    @Test("the default is /cove-ID: flat under each hierarchy's root, prefixed so no id names a host cgroup")
    func defaultIsCoveDashID() throws {
        let p = try CgroupPath(nil, containerID: "web")
        #expect(p.path == "/cove-web")
        #expect(p.isDefault)
        #expect(!p.isRelative)
        #expect(try CgroupPath("", containerID: "db").path == "/cove-db")
        #expect(try CgroupPath(nil, containerID: "user.slice").path == "/cove-user.slice")
    }

    @Test func absoluteAndRelativeAreCleaned() throws {
        #expect(try CgroupPath("/a/b/../c/./d/", containerID: "x").path == "/a/c/d")
        #expect(try CgroupPath("/../../etc", containerID: "x").path == "/etc")
        let r = try CgroupPath("pod1/../pod2/c1", containerID: "x")
        #expect(r.path == "pod2/c1")
        #expect(r.isRelative)
        #expect(!r.isDefault)
        #expect(try CgroupPath("../../x", containerID: "y").path == "x")
    }

    @Test func systemdFormIsAClearError() throws {
        do {
            _ = try CgroupPath("system.slice:cove:abc", containerID: "abc")
            Issue.record("accepted the systemd form")
        } catch {
            #expect("\(error)".contains("systemd"))
            #expect("\(error)".contains("system.slice:cove:abc"))
        }
        // A colon inside an ordinary path is just a name.
        #expect(try CgroupPath("/pods/a:b", containerID: "x").path == "/pods/a:b")
    }

    @Test func rootAndBadIDsAreRejected() {
        #expect(throws: CoveError.self) { try CgroupPath("/", containerID: "x") }
        #expect(throws: CoveError.self) { try CgroupPath("/a/..", containerID: "x") }
        #expect(throws: CoveError.self) { try CgroupPath(nil, containerID: "a/b") }
        #expect(throws: CoveError.self) { try CgroupPath(nil, containerID: "..") }
    }

    @Test func procSelfCgroupParses() {
        let own = ProcessCgroups(text: """
        9:name=systemd:/
        4:memory:/process_api/6f1e
        2:cpu,cpuacct:/user.slice
        0::/user.slice/session-1.scope
        """)
        #expect(own.v1["memory"] == "/process_api/6f1e")
        #expect(own.v1["cpu"] == "/user.slice")
        #expect(own.v1["cpuacct"] == "/user.slice")
        #expect(own.v1["name=systemd"] == "/")
        #expect(own.v2 == "/user.slice/session-1.scope")
        let hierarchies = ProcessCgroups.v1Hierarchies("9:name=systemd:/\n2:cpuacct,cpu:/a\n0::/x\nbad line\n")
        #expect(hierarchies == ["name=systemd", "cpu,cpuacct"])
    }

    @Test func v1DirectoriesPerController() throws {
        let layout = CgroupLayout.v1(root: "/cg", controllers: ["memory", "cpu", "pids"])
        let own = ProcessCgroups(v1: ["memory": "/process_api/1", "cpu": "/"])
        let abs = try V1Manager(path: CgroupPath("/cove/x", containerID: "x"), layout: layout, options: CgroupOptions(ownCgroups: own))
        #expect(abs.paths == ["memory": "/cg/memory/cove/x", "cpu": "/cg/cpu/cove/x", "pids": "/cg/pids/cove/x"])
        let rel = try V1Manager(path: CgroupPath("pod/x", containerID: "x"), layout: layout, options: CgroupOptions(ownCgroups: own))
        #expect(rel.paths["memory"] == "/cg/memory/process_api/1/pod/x")
        #expect(rel.paths["cpu"] == "/cg/cpu/pod/x")
        #expect(rel.paths["pids"] == "/cg/pids/pod/x")
    }

    @Test func v2RelativeIsUnderTheParentOfOwnCgroup() throws {
        let own = ProcessCgroups(v2: "/user.slice/session-1.scope")
        let rel = try V2Manager(path: CgroupPath("cove/x", containerID: "x"), layout: .v2(root: "/cg"), options: CgroupOptions(ownCgroups: own))
        #expect(rel.dir == "/cg/user.slice/cove/x")
        let abs = try V2Manager(path: CgroupPath("/cove/x", containerID: "x"), layout: .v2(root: "/cg"), options: CgroupOptions(ownCgroups: own))
        #expect(abs.dir == "/cg/cove/x")
        #expect(abs.paths == ["": "/cg/cove/x"])
    }

    @Test func restoringRecordedPathsIgnoresTheCallersCgroup() throws {
        let layout = CgroupLayout.v1(root: "/cg", controllers: ["memory", "pids"])
        let path = try CgroupPath("pod/x", containerID: "x")
        let created = try V1Manager(path: path, layout: layout, options: CgroupOptions(ownCgroups: ProcessCgroups(v1: ["memory": "/a"])))
        let later = try Cgroup.manager(restoring: created.paths, path: path, layout: layout)
        #expect(later.paths == ["memory": "/cg/memory/a/pod/x", "pids": "/cg/pids/pod/x"])
        #expect(later.version == .v1)
        let v2 = try Cgroup.manager(restoring: ["": "/cg2/user.slice/pod/x"], path: path, layout: .v2(root: "/cg2"))
        #expect(v2.version == .v2 && v2.paths == ["": "/cg2/user.slice/pod/x"])
        #expect(throws: CoveError.self) { try Cgroup.manager(restoring: ["": "/elsewhere/x"], path: path, layout: .v2(root: "/cg2")) }
        #expect(throws: CoveError.self) { try Cgroup.manager(restoring: [:], path: path, layout: layout) }
    }

    @Test func factoryPicksTheVersion() throws {
        let m1 = try Cgroup.manager(cgroupsPath: "/a", containerID: "a", layout: .v1(root: "/cg", controllers: ["memory"]))
        #expect(m1.version == .v1)
        let hybrid = CgroupLayout(mode: .hybrid, v1Mounts: ["memory": "/cg/memory"], unifiedMount: "/cg/unified")
        #expect(try Cgroup.manager(cgroupsPath: "/a", containerID: "a", layout: hybrid).version == .v1)
        #expect(try Cgroup.manager(cgroupsPath: "/a", containerID: "a", layout: .v2(root: "/cg")).version == .v2)
        #expect(throws: CoveError.self) { try Cgroup.manager(cgroupsPath: "/a", containerID: "a", layout: CgroupLayout(mode: .legacy)) }
    }
}

@Suite("PathJoin")
struct CgroupPathJoinTests {
    /// The definition PathJoin.join had before it split on bytes: every non-empty component of every part,
    /// each after a "/", the first "/" dropped when the first part is relative.
    static func splitJoined(_ parts: [String]) -> String {
        var out = ""
        for p in parts { for c in p.split(separator: "/") where !c.isEmpty { out += "/" + String(c) } }
        let absolute = parts.first?.hasPrefix("/") ?? true
        return absolute ? (out.isEmpty ? "/" : out) : String(out.dropFirst())
    }

    @Test func joinsLikeSplitAndJoined() {
        let cases: [[String]] = [
            ["/sys/fs/cgroup", "cove", "id"], ["/sys/fs/cgroup/", "/cove/", "//id//"], ["/", ""], [],
            ["", "a"], ["a", "b/c"], ["/", "/"], ["relative//x/", "/y"], ["/sys/fs/cgroup/memory", "ünïcode/ä"],
        ]
        for parts in cases {
            #expect(PathJoin.join(parts) == Self.splitJoined(parts), "\(parts)")
        }
    }
}
