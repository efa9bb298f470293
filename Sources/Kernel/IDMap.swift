import CLinux
import Glibc

/// One line of /proc/PID/uid_map or gid_map: `inner outer count`.
public struct IDMapping: Equatable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var inner: UInt32
    public var outer: UInt32
    public var count: UInt32

    public init(inner: UInt32, outer: UInt32, count: UInt32) {
        self.inner = inner
        self.outer = outer
        self.count = count
    }

    /// Parses `INNER:OUTER:COUNT` (the form `unshare --map-users` takes).
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let i = UInt32(parts[0]), let o = UInt32(parts[1]), let c = UInt32(parts[2]), c > 0 else {
            throw CoveError("invalid id map '\(text)': expected INNER:OUTER:COUNT with COUNT > 0")
        }
        guard UInt64(i) + UInt64(c) <= UInt64(UInt32.max), UInt64(o) + UInt64(c) <= UInt64(UInt32.max) else {
            throw CoveError("invalid id map '\(text)': range runs past 4294967295")
        }
        self.init(inner: i, outer: o, count: c)
    }

    public var description: String { "\(inner) \(outer) \(count)" }

    func overlaps(_ other: IDMapping) -> Bool {
        func ov(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32) -> Bool {
            UInt64(a) < UInt64(c) + UInt64(d) && UInt64(c) < UInt64(a) + UInt64(b)
        }
        return ov(inner, count, other.inner, other.count) || ov(outer, count, other.outer, other.count)
    }
}

public enum IDMap {
    /// Rejects overlapping ranges before the kernel does (it answers only "Invalid argument").
    public static func validate(_ maps: [IDMapping], what: String) throws {
        if maps.count > 340 { throw CoveError("\(what): at most 340 ranges allowed, got \(maps.count)") }
        for (i, a) in maps.enumerated() {
            for b in maps[(i + 1)...] where a.overlaps(b) {
                throw CoveError("\(what): ranges '\(a.inner):\(a.outer):\(a.count)' and '\(b.inner):\(b.outer):\(b.count)' overlap")
            }
        }
    }

    public static func render(_ maps: [IDMapping]) -> String {
        Text.join(maps.map { $0.description + "\n" }[...], separator: "")
    }

    /// Writes /proc/PID/uid_map (all lines in one write(2), as the kernel requires).
    public static func writeUIDMap(pid: pid_t?, _ maps: [IDMapping]) throws {
        try FileIO.write(procPath(pid, "uid_map"), render(maps))
    }

    /// Writes /proc/PID/gid_map.
    public static func writeGIDMap(pid: pid_t?, _ maps: [IDMapping]) throws {
        try FileIO.write(procPath(pid, "gid_map"), render(maps))
    }

    /// Writes /proc/PID/setgroups: "deny" must precede an unprivileged gid_map write.
    public static func writeSetgroups(pid: pid_t?, allow: Bool) throws {
        try FileIO.write(procPath(pid, "setgroups"), allow ? "allow" : "deny")
    }

    static func procPath(_ pid: pid_t?, _ name: String) -> String {
        "/proc/\(pid.map(String.init) ?? "self")/\(name)"
    }

    /// The subordinate id range of `user` in /etc/subuid or /etc/subgid (by name or numeric id).
    public static func subordinateRange(file: String, user: String, id: UInt32) throws -> (start: UInt32, count: UInt32) {
        let text = (try? FileIO.readString(file)) ?? ""
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":")
            guard f.count == 3, f[0] == user || f[0] == String(id), let s = UInt32(f[1]), let c = UInt32(f[2]) else { continue }
            return (s, c)
        }
        throw CoveError("\(file): no range for user \(user)")
    }
}

/// Who this process is.
public enum Identity {
    public static var effectiveUID: UInt32 { geteuid() }
    public static var effectiveGID: UInt32 { getegid() }
    public static var isRoot: Bool { geteuid() == 0 }

    public static func userName(_ uid: UInt32) -> String? {
        guard let pw = getpwuid(uid) else { return nil }
        return String(cString: pw.pointee.pw_name)
    }

    /// The name /etc/passwd gives `uid`, read directly as runc does for a container's owner: getpwuid would
    /// go through NSS (nscd sockets, nsswitch.conf) on every `create`.
    public static func passwdName(_ uid: UInt32, file: String = "/etc/passwd") -> String? {
        guard let bytes = try? FileIO.read(file) else { return nil }
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let f = line.split(separator: UInt8(ascii: ":"), maxSplits: 3, omittingEmptySubsequences: false)
            if f.count > 2, UInt32(String(decoding: f[2], as: UTF8.self)) == uid {
                return String(decoding: f[0], as: UTF8.self)
            }
        }
        return nil
    }

    /// setresgid/setresuid with setgroups — gid before uid: setuid drops the right to change groups.
    public static func become(uid: UInt32, gid: UInt32, groups: [UInt32]? = nil) throws {
        if let groups {
            try syscallCheck("setgroups") { setgroups(groups.count, groups) }
        }
        try syscallCheck("setresgid", String(gid)) { cove_setresgid(gid, gid, gid) }
        try syscallCheck("setresuid", String(uid)) { cove_setresuid(uid, uid, uid) }
    }
}
