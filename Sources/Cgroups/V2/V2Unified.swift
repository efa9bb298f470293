import Kernel

/// `linux.resources.unified`: file name → value, written as given. The controller is the name's prefix
/// (`memory.high` → memory); `cgroup.*` files belong to the core.
enum V2Unified {
    static func plan(_ unified: [String: String]) throws -> [CgroupWrite] {
        try unified.keys.sorted().map { key in
            let parts = key.split(separator: ".", maxSplits: 1)
            guard parts.count == 2, !key.contains("/"), !key.contains("\0") else {
                throw CoveError("linux.resources.unified key \"\(key)\": expected a cgroup file name like memory.high")
            }
            return CgroupWrite(String(parts[0]), key, unified[key]!)
        }
    }
}
