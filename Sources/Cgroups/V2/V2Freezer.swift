import Kernel

/// v2 freezer: cgroup.freeze takes 1 or 0; cgroup.events reports `frozen 1` once every task stopped.
enum V2Freezer {
    static func file(_ mgr: V2Manager) throws -> String {
        let f = "\(mgr.dir)/cgroup.freeze"
        guard CgroupFile.exists(f) else {
            if !mgr.exists() { throw CoveError("cgroup \(mgr.dir) does not exist") }
            throw CoveError("\(f) does not exist: this kernel's cgroup v2 has no freezer (needs Linux 5.2)")
        }
        return f
    }

    static func freeze(_ mgr: V2Manager) throws {
        try CgroupFile.write(try file(mgr), "1", trace: mgr.options.trace)
        var waited = 0
        var pause = 1
        while try state(mgr) != .frozen {
            if waited >= mgr.options.timeoutMilliseconds {
                try? CgroupFile.write("\(mgr.dir)/cgroup.freeze", "0", trace: mgr.options.trace)
                throw CoveError("freezing cgroup \(mgr.dir) timed out after \(waited) ms; left thawed")
            }
            CgroupFile.sleep(milliseconds: pause)
            waited += pause
            pause = min(pause * 2, 50)
        }
    }

    static func thaw(_ mgr: V2Manager) throws {
        try CgroupFile.write(try file(mgr), "0", trace: mgr.options.trace)
    }

    static func state(_ mgr: V2Manager) throws -> FreezerState {
        let f = try file(mgr)
        guard try CgroupFile.read(f) == "1" else { return .thawed }
        let frozen = (try? CgroupFile.readKeyed("\(mgr.dir)/cgroup.events"))?["frozen"] ?? 0
        return frozen == 1 ? .frozen : .freezing
    }
}
