import Foundation
import Testing
@testable import OCI

/// Every field of every runtime-spec type, set: what `TreeDecodable` must read completely.
private let maximal = """
{"ociVersion":"1.3.0",
 "process":{"terminal":true,"consoleSize":{"height":24,"width":80},
  "user":{"uid":1,"gid":2,"umask":18,"additionalGids":[3,4],"username":"u"},
  "args":["sh","-c","true"],"commandLine":"sh","env":["A=1"],"cwd":"/w",
  "capabilities":{"bounding":["CAP_KILL"],"effective":["CAP_KILL"],"inheritable":["CAP_KILL"],"permitted":["CAP_KILL"],"ambient":["CAP_KILL"]},
  "rlimits":[{"type":"RLIMIT_NOFILE","hard":1024,"soft":512}],"noNewPrivileges":true,"apparmorProfile":"a",
  "oomScoreAdj":-17,
  "scheduler":{"policy":"SCHED_FIFO","nice":-1,"priority":10,"flags":["SCHED_FLAG_RESET_ON_FORK"],"runtime":1,"deadline":2,"period":3},
  "selinuxLabel":"s","ioPriority":{"class":"IOPRIO_CLASS_BE","priority":4},
  "execCPUAffinity":{"initial":"0","final":"0-1"}},
 "root":{"path":"rootfs","readonly":true},
 "hostname":"h","domainname":"d",
 "mounts":[{"destination":"/m","source":"/s","options":["ro"],"type":"bind",
  "uidMappings":[{"containerID":0,"hostID":1000,"size":1}],"gidMappings":[{"containerID":0,"hostID":1000,"size":1}]}],
 "hooks":{"prestart":[{"path":"/h","args":["h"],"env":["E=1"],"timeout":5}],"createRuntime":[{"path":"/h","args":["h"],"env":["E=1"],"timeout":5}],
  "createContainer":[{"path":"/h","args":["h"],"env":["E=1"],"timeout":5}],"startContainer":[{"path":"/h","args":["h"],"env":["E=1"],"timeout":5}],"poststart":[{"path":"/h","args":["h"],"env":["E=1"],"timeout":5}],"poststop":[{"path":"/h","args":["h"],"env":["E=1"],"timeout":5}]},
 "annotations":{"k":"v"},
 "linux":{"namespaces":[{"type":"network","path":"/run/netns/x"}],
  "uidMappings":[{"containerID":0,"hostID":1000,"size":10}],"gidMappings":[{"containerID":0,"hostID":1000,"size":10}],
  "timeOffsets":{"boottime":{"secs":1,"nanosecs":2},"monotonic":{"secs":3,"nanosecs":4}},
  "devices":[{"type":"c","path":"/dev/x","major":1,"minor":3,"fileMode":438,"uid":0,"gid":0}],
  "netDevices":{"eth0":{"name":"e0"}},"cgroupsPath":"/c",
  "resources":{"devices":[{"allow":false,"type":"c","major":1,"minor":3,"access":"rwm"}],
   "memory":{"limit":1,"reservation":2,"swap":3,"kernel":4,"kernelTCP":5,"swappiness":6,"disableOOMKiller":true,"useHierarchy":true,"checkBeforeUpdate":true},
   "cpu":{"shares":1,"quota":2,"burst":3,"period":4,"realtimeRuntime":5,"realtimePeriod":6,"cpus":"0","mems":"0","idle":1},
   "pids":{"limit":7},
   "blockIO":{"weight":10,"leafWeight":10,"weightDevice":[{"major":8,"minor":0,"weight":10,"leafWeight":10}],
    "throttleReadBpsDevice":[{"major":8,"minor":0,"rate":1}],"throttleWriteBpsDevice":[{"major":8,"minor":0,"rate":1}],
    "throttleReadIOPSDevice":[{"major":8,"minor":0,"rate":1}],"throttleWriteIOPSDevice":[{"major":8,"minor":0,"rate":1}]},
   "hugepageLimits":[{"pageSize":"2MB","limit":0}],
   "network":{"classID":1,"priorities":[{"name":"eth0","priority":1}]},
   "rdma":{"mlx":{"hcaHandles":1,"hcaObjects":2}},"unified":{"memory.high":"1"}},
  "rootfsPropagation":"slave",
  "seccomp":{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"flags":["SECCOMP_FILTER_FLAG_LOG"],
   "listenerPath":"/l","listenerMetadata":"m","architectures":["SCMP_ARCH_X86_64"],
   "syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","errnoRet":1,"args":[{"index":0,"value":1,"valueTwo":2,"op":"SCMP_CMP_EQ"}]}]},
  "sysctl":{"net.ipv4.ip_forward":"1"},"maskedPaths":["/proc/kcore"],"readonlyPaths":["/proc/sys"],"mountLabel":"l",
  "intelRdt":{"closID":"c","schemata":["L3:0=f"],"l3CacheSchema":"L3:0=f","memBwSchema":"MB:0=100","enableMonitoring":true},
  "memoryPolicy":{"mode":"MPOL_BIND","nodes":"0","flags":["MPOL_F_STATIC_NODES"]},
  "personality":{"domain":"LINUX","flags":["f"]}},
 "freebsd":{"devices":[{"path":"/dev/x","mode":384}],
  "jail":{"parent":"p","host":"new","ip4":"inherit","ip4Addr":["10.0.0.1"],"ip6":"disable","ip6Addr":["::1"],"vnet":"new",
   "interface":"i","vnetInterfaces":["v"],"sysvmsg":"new","sysvsem":"new","sysvshm":"new","enforceStatfs":1,
   "allow":{"setHostname":true,"rawSockets":true,"chflags":true,"mount":["tmpfs"],"quotas":true,"socketAf":true,"mlock":true,
    "reservedPorts":true,"suser":true}}},
 "solaris":{"milestone":"m"},"windows":{"layerFolders":["a"]},"vm":{"hypervisor":{"path":"/h"}},"zos":{"namespaces":[]}}
"""

/// Paths of optional fields left nil anywhere in `value` (arrays: every element; dictionaries: every value).
private func unset(_ value: Any, _ path: String = "") -> [String] {
    let m = Mirror(reflecting: value)
    if m.displayStyle == .optional {
        guard let inner = m.children.first?.value else { return [path] }
        return unset(inner, path)
    }
    var out: [String] = []
    switch m.displayStyle {
    case .struct:
        for c in m.children { out += unset(c.value, path + "." + (c.label ?? "?")) }
    case .collection:
        for (i, c) in m.children.enumerated() { out += unset(c.value, "\(path)[\(i)]") }
    case .dictionary:
        for c in m.children {
            let pair = Mirror(reflecting: c.value).children.map(\.value)
            if pair.count == 2 { out += unset(pair[1], "\(path).\(pair[0])") }
        }
    default:
        break
    }
    return out
}

@Suite("TreeDecodable: the hand-written decoding of the spec types")
struct OCITreeDecodingTests {
    @Test("a document with every field set decodes with every field set and no unknown field")
    func everyFieldIsRead() throws {
        let decoded = try SpecDecoder.decode(Array(maximal.utf8), source: "maximal.json")
        #expect(decoded.unknownFields == [])
        #expect(unset(decoded.spec) == [])
        #expect(decoded.spec.linux?.resources?.blockIO?.throttleWriteIOPSDevice?.first?.rate == 1)
        #expect(decoded.spec.process?.ioPriority?.class == .be)
        #expect(decoded.spec.freebsd?.jail?.allow?.suser == true)
    }

    @Test("decoding what the Encodable conformance writes gives the same value back")
    func roundTrip() throws {
        let spec = try SpecDecoder.decode(Array(maximal.utf8)).spec
        let text = try JSONTreeEncoder.encode(spec)
        let again = try SpecDecoder.decode(Array(text.utf8), source: "again")
        #expect(again.spec == spec)
        #expect(again.unknownFields == [])
        let defaults = DefaultSpec.make()
        #expect(try SpecDecoder.decode(Array(try JSONTreeEncoder.encode(defaults).utf8)).spec == defaults)
    }

    @Test("errors name the field as a synthesized Decodable did",
          arguments: [
            (#"{"ociVersion":"1","process":{"args":["a"]}}"#, "process.cwd: required field is missing"),
            (#"{"ociVersion":"1","process":{"cwd":"/","args":"a"}}"#, "process.args: expected an array"),
            (#"{"ociVersion":"1","process":{"cwd":null}}"#, "process.cwd: expected a string, got null"),
            (#"{"ociVersion":"1","linux":{"namespaces":[{"type":"pid"},{"type":"bogus"}]}}"#, "linux.namespaces[1].type: invalid value 'bogus'"),
            (#"{"ociVersion":"1","linux":{"uidMappings":[{"containerID":0,"hostID":-1,"size":1}]}}"#, "linux.uidMappings[0].hostID: -1 is out of range"),
            (#"{"ociVersion":"1","linux":{"resources":"x"}}"#, "linux.resources: expected an object"),
            (#"{"ociVersion":"1","annotations":{"a":1}}"#, "annotations.a: expected a string"),
            (#"{"ociVersion":1}"#, "ociVersion: expected a string"),
          ])
    func errors(_ json: String, _ want: String) {
        do {
            _ = try SpecDecoder.decode(Array(json.utf8), source: "c.json")
            Issue.record("accepted: \(json)")
        } catch {
            #expect("\(error)".hasPrefix("c.json: \(want)"), "\(error)")
        }
    }
}
