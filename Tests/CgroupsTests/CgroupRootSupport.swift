import Foundation
import Testing
@testable import Cgroups
import Kernel

/// Real cgroups for root tests: a unique absolute path `/cove-test-…`, torn down (processes killed,
/// directories removed) even when the test fails, then checked to be gone.
enum RealCgroup {
    /// Runs `body` with a v1 manager on this host's real controllers.
    static func v1(_ tag: String, _ body: (V1Manager) throws -> Void) throws {
        let layout = try CgroupLayout.detect()
        let name = CgroupName.make(tag)
        let m = try V1Manager(path: CgroupPath("/\(name)", containerID: name), layout: CgroupLayout(mode: .legacy, v1Mounts: layout.v1Mounts))
        try run(m, body)
    }

    /// Runs `body` with a v2 manager on this host's v2 hierarchy, enabling no controller in its root.
    static func v2(_ tag: String, _ body: (V2Manager) throws -> Void) throws {
        guard let mount = CgroupHost.v2Mount else { throw CoveError("no v2 hierarchy") }
        let name = CgroupName.make(tag)
        var o = CgroupOptions()
        o.v2ControllersToEnable = []
        let m = try V2Manager(path: CgroupPath("/\(name)", containerID: name), layout: .v2(root: mount), options: o)
        try run(m, body)
    }

    static func run<M: CgroupManager>(_ m: M, _ body: (M) throws -> Void) throws {
        defer {
            if m.exists() {
                try? m.thaw()
                try? m.killAll(signal: SIGKILL)
            }
            try? m.destroy()
            for (_, d) in m.paths { #expect(!FileManager.default.fileExists(atPath: d), "cgroup \(d) left behind") }
        }
        try m.create()
        try body(m)
    }

    /// Waits until `condition` holds, polling every 10 ms for up to `seconds`.
    @discardableResult
    static func eventually(_ seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(10_000)
        }
        return try condition()
    }
}

/// A shell loop that counts as fast as it can into a file; stops advancing only when frozen.
final class CountingChild {
    let file: String
    let child: TestChild

    init() throws {
        file = NSTemporaryDirectory() + "/\(CgroupName.make("count"))"
        child = try TestChild("read go; i=0; while :; do i=$((i+1)); echo $i > \(file); done")
    }

    /// The file as it is now — briefly empty while the shell rewrites it, so a frozen counter may read "".
    func raw() -> String {
        (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
    }

    /// The last complete number written.
    func value() -> Int? {
        for _ in 0..<200 {
            if let n = Int(raw().trimmingCharacters(in: .whitespacesAndNewlines)) { return n }
            usleep(1000)
        }
        return nil
    }

    func stop() {
        child.stop()
        try? FileManager.default.removeItem(atPath: file)
    }
}
