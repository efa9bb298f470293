import Foundation
import Testing
@testable import OCI

private let schemaDir = "/work/shared/oci-runtime-spec-schema"

private func fixture(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: "\(schemaDir)/test/config/\(path)")))
}

private func decode(_ json: String) throws -> DecodedSpec {
    try SpecDecoder.decode(Array(json.utf8))
}

private func errorText(_ body: () throws -> Void) -> String {
    do { try body(); return "" } catch { return "\(error)" }
}

private let minimal = """
{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"cwd":"/","args":["sh"]},
 "linux":{"namespaces":[{"type":"mount"},{"type":"pid"}]}}
"""

@Suite("OCI spec fixtures")
struct OCIFixtureTests {
    @Test("every fixture in test/config/good parses without unknown fields",
          arguments: ["freebsd-example.json", "freebsd-minimal.json", "linux-netdevice.json", "linux-rdma.json",
                      "minimal-for-start.json", "minimal.json", "spec-example.json", "zos-example.json", "zos-minimal.json"])
    func goodParses(_ name: String) throws {
        let decoded = try SpecDecoder.decode(try fixture("good/\(name)"), source: name)
        // spec-example.json still carries linux.resources.oomScoreAdj, which the schema no longer defines.
        let expected = name == "spec-example.json" ? ["linux.resources.oomScoreAdj"] : []
        #expect(decoded.unknownFields == expected, "\(decoded.unknownFields)")
        #expect(decoded.spec.root?.path == "rootfs")
    }

    @Test("every fixture in test/config/bad is rejected, naming the field")
    func badRejected() throws {
        let expectations = [
            "freebsd-vnet-disable.json": "freebsd.jail.vnet: invalid value 'disable'",
            "invalid-json.json": "invalid JSON",
            "linux-hugepage.json": "linux.resources.hugepageLimits[0].pageSize",
            "linux-netdevice.json": "linux.netDevices.eth0.name: expected a string",
            "linux-rdma.json": "linux.resources.rdma.mlx5_1.hcaHandles: expected an integer",
        ]
        let names = try FileManager.default.contentsOfDirectory(atPath: "\(schemaDir)/test/config/bad")
        #expect(Set(names) == Set(expectations.keys))
        for (name, want) in expectations {
            let text = errorText { _ = try SpecDecoder.decode(try fixture("bad/\(name)"), source: name) }
            #expect(text.hasPrefix("\(name): "), "\(text)")
            #expect(text.contains(want), "\(name): \(text)")
            #expect(!text.contains("\n"))
        }
    }

    @Test("spec-example.json decodes its Linux sections into typed fields")
    func specExampleFields() throws {
        let spec = try SpecDecoder.decode(try fixture("good/spec-example.json")).spec
        #expect(spec.process?.user?.additionalGids == [5, 6])
        #expect(spec.linux?.namespaces?.contains { $0.type == .network } == true)
        #expect(spec.linux?.resources?.memory?.limit != nil)
        #expect(spec.linux?.seccomp?.defaultAction == .allow)
        #expect(spec.hooks?.poststop?.first?.path.hasPrefix("/") == true)
    }
}

@Suite("OCI spec decoding and validation")
struct OCIValidationTests {
    @Test("unknown fields are reported with their path, not dropped silently")
    func unknownReported() throws {
        let d = try decode("""
        {"ociVersion":"1.0.0","root":{"path":"r","bogus":1},"linux":{"resources":{"memory":{"limitt":5}}},"extra":{"a":1}, "hostname": null}
        """)
        #expect(d.unknownFields == ["extra", "linux.resources.memory.limitt", "root.bogus"])
    }

    @Test("wrong types, missing required fields and bad enums name the field")
    func schemaErrors() {
        #expect(errorText { _ = try decode(#"{"root":{"path":"r"}}"#) } == "config.json: ociVersion: required field is missing")
        #expect(errorText { _ = try decode(#"{"ociVersion":"1.0.0","process":{"args":["a"]}}"#) }
            == "config.json: process.cwd: required field is missing")
        #expect(errorText { _ = try decode(#"{"ociVersion":"1.0.0","linux":{"namespaces":[{"type":"pid"},{"type":"bogus"}]}}"#) }
            == "config.json: linux.namespaces[1].type: invalid value 'bogus'")
        #expect(errorText { _ = try decode(#"{"ociVersion":"1.0.0","process":{"cwd":"/","user":{"uid":-1}}}"#) }
            == "config.json: process.user.uid: -1 is out of range for this field")
        #expect(errorText { _ = try decode(#"{"ociVersion":"1.0.0","process":{"cwd":"/","rlimits":[{"type":"NOFILE","hard":1,"soft":1}]}}"#) }
            .contains("process.rlimits[0].type"))
        #expect(errorText { _ = try decode("[1]") }.contains("top level"))
    }

    @Test("ociVersion 1.0.0 to 1.3.x runs; others are refused")
    func versions() throws {
        for v in ["1.0.0", "1.0.2-dev", "1.1.0", "1.2.1", "1.3.0", "1.3.7"] {
            var spec = try decode(minimal).spec
            spec.ociVersion = v
            try SpecValidator.validateForLinux(spec)
        }
        for v in ["0.5.0-dev", "2.0.0", "1.4.0", "one"] {
            var spec = try decode(minimal).spec
            spec.ociVersion = v
            #expect(errorText { try SpecValidator.validateForLinux(spec) }.contains("ociVersion"), "\(v)")
        }
    }

    @Test("Linux validation names the field", arguments: [
        (#""process":{"cwd":"tmp","args":["sh"]}"#, "process.cwd: must be an absolute path"),
        (#""process":{"cwd":"/","args":[]}"#, "process.args"),
        (#""process":{"cwd":"/","args":["sh"],"scheduler":{"policy":"SCHED_FIFO","priority":0}}"#, "process.scheduler.priority"),
        (#""process":{"cwd":"/","args":["sh"],"ioPriority":{"class":"IOPRIO_CLASS_BE","priority":9}}"#, "process.ioPriority.priority"),
        (#""process":{"cwd":"/","args":["sh"],"apparmorProfile":"x"}"#, "process.apparmorProfile"),
        (#""process":{"cwd":"/","args":["sh"],"selinuxLabel":"x"}"#, "process.selinuxLabel"),
        (#""process":{"cwd":"/","args":["sh"],"capabilities":{"bounding":["CAP_NOPE"]}}"#, "process.capabilities.bounding[0]: unknown capability"),
        (#""process":{"cwd":"/","args":["sh"],"rlimits":[{"type":"RLIMIT_BOGUS","hard":1,"soft":1}]}"#, "process.rlimits[0].type"),
        (#""process":{"cwd":"/","args":["sh"],"env":["NOEQUALS"]}"#, "process.env[0]"),
        (#""mounts":[{"destination":"relative"}]"#, "mounts[0].destination"),
        (#""hostname":"h""#, "hostname: needs a new uts namespace"),
        (#""linux":{"namespaces":[{"type":"mount"},{"type":"mount"}]}"#, "namespace 'mount' is given twice"),
        (#""linux":{"namespaces":[{"type":"mount"},{"type":"net","path":"x"}]}"#, "linux.namespaces[1].type: invalid value 'net'"),
        (#""linux":{"namespaces":[{"type":"mount"},{"type":"network","path":"rel"}]}"#, "linux.namespaces[1].path"),
        (#""linux":{"namespaces":[{"type":"mount"},{"type":"user"}]}"#, "linux.uidMappings"),
        (#""linux":{"namespaces":[{"type":"mount"}],"uidMappings":[{"containerID":0,"hostID":1000,"size":1}]}"#, "linux.uidMappings"),
        (#""linux":{"namespaces":[{"type":"mount"}],"intelRdt":{"closID":"x"}}"#, "linux.intelRdt"),
        (#""linux":{"namespaces":[{"type":"mount"}],"mountLabel":"x"}"#, "linux.mountLabel"),
        (#""linux":{"namespaces":[{"type":"mount"}],"maskedPaths":["proc/kcore"]}"#, "linux.maskedPaths[0]"),
        (#""linux":{"namespaces":[{"type":"mount"}],"sysctl":{"net.ipv4.ip_forward":"1"}}"#, "linux.sysctl.net.ipv4.ip_forward: needs a network namespace"),
        (#""linux":{"namespaces":[{"type":"mount"}],"sysctl":{"vm.swappiness":"1"}}"#, "not namespaced"),
        (#""linux":{"namespaces":[{"type":"pid"}]}"#, "a mount namespace is required"),
        (#""hooks":{"prestart":[{"path":"rel"}]}"#, "hooks.prestart[0].path"),
        (#""windows":{}"#, "windows: this platform section cannot be used on Linux"),
    ])
    func linuxValidation(_ fragment: String, _ want: String) throws {
        // The fragment overrides the base fields it names.
        var base: [String: String] = [
            "process": #""process":{"cwd":"/","args":["sh"]}"#,
            "linux": #""linux":{"namespaces":[{"type":"mount"}]}"#,
        ]
        let key = String(fragment.dropFirst().prefix { $0 != "\"" })
        base[key] = fragment
        let json = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"}," + base.values.sorted().joined(separator: ",") + "}"
        let text = errorText {
            let spec = try decode(json).spec
            try SpecValidator.validateForLinux(spec)
        }
        #expect(text.contains(want), "\(json) → \(text)")
        #expect(text.hasPrefix("config.json: "))
    }

    @Test("the default spec (runc's) round-trips and validates as it is")
    func defaultSpec() throws {
        for rootless in [false, true] {
            let spec = DefaultSpec.make(rootless: rootless, uid: 1000, gid: 1000)
            let bytes = Array(try JSONEncoder().encode(spec))
            let back = try SpecDecoder.decode(bytes)
            #expect(back.spec == spec)
            #expect(back.unknownFields.isEmpty)
            try SpecValidator.validateForLinux(spec)
            #expect(spec.process?.args == ["sh"])
            #expect(spec.linux?.namespaces?.contains { $0.type == .user } == rootless)
        }
    }
}

@Suite("OCI state and features")
struct OCIStateTests {
    @Test("state JSON has runc's fields in runc's order; annotations only when set")
    func stateJSON() throws {
        let s = State(id: "abc", pid: 42, status: .running, bundle: "/b", rootfs: "/b/rootfs",
                      created: "2026-01-01T00:00:00.000000001Z", owner: "root")
        let text = String(decoding: try s.json(), as: UTF8.self)
        #expect(text == #"{"ociVersion":"1.3.0","id":"abc","pid":42,"status":"running","bundle":"/b","rootfs":"/b/rootfs","created":"2026-01-01T00:00:00.000000001Z","owner":"root"}"#)
        var a = s
        a.annotations = ["k": "v"]
        let hooks = String(decoding: try a.forHooks.json(), as: UTF8.self)
        #expect(hooks == #"{"ociVersion":"1.3.0","id":"abc","pid":42,"status":"running","bundle":"/b","annotations":{"k":"v"}}"#)
        let back = try SpecDecoder.decode(State.self, from: try a.json(), source: "state.json")
        #expect(back == a)
    }

    @Test("features JSON decodes with the schema's field names")
    func features() throws {
        let f = Features.cove(mountOptions: ["ro", "bind"], cgroup: nil)
        let obj = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(f)) as! [String: Any]
        #expect(obj["ociVersionMin"] as? String == "1.0.0")
        #expect(obj["ociVersionMax"] as? String == "1.3.0")
        let linux = obj["linux"] as! [String: Any]
        #expect((linux["namespaces"] as! [String]).contains("network"))
        #expect((linux["seccomp"] as! [String: Any])["enabled"] as? Bool == false)
    }
}
