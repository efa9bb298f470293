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
        FileManager.default.createFile(atPath: file, contents: Data())
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
}
