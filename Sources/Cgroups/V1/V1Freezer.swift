import Kernel

/// v1 freezer: freezer.state takes FROZEN or THAWED and reads FREEZING while tasks are still stopping.
enum V1Freezer {
    static func dir(_ mgr: V1Manager) throws -> String {
        try mgr.need("freezer", for: "pause/resume")
    }

    static func freeze(_ mgr: V1Manager) throws {
        let d = try dir(mgr)
        var waited = 0
        var pause = 1
        while true {
            // Writing FROZEN again nudges tasks that were in the middle of something uninterruptible.
            try CgroupFile.write("\(d)/freezer.state", "FROZEN", trace: mgr.options.trace)
            if try CgroupFile.read("\(d)/freezer.state") == "FROZEN" { return }
            if waited >= mgr.options.timeoutMilliseconds {
                try? CgroupFile.write("\(d)/freezer.state", "THAWED", trace: mgr.options.trace)
                throw CoveError("freezing cgroup \(d) timed out after \(waited) ms: some task did not stop; left thawed")
            }
            CgroupFile.sleep(milliseconds: pause)
            waited += pause
            pause = min(pause * 2, 50)
        }
    }

    static func thaw(_ mgr: V1Manager) throws {
        let d = try dir(mgr)
        try CgroupFile.write("\(d)/freezer.state", "THAWED", trace: mgr.options.trace)
    }

    static func state(_ mgr: V1Manager) throws -> FreezerState {
        guard let d = mgr.paths["freezer"] else { return .thawed }
        let s = try CgroupFile.read("\(d)/freezer.state")
        guard let state = FreezerState(rawValue: s) else { throw CoveError("\(d)/freezer.state: unknown state \"\(s)\"") }
        return state
    }
}
