import Foundation
import Testing
@testable import Container
import OCI
import Seccomp

/// OCI `linux.seccomp` → `SeccompFilter` (pure: nothing is loaded).
@Suite("SeccompConversion: linux.seccomp to the Seccomp module's filter")
struct SeccompConversionTests {
    func spec(_ seccomp: String, noNewPrivileges: Bool = true) throws -> Spec {
        let json = """
        {"ociVersion": "1.2.0", "process": {"args": ["sh"], "cwd": "/", "noNewPrivileges": \(noNewPrivileges)},
         "root": {"path": "rootfs"}, "linux": {"seccomp": \(seccomp)}}
        """
        return try SpecDecoder.decode(Array(json.utf8), source: "test").spec
    }

    @Test func everyFieldIsConverted() throws {
        let s = try spec("""
        {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
         "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "flags": ["SECCOMP_FILTER_FLAG_LOG"],
         "listenerPath": "/run/agent.sock", "listenerMetadata": "m",
         "syscalls": [
           {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
           {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30},
           {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
            "args": [{"index": 0, "value": 255, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}, {"index": 1, "value": 3, "op": "SCMP_CMP_GE"}]},
           {"names": ["chroot"], "action": "SCMP_ACT_KILL"},
           {"names": ["ptrace"], "action": "SCMP_ACT_TRACE", "errnoRet": 7},
           {"names": ["mount"], "action": "SCMP_ACT_NOTIFY"},
           {"names": ["reboot"], "action": "SCMP_ACT_KILL_PROCESS"},
           {"names": ["swapon"], "action": "SCMP_ACT_LOG"}
         ]}
        """)
        let c = try #require(try ContainerSeccomp.make(s))
        #expect(c.filter.defaultAction == .errno(38))
        #expect(c.filter.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])
        #expect(c.filter.flags == ["SECCOMP_FILTER_FLAG_LOG"])
        #expect(c.filter.rules.map(\.action) == [.allow, .errno(30), .allow, .killThread, .trace(7), .notify, .killProcess, .log])
        #expect(c.filter.rules[0].names == ["read", "write"])
        #expect(c.filter.rules[2].conditions == [
            .init(index: 0, value: 255, valueTwo: 8, op: .maskedEqual), .init(index: 1, value: 3, valueTwo: 0, op: .greaterOrEqual),
        ])
        #expect(c.filter.usesNotify && c.listenerPath == "/run/agent.sock" && c.listenerMetadata == "m")
        #expect(c.phase == .beforeExec)
    }

    @Test func errnoDefaultsToEPERMAndPhaseFollowsNoNewPrivileges() throws {
        let s = try spec(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}"#,
                         noNewPrivileges: false)
        let c = try #require(try ContainerSeccomp.make(s))
        #expect(c.filter.rules[0].action == .errno(1))
        #expect(c.phase == .beforeIdentity)
        #expect(try ContainerSeccomp.make(try spec("null")) == nil)
    }

    @Test(arguments: [
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1}"#, "test: linux.seccomp.defaultErrnoRet: SCMP_ACT_ALLOW takes no errno"),
        (#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 5000}"#, "test: linux.seccomp.defaultErrnoRet: 5000 is out of range 0-4095"),
        (#"{"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/x"}"#, "test: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_SH"]}"#, "test: linux.seccomp.architectures[0]: unknown architecture 'SCMP_ARCH_SH'"),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]}"#, "test: linux.seccomp.flags[0]: flag 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV' is not supported"),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}"#, "test: linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY"),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/x", "syscalls": [{"names": ["write"], "action": "SCMP_ACT_NOTIFY"}]}"#, "test: linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for the write syscall"),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mk dir"], "action": "SCMP_ACT_ERRNO"}]}"#, "test: linux.seccomp.syscalls[0].names[0]: 'mk dir' is not a syscall name"),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "errnoRet": 2}]}"#, "test: linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_ALLOW takes no errno"),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 7, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#, "test: linux.seccomp.syscalls[0].args[0].index: 7 is out of range 0-5"),
    ])
    func refusals(_ seccomp: String, _ message: String) throws {
        let s = try spec(seccomp)
        #expect(throws: SpecError.self) { try ContainerSeccomp.make(s, source: "test") }
        do { _ = try ContainerSeccomp.make(s, source: "test") } catch {
            #expect("\(error)".hasPrefix(message), "\(error)")
        }
    }

    @Test func containerProcessStateIsRuncs() throws {
        let state = State(id: "c1", pid: 42, status: .creating, bundle: "/b", rootfs: "/b/rootfs", created: "t", owner: "root")
        let text = ContainerSeccomp.processState(state, metadata: "meta \"q\"")
        let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        #expect(json["fds"] as? [String] == ["seccompFd"])
        #expect(json["pid"] as? Int == 42)
        #expect(json["metadata"] as? String == "meta \"q\"")
        let st = json["state"] as! [String: Any]
        #expect(st["id"] as? String == "c1" && st["status"] as? String == "creating" && st["pid"] as? Int == 42)
        #expect(st["rootfs"] == nil, "only the spec's state fields")
    }
}
