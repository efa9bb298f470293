import Foundation
import Testing
@testable import Cgroups
import Kernel

/// Making and removing cgroup directory trees, against a temporary directory.
@Suite("Cgroup directories")
struct CgroupDirectoryTests {
    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cove-cgdirs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        return dir
    }

    @Test("makeDirectories makes only the missing levels, top-down, and nothing when all exist")
    func makesMissingLevels() throws {
        let root = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try CgroupCommon.makeDirectories("\(root)/a/b/c") == ["\(root)/a", "\(root)/a/b", "\(root)/a/b/c"])
        #expect(try CgroupCommon.makeDirectories("\(root)/a/b/d") == ["\(root)/a/b/d"])
        #expect(try CgroupCommon.makeDirectories("\(root)/a/b") == [])
        let file = "\(root)/f"
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        #expect(throws: SyscallError.self) { try CgroupCommon.makeDirectories("\(file)/x") }
    }

    @Test("listDirectories names subdirectories only; removeTree removes deepest first")
    func listAndRemove() throws {
        let root = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try CgroupCommon.makeDirectories("\(root)/t/x/y")
        _ = try CgroupCommon.makeDirectories("\(root)/t/z")
        try FileManager.default.createSymbolicLink(atPath: "\(root)/t/link", withDestinationPath: "\(root)/t/z")
        #expect(try FileIO.listDirectories("\(root)/t").sorted() == ["x", "z"])
        try FileManager.default.removeItem(atPath: "\(root)/t/link")
        try CgroupCommon.removeTree("\(root)/t", timeoutMilliseconds: 100)
        #expect(!FileManager.default.fileExists(atPath: "\(root)/t"))
    }

    @Test("v1 cpuset: every empty level below the root gets its parent's cpus and mems, also one made by another create")
    func cpusetInheritsAtEveryLevel() throws {
        let root = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try CgroupCommon.makeDirectories("\(root)/cove/c1")
        func put(_ dir: String, _ cpus: String, _ mems: String) {
            #expect(FileManager.default.createFile(atPath: "\(dir)/cpuset.cpus", contents: Data(cpus.utf8)))
            #expect(FileManager.default.createFile(atPath: "\(dir)/cpuset.mems", contents: Data(mems.utf8)))
        }
        put(root, "0-3\n", "0\n")
        put("\(root)/cove", "\n", "\n")  // made by a concurrent create that has not filled it in yet
        put("\(root)/cove/c1", "", "")
        try V1CPUSet.inheritParents(of: "\(root)/cove/c1", root: root, options: CgroupOptions())
        for dir in ["\(root)/cove", "\(root)/cove/c1"] {
            #expect(try CgroupFile.read("\(dir)/cpuset.cpus") == "0-3")
            #expect(try CgroupFile.read("\(dir)/cpuset.mems") == "0")
        }
        put("\(root)/cove/c1", "1\n", "0\n")
        try V1CPUSet.inheritParents(of: "\(root)/cove/c1", root: root, options: CgroupOptions())
        #expect(try CgroupFile.read("\(root)/cove/c1/cpuset.cpus") == "1", "a level that is set stays as it is")
        #expect(try CgroupFile.read("\(root)/cpuset.cpus") == "0-3", "the root is never written")
        // A hierarchy without the files (mounted with noprefix: `cpus`, `mems`) has nothing to fill in.
        try CgroupCommon.makeDirectories("\(root)/np/c2")
        try V1CPUSet.inheritParents(of: "\(root)/np/c2", root: root, options: CgroupOptions())
        #expect(!FileManager.default.fileExists(atPath: "\(root)/np/c2/cpuset.cpus"))
        #expect(!FileManager.default.fileExists(atPath: "\(root)/np/cpuset.cpus"))
    }
}

@Suite("RecordedCgroup: the freezer state from recorded paths")
struct CgroupRecordedFreezerTests {
    @Test("v1 reads freezer.state; v2 needs its own cgroup.freeze and cgroup.events frozen 1; no freezer or no directory is not frozen")
    func frozen() throws {
        let fs = try FakeCgroupfs()
        try fs.write("freezer/c/freezer.state", "FROZEN\n")
        #expect(RecordedCgroup.isFrozen(["freezer": "\(fs.root)/freezer/c", "memory": "\(fs.root)/memory/c"]))
        try fs.write("freezer/c/freezer.state", "FREEZING\n")
        #expect(!RecordedCgroup.isFrozen(["freezer": "\(fs.root)/freezer/c"]))
        try fs.write("v2/cgroup.freeze", "1\n")
        try fs.write("v2/cgroup.events", "populated 1\nfrozen 1\n")
        #expect(RecordedCgroup.isFrozen(["": "\(fs.root)/v2"]))
        try fs.write("v2/cgroup.freeze", "0\n")
        #expect(!RecordedCgroup.isFrozen(["": "\(fs.root)/v2"]), "frozen only through an ancestor")
        #expect(!RecordedCgroup.isFrozen(["memory": "\(fs.root)/memory/c"]))
        #expect(!RecordedCgroup.isFrozen(["": "\(fs.root)/gone"]))
        #expect(!RecordedCgroup.isFrozen([:]))
    }
}

@Suite("RecordedCgroup: removing the recorded directories")
struct CgroupRecordedRemoveTests {
    @Test("the default /cove-ID: every recorded directory goes, shared ones once, and the hierarchy roots stay")
    func removesFlatDefault() throws {
        let fs = try FakeCgroupfs()
        let fm = FileManager.default
        for d in ["memory/cove-c", "cpu,cpuacct/cove-c", "pids/cove-c"] {
            try fm.createDirectory(atPath: "\(fs.root)/\(d)", withIntermediateDirectories: true)
        }
        let paths = ["memory": "\(fs.root)/memory/cove-c", "cpu": "\(fs.root)/cpu,cpuacct/cove-c",
                     "cpuacct": "\(fs.root)/cpu,cpuacct/cove-c", "pids": "\(fs.root)/pids/cove-c"]
        #expect(RecordedCgroup.removeIfEmpty(paths, defaultPath: true))
        for d in ["memory/cove-c", "cpu,cpuacct/cove-c", "pids/cove-c"] {
            #expect(!fm.fileExists(atPath: "\(fs.root)/\(d)"), "\(d)")
        }
        // Empty here (a real hierarchy root is never empty), so an rmdir of the parent would have taken them.
        for d in ["memory", "cpu,cpuacct", "pids"] { #expect(fm.fileExists(atPath: "\(fs.root)/\(d)"), "\(d)") }
    }

    @Test("a container on the earlier default /cove/ID: its directories go, and /cove once empty")
    func removesAll() throws {
        let fs = try FakeCgroupfs()
        let fm = FileManager.default
        for d in ["memory/cove/c", "cpu,cpuacct/cove/c", "pids/cove/c", "pids/cove/other"] {
            try fm.createDirectory(atPath: "\(fs.root)/\(d)", withIntermediateDirectories: true)
        }
        let paths = ["memory": "\(fs.root)/memory/cove/c", "cpu": "\(fs.root)/cpu,cpuacct/cove/c",
                     "cpuacct": "\(fs.root)/cpu,cpuacct/cove/c", "pids": "\(fs.root)/pids/cove/c"]
        #expect(RecordedCgroup.removeIfEmpty(paths, defaultPath: true))
        for d in ["memory/cove/c", "memory/cove", "cpu,cpuacct/cove", "pids/cove/c"] {
            #expect(!fm.fileExists(atPath: "\(fs.root)/\(d)"), "\(d)")
        }
        #expect(fm.fileExists(atPath: "\(fs.root)/pids/cove/other"), "a parent other containers use stays")
        #expect(RecordedCgroup.removeIfEmpty(paths, defaultPath: true), "already gone counts as removed")
    }

    @Test("a directory that cannot go (not empty) is reported, and a given path's parent is never touched")
    func refused() throws {
        let fs = try FakeCgroupfs()
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(fs.root)/memory/mine/c/child", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: "\(fs.root)/pids/mine/c", withIntermediateDirectories: true)
        let paths = ["memory": "\(fs.root)/memory/mine/c", "pids": "\(fs.root)/pids/mine/c"]
        #expect(!RecordedCgroup.removeIfEmpty(paths, defaultPath: false))
        #expect(fm.fileExists(atPath: "\(fs.root)/memory/mine/c/child"))
        #expect(!fm.fileExists(atPath: "\(fs.root)/pids/mine/c") && fm.fileExists(atPath: "\(fs.root)/pids/mine"))
    }
}

@Suite("RecordedCgroup: join files from recorded paths")
struct CgroupRecordedJoinTests {
    @Test("v1 opens tasks once per directory in the managed order; v2 cgroup.procs; nil when no directory exists")
    func opens() throws {
        let fs = try FakeCgroupfs()
        for f in ["memory/c/tasks", "cpu,cpuacct/c/tasks", "v2/c/cgroup.procs"] { try fs.write(f, "") }
        let v1 = ["memory": "\(fs.root)/memory/c", "cpu": "\(fs.root)/cpu,cpuacct/c", "cpuacct": "\(fs.root)/cpu,cpuacct/c"]
        let (files, warnings) = try #require(try RecordedCgroup.openJoinFiles(v1, rootless: false))
        defer { files.close() }
        #expect(files.files.map(\.path) == ["\(fs.root)/cpu,cpuacct/c/tasks", "\(fs.root)/memory/c/tasks"])
        #expect(warnings.isEmpty)
        let (v2, _) = try #require(try RecordedCgroup.openJoinFiles(["": "\(fs.root)/v2/c"], rootless: false))
        defer { v2.close() }
        #expect(v2.files.map(\.path) == ["\(fs.root)/v2/c/cgroup.procs"])
        #expect(try RecordedCgroup.openJoinFiles(["memory": "\(fs.root)/gone/c"], rootless: false) == nil)
        #expect(try RecordedCgroup.openJoinFiles(["": "\(fs.root)/gone"], rootless: false) == nil)
    }
}
