import Foundation
import Testing
@testable import Kernel

/// RootfsPaths.create against a scratch directory used as a container root: in-root resolution, what it
/// makes, and that nothing lands outside the root. No privileges needed.
@Suite struct KernelRootfsPathTests {
    final class Root {
        let path: String
        let fd: Int32
        init() throws {
            var template = Array("/tmp/cove-rootfspaths-XXXXXX".utf8CString)
            path = String(cString: mkdtemp(&template)!)
            fd = open(path, RootfsPaths.oPath | O_DIRECTORY | O_CLOEXEC)
        }
        deinit {
            close(fd)
            try? FileManager.default.removeItem(atPath: path)
        }
        /// Where an O_PATH descriptor points, as a path inside the root.
        func inRoot(_ fd: Int32) throws -> String {
            defer { close(fd) }
            let full = try FileIO.readLink("/proc/self/fd/\(fd)")
            #expect(full.hasPrefix(path), "\(full)")
            return String(full.dropFirst(path.count))
        }
        func isDirectory(_ p: String) -> Bool {
            var d: ObjCBool = false
            return FileManager.default.fileExists(atPath: path + p, isDirectory: &d) && d.boolValue
        }
    }

    @Test("an existing path is opened; missing directories and a last file are made")
    func makesWhatIsMissing() throws {
        let r = try Root()
        try FileManager.default.createDirectory(atPath: r.path + "/a/b", withIntermediateDirectories: true)
        #expect(try r.inRoot(RootfsPaths.create(root: r.fd, "/a/b")) == "/a/b")
        #expect(try r.inRoot(RootfsPaths.create(root: r.fd, "/a/b/c/d/e")) == "/a/b/c/d/e")
        #expect(r.isDirectory("/a/b/c/d/e"))
        #expect(try r.inRoot(RootfsPaths.create(root: r.fd, "x//y/file", file: true)) == "/x/y/file")
        #expect(r.isDirectory("/x/y") && !r.isDirectory("/x/y/file"))
        #expect(FileManager.default.fileExists(atPath: r.path + "/x/y/file"))
        #expect(try r.inRoot(RootfsPaths.create(root: r.fd, "/")) == "")
    }

    @Test("absolute and .. symlinks resolve inside the root; missing parts are made there, not on the host")
    func symlinksStayInside() throws {
        let r = try Root()
        let outside = "/tmp/" + "cove-rootfspaths-outside-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try FileManager.default.createDirectory(atPath: r.path + "/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: r.path + "/abs", withDestinationPath: "/real")
        try FileManager.default.createSymbolicLink(atPath: r.path + "/up", withDestinationPath: "../../../../real")
        try FileManager.default.createSymbolicLink(atPath: r.path + "/escape", withDestinationPath: outside)
        #expect(try r.inRoot(RootfsPaths.create(root: r.fd, "/abs/one")) == "/real/one")
        #expect(try r.inRoot(RootfsPaths.create(root: r.fd, "/up/two/three")) == "/real/two/three")
        // A symlink to a host path that does not exist inside the root points nowhere: an error, nothing made.
        #expect(throws: CoveError.self) { try RootfsPaths.create(root: r.fd, "/escape/x") }
        #expect(!FileManager.default.fileExists(atPath: outside))
    }

    @Test("a file where a directory is needed is an error naming the path")
    func fileInTheWay() throws {
        let r = try Root()
        _ = FileManager.default.createFile(atPath: r.path + "/f", contents: Data())
        #expect(throws: SyscallError.self) { try RootfsPaths.create(root: r.fd, "/f/sub") }
    }
}
