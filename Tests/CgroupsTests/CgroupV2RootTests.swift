import Foundation
import Testing
@testable import Cgroups
import Kernel

/// A real cgroup v2 hierarchy — on this hybrid host /sys/fs/cgroup/unified, which offers no controller
/// Cove uses, so these tests cover the core: create, join, cgroup.freeze, cgroup.kill, limits on the core
/// files, the missing-controller error, destroy. No ancestor's subtree_control is touched.
@Suite("CgroupV2Root: real v2 hierarchy", .enabled(if: CgroupHost.v2Mount != nil, CgroupHost.v2Reason))
struct CgroupV2RootTests {
    @Test func joinFreezeThawKillDestroy() throws {
        try RealCgroup.v2("v2life") { m in
            #expect(m.exists())
            let counter = try CountingChild()
            defer { counter.stop() }
            try m.addProcess(counter.child.pid)
            counter.child.go()
            #expect(try m.processes() == [counter.child.pid])
            let own = try String(contentsOfFile: "/proc/\(counter.child.pid)/cgroup", encoding: .utf8)
            #expect(own.contains("0::\(m.cgroupPath.path)\n"))
            #expect(RealCgroup.eventually { (counter.value() ?? 0) > 10 })

            try m.freeze()
            #expect(try m.freezerState() == .frozen)
            let a = counter.raw()
            usleep(300_000)
            #expect(counter.raw() == a)
            try m.thaw()
            #expect(try m.freezerState() == .thawed)
            #expect(RealCgroup.eventually { counter.raw() != a && counter.raw() != "" })

            try m.killAll()
            let end = counter.child.wait(seconds: 10)
            #expect(end == .signaled(SIGKILL))
            #expect(RealCgroup.eventually { (try? m.processes())?.isEmpty ?? false })
            try m.destroy()
            #expect(!m.exists())
        }
    }

    @Test func killAllWithAnotherSignalFreezesSignalsThaws() throws {
        try RealCgroup.v2("v2term") { m in
            let child = try TestChild("read go; sleep 30 & sleep 30 & wait")
            defer { child.stop() }
            try m.addProcess(child.pid)
            child.go()
            #expect(RealCgroup.eventually { (try? m.processes().count) == 3 })
            try m.killAll(signal: SIGTERM)
            #expect(RealCgroup.eventually { (try? m.processes())?.isEmpty ?? false })
            #expect(child.wait(seconds: 10) == .signaled(SIGTERM))
            #expect(try m.freezerState() == .thawed)
        }
    }

    @Test func coreLimitsApplyAndMissingControllersAreNamed() throws {
        try RealCgroup.v2("v2core") { m in
            try m.apply(CgroupResources(unified: ["cgroup.max.descendants": "0"]))
            #expect(mkdir(m.dir + "/child", 0o755) == -1)
            #expect(errno == EAGAIN)
            // On this hybrid host the hierarchy offers no pids or memory controller; on a pure v2 host whose
            // root enables them, the same calls succeed.
            let available = V2Manager.controllers(in: m.dir)
            if available.contains("pids") {
                try m.apply(CgroupResources(pids: PidsLimits(limit: 5)))
                #expect(try String(contentsOfFile: m.dir + "/pids.max", encoding: .utf8) == "5\n")
            } else {
                do {
                    try m.apply(CgroupResources(pids: PidsLimits(limit: 5), unified: ["cgroup.max.descendants": "3"]))
                    Issue.record("pids limit accepted without the pids controller")
                } catch {
                    #expect("\(error)".contains("pids cgroup controller is not available"))
                }
                #expect(try String(contentsOfFile: m.dir + "/cgroup.max.descendants", encoding: .utf8) == "0\n")
            }
            if !available.contains("memory") {
                #expect(throws: CoveError.self) { try m.oomKillCount() }
            }
        }
    }
}
