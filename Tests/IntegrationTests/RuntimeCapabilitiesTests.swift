import Foundation
import Testing

/// Capability numbers as in <linux/capability.h>.
enum Cap {
    static let numbers: [String: Int] = [
        "CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_SETPCAP": 8,
        "CAP_NET_BIND_SERVICE": 10, "CAP_NET_RAW": 13, "CAP_SYS_CHROOT": 18, "CAP_SYS_ADMIN": 21, "CAP_AUDIT_WRITE": 29,
    ]

    static func mask(_ names: [String]) -> UInt64 {
        names.reduce(0) { $0 | (UInt64(1) << UInt64(numbers[$1]!)) }
    }

    /// CapInh, CapPrm, CapEff, CapBnd and CapAmb from /proc/self/status lines in `text`.
    static func sets(in text: String) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("Cap") {
            let parts = line.split(separator: "\t")
            if parts.count == 2, let v = UInt64(parts[1], radix: 16) { out[String(parts[0].dropLast())] = v }
        }
        return out
    }
}

@Suite("Runtime capabilities", .serialized, .enabled(if: RuntimeBundle.available, "needs root and /bin/busybox"))
struct RuntimeCapabilitiesTests {
    func caps(bounding: [String], effective: [String], permitted: [String], inheritable: [String], ambient: [String]) -> [String: Any] {
        ["bounding": bounding, "effective": effective, "permitted": permitted, "inheritable": inheritable, "ambient": ambient]
    }

    @Test("root: the sets read back from /proc/self/status; unlisted CAP_SYS_ADMIN is absent everywhere and mount fails")
    func rootSets() throws {
        let b = try RuntimeBundle("cap")
        let listed = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        b.process["capabilities"] = caps(bounding: listed, effective: listed, permitted: listed, inheritable: [], ambient: [])
        b.script("grep ^Cap /proc/self/status; mount -t tmpfs t /tmp && echo mounted")
        let r = try b.run()
        let sets = Cap.sets(in: r.stdout)
        let m = Cap.mask(listed)
        #expect(sets["CapBnd"] == m && sets["CapEff"] == m && sets["CapPrm"] == m, "\(r)")
        #expect(sets["CapInh"] == 0 && sets["CapAmb"] == 0, "\(r)")
        let sysAdmin = Cap.mask(["CAP_SYS_ADMIN"])
        for (name, v) in sets { #expect(v & sysAdmin == 0, "\(name) has CAP_SYS_ADMIN: \(r)") }
        #expect(!r.stdout.contains("mounted") && r.stderr.contains("mount: permission denied"), "\(r)")

        // The same script with CAP_SYS_ADMIN listed mounts: the check above can fail.
        let withAdmin = listed + ["CAP_SYS_ADMIN"]
        b.process["capabilities"] = caps(bounding: withAdmin, effective: withAdmin, permitted: withAdmin, inheritable: [], ambient: [])
        let admin = try b.run()
        #expect(admin.stdout.contains("mounted") && Cap.sets(in: admin.stdout)["CapEff"] == Cap.mask(withAdmin), "\(admin)")
        b.assertClean()
    }

    @Test("non-root: bounding and inheritable as configured; ambient survives execve and becomes permitted and effective")
    func nonRootSets() throws {
        let b = try RuntimeBundle("capu")
        let bounding = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETUID"]
        let pie = ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"]
        let ambient = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]
        b.process["user"] = ["uid": 1000, "gid": 1000]
        b.process["capabilities"] = caps(bounding: bounding, effective: pie, permitted: pie, inheritable: pie, ambient: ambient)
        // nc binds port 80 and waits (ended by timeout), or fails at once without CAP_NET_BIND_SERVICE.
        b.script("id -u; grep ^Cap /proc/self/status; timeout 1 nc -l -p 80 </dev/null 2>&1 | grep -q 'Permission denied' || echo bound80")
        let r = try b.run()
        let sets = Cap.sets(in: r.stdout)
        #expect(r.stdout.hasPrefix("1000"), "\(r)")
        #expect(sets["CapBnd"] == Cap.mask(bounding), "\(r)")
        #expect(sets["CapInh"] == Cap.mask(pie), "\(r)")
        #expect(sets["CapAmb"] == Cap.mask(ambient), "\(r)")
        #expect(sets["CapPrm"] == Cap.mask(ambient) && sets["CapEff"] == Cap.mask(ambient), "\(r)")
        #expect(r.stdout.contains("bound80"), "CAP_NET_BIND_SERVICE from the ambient set lets uid 1000 bind port 80: \(r)")

        // Without the ambient set, nothing survives execve for uid 1000.
        b.process["capabilities"] = caps(bounding: bounding, effective: pie, permitted: pie, inheritable: pie, ambient: [])
        let none = try b.run()
        let s = Cap.sets(in: none.stdout)
        #expect(s["CapEff"] == 0 && s["CapPrm"] == 0 && s["CapAmb"] == 0 && s["CapInh"] == Cap.mask(pie), "\(none)")
        #expect(!none.stdout.contains("bound80"), "\(none)")
        b.assertClean()
    }

    @Test("no process.capabilities: every set is empty, as with runc")
    func absentMeansEmpty() throws {
        let b = try RuntimeBundle("capn")
        var p = b.process
        p.removeValue(forKey: "capabilities")
        b.process = p
        b.script("grep ^Cap /proc/self/status")
        let r = try b.run()
        let sets = Cap.sets(in: r.stdout)
        #expect(sets.count == 5 && sets.values.allSatisfy { $0 == 0 }, "\(r)")
        b.assertClean()
    }

    @Test("unknown capability names and effective outside permitted: one line naming the field, nothing left")
    func badCapabilities() throws {
        let b = try RuntimeBundle("capb")
        b.script("true")
        b.process["capabilities"] = caps(bounding: ["CAP_KILL", "CAP_FLY"], effective: [], permitted: [], inheritable: [], ambient: [])
        try b.expectRefused("process.capabilities.bounding[1]: unknown capability 'CAP_FLY'")
        b.process["capabilities"] = caps(bounding: [], effective: [], permitted: [], inheritable: [], ambient: ["SYS_ADMIN"])
        try b.expectRefused("process.capabilities.ambient[0]: unknown capability 'SYS_ADMIN'")
        b.process["capabilities"] = caps(bounding: ["CAP_KILL", "CAP_CHOWN"], effective: ["CAP_KILL", "CAP_CHOWN"], permitted: ["CAP_KILL"], inheritable: [], ambient: [])
        try b.expectRefused("process.capabilities.effective: CAP_CHOWN not in permitted")
    }
}
