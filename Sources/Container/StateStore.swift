import CLinux
import FoundationEssentials
import Glibc
import Kernel
import OCI

/// What `cove` keeps about one container in ROOT/ID/state.json. The live status is computed from the
/// init process on every read (`ContainerStatus`), never trusted from the file.
public struct ContainerRecord: Encodable, TreeDecodable, Sendable {
    /// `creating` until `create` is done. `started` is no longer written (`start` only removes exec.fifo)
    /// but is read from older state files.
    public enum Phase: String, Encodable, TreeDecodable, Sendable { case creating, created, started }

    public var id: String
    public var bundle: String
    public var rootfs: String
    public var created: String
    public var owner: String
    public var pid: Int32
    /// /proc/PID/stat field 22: tells the init apart from a later process that reuses its PID.
    public var initStartTime: UInt64
    public var phase: Phase
    /// The config.json the container was created from (as `update` changed it), kept as a JSON tree: the
    /// commands after `create` read a few fields of it (`part`), not all of it. `spec()` decodes the whole.
    public var config: JSONValue
    /// The cgroup manager's directories (v1 controller → path; v2 key ""): later commands rebuild the
    /// manager from them. Absent for a container whose cgroup was never made.
    public var cgroupPaths: [String: String]? = nil
    /// `config` as the text it was parsed from (not rendered again for each write); nil once changed.
    public var configText: String? = nil

    enum CodingKeys: String, CodingKey {
        case id, bundle, rootfs, created, owner, pid, initStartTime, phase, config = "spec", cgroupPaths
    }

    public init(id: String, bundle: String, rootfs: String, created: String, owner: String, pid: Int32,
                initStartTime: UInt64, phase: Phase, config: JSONValue) {
        self.id = id
        self.bundle = bundle
        self.rootfs = rootfs
        self.created = created
        self.owner = owner
        self.pid = pid
        self.initStartTime = initStartTime
        self.phase = phase
        self.config = config
    }

    public init(tree: TreeNode) throws {
        let o = try tree.object()
        id = try o.required("id")
        bundle = try o.required("bundle")
        rootfs = try o.required("rootfs")
        created = try o.required("created")
        owner = try o.required("owner")
        pid = try o.required("pid")
        initStartTime = try o.required("initStartTime")
        phase = try o.required("phase")
        config = try o.required("spec")
        cgroupPaths = try o.optional("cgroupPaths")
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(bundle, forKey: .bundle)
        try c.encode(rootfs, forKey: .rootfs)
        try c.encode(created, forKey: .created)
        try c.encode(owner, forKey: .owner)
        try c.encode(pid, forKey: .pid)
        try c.encode(initStartTime, forKey: .initStartTime)
        try c.encode(phase, forKey: .phase)
        if let configText { try c.encode(JSONFragment(configText), forKey: .config) } else { try c.encode(config, forKey: .config) }
        try c.encodeIfPresent(cgroupPaths, forKey: .cgroupPaths)
    }

    /// state.json's text, what `encode(to:)` writes through `JSONTreeEncoder` (same keys, same order; the
    /// cgroup paths sorted), written directly: through the Encodable path the two writes of every `create`
    /// cost ~250K instructions (callgrind), most of it generic keyed-container code run once per process.
    public var jsonText: String {
        var out = "{\"id\":"
        out.reserveCapacity(512 + (configText?.utf8.count ?? 4096))
        out += JSONText.quote(id)
        out += ",\"bundle\":"
        out += JSONText.quote(bundle)
        out += ",\"rootfs\":"
        out += JSONText.quote(rootfs)
        out += ",\"created\":"
        out += JSONText.quote(created)
        out += ",\"owner\":"
        out += JSONText.quote(owner)
        out += ",\"pid\":"
        out += String(pid)
        out += ",\"initStartTime\":"
        out += String(initStartTime)
        out += ",\"phase\":"
        out += JSONText.quote(phase.rawValue)
        out += ",\"spec\":"
        out += configText ?? config.text
        if let cgroupPaths {
            out += ",\"cgroupPaths\":{"
            for (i, (key, value)) in cgroupPaths.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { out += "," }
                out += JSONText.quote(key)
                out += ":"
                out += JSONText.quote(value)
            }
            out += "}"
        }
        return out + "}"
    }

    var source: String { "\(bundle)/config.json (as recorded for container \(id))" }

    public func spec() throws -> Spec { try SpecDecoder.decode(Spec.self, from: config, source: source) }

    /// What `exec` reads — process, root, linux — without decoding the rest (mounts, hooks, annotations).
    public func specForExec() throws -> Spec {
        var s = Spec(ociVersion: ociVersion)
        s.process = try part(OCI.Process.self, "process")
        s.root = try part(Root.self, "root")
        s.linux = try part(Linux.self, "linux")
        return s
    }

    /// One part of the config, decoded alone (`["linux", "namespaces"]`); nil when absent or null.
    func part<T: TreeDecodable>(_ type: T.Type, _ keys: String...) throws -> T? {
        guard let v = config[path: keys], v != .null else { return nil }
        return try SpecDecoder.decode(type, from: v, source: source, at: keys)
    }

    /// After `update`: the config becomes the typed spec's encoding (unknown fields of the original drop out).
    public mutating func replaceConfig(with spec: Spec) throws {
        config = try SpecDecoder.parse(Array(try JSONTreeEncoder.encode(spec).utf8), source: source)
        configText = nil
    }

    public var ociVersion: String { config[path: ["ociVersion"]]?.stringValue ?? Spec.version }
    public var annotations: [String: String]? { try? part([String: String].self, "annotations") }
    public func hooks() throws -> Hooks? { try part(Hooks.self, "hooks") }
    public func namespaces() throws -> [Linux.Namespace] { try part([Linux.Namespace].self, "linux", "namespaces") ?? [] }
    public var cgroupsPath: String? { config[path: ["linux", "cgroupsPath"]]?.stringValue }
}

/// The state directory: ROOT/ID/{state.json, exec.fifo}. Writes are atomic (write a temporary file,
/// rename it); commands on one id are serialised with flock(2) on the container's directory.
public struct StateStore {
    public let root: String

    public init(root: String) { self.root = root }

    public func dir(_ id: String) -> String { "\(root)/\(id)" }
    public func fifo(_ id: String) -> String { "\(root)/\(id)/exec.fifo" }
    func statePath(_ id: String) -> String { "\(root)/\(id)/state.json" }

    /// runc's rule: letters, digits, `_ + - .`, not `.` or `..`.
    public static func validate(id: String) throws {
        let ok = !id.isEmpty && id != "." && id != ".." && id.count <= 1024 && id.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x2b || c == 0x2d || c == 0x2e
        }
        if !ok { throw CoveError("invalid container id '\(id)': use letters, digits, '_', '+', '-' and '.'") }
    }

    /// Makes ROOT/ID; an existing one means the id is taken.
    public func createDir(_ id: String) throws {
        try StateStore.validate(id: id)
        try FileIO.makeDirectories(root, mode: 0o711)
        if mkdir(dir(id), 0o711) != 0 {
            if cove_errno() == EEXIST { throw CoveError("container '\(id)' already exists") }
            throw SyscallError.last("mkdir", dir(id))
        }
    }

    public func exists(_ id: String) -> Bool { FileIO.exists(statePath(id)) }

    /// Locks ROOT/ID for the duration of one command.
    public func lock(_ id: String) throws -> FileLock {
        try StateStore.validate(id: id)
        guard FileIO.isDirectory(dir(id)) else { throw CoveError("container '\(id)' does not exist") }
        return try FileLock(path: dir(id))
    }

    public func write(_ record: ContainerRecord) throws {
        try stage(record).commit()
    }

    /// state.json for `record`, written but not yet in place (see `StagedFile`).
    public func stage(_ record: ContainerRecord) throws -> StagedFile {
        try StagedFile(statePath(record.id), record.jsonText, mode: 0o600, exchanges: true)
    }

    public func read(_ id: String) throws -> ContainerRecord {
        try StateStore.validate(id: id)
        guard let bytes = try? FileIO.read(statePath(id)) else { throw CoveError("container '\(id)' does not exist") }
        return try SpecDecoder.decode(ContainerRecord.self, from: bytes, source: statePath(id))
    }

    /// Removes ROOT/ID and everything in it.
    public func remove(_ id: String) {
        for name in (try? FileIO.list(dir(id))) ?? [] { unlink("\(dir(id))/\(name)") }
        rmdir(dir(id))
    }

    /// Ids with a state.json, sorted.
    public func ids() -> [String] {
        ((try? FileIO.list(root)) ?? []).filter { exists($0) }.sorted()
    }
}

extension FileIO {
    /// Writes `path` through a temporary file in the same directory and rename(2), so readers see the old
    /// or the new contents, never a part.
    public static func writeAtomically(_ path: String, _ contents: String, mode: mode_t = 0o644) throws {
        try StagedFile(path, contents, mode: mode).commit()
    }
}

/// A file written now under PATH.tmp and put in place later with one rename(2) (`commit`): making an inode
/// costs 0.1-1 ms on some filesystems, so `create` stages its last files while the init works and only
/// renames them at the end.
public struct StagedFile {
    public let path: String
    /// Replace an existing file by swapping names (see `commit`): for cove's own state files only.
    let exchanges: Bool
    var tmp: String { path + ".tmp" }

    public init(_ path: String, _ contents: String, mode: mode_t = 0o644, exchanges: Bool = false) throws {
        self.path = path
        self.exchanges = exchanges
        try FileIO.write(tmp, contents, create: true, mode: mode)
    }

    /// rename(2); a file that `exchanges` replaces an existing one by swapping the two names (renameat2
    /// RENAME_EXCHANGE) and unlinking the old contents: ext4 (auto_da_alloc) starts writing back a file
    /// renamed over another one, and unlinking it later — `delete` does, moments after a short-lived
    /// container — waits for that write (0.2-3.6 ms measured here). After an exchange the data stays in the
    /// page cache; readers still see the old or the new file, never none.
    public func commit() throws {
        if exchanges && cove_renameat2(AT_FDCWD, tmp, AT_FDCWD, path, UInt32(COVE_RENAME_EXCHANGE)) == 0 {
            if unlink(tmp) == 0 { return }
            // What stood there was no file (a directory): put it back; rename says what is wrong.
            _ = cove_renameat2(AT_FDCWD, tmp, AT_FDCWD, path, UInt32(COVE_RENAME_EXCHANGE))
        }
        // ENOENT: nothing to replace yet; EINVAL: a filesystem without exchange.
        try syscallCheck("rename", path) { rename(tmp, path) }
    }

    /// Removes the staged file (a `create` that failed).
    public func discard() { unlink(tmp) }
}

/// RFC 3339 with nanoseconds in UTC, as runc prints `created`.
enum Timestamp {
    static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return format(seconds: Int64(ts.tv_sec), nanoseconds: Int(ts.tv_nsec))
    }

    /// The calendar date by arithmetic (days to civil, proleptic Gregorian): glibc's gmtime_r loads the
    /// time zone file first, a few syscalls on every `create` for a value that is UTC anyway.
    static func format(seconds: Int64, nanoseconds: Int) -> String {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secs = seconds - days * 86400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secs / 3600, 2)):\(pad(secs / 60 % 60, 2)):\(pad(secs % 60, 2)).\(pad(Int64(nanoseconds), 9))Z"
    }
}
