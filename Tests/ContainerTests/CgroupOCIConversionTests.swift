import FoundationEssentials
import Testing
import Cgroups
@testable import Container
import OCI

/// OCI `linux.resources` → `CgroupResources` (pure: no cgroupfs).
@Suite("CgroupOCIConversion: linux.resources to the Cgroups module's types")
struct CgroupOCIConversionTests {
    func resources(_ json: String) throws -> Resources {
        try Runtime.decodeResources(Array(json.utf8), source: "test")
    }

    /// Every field of the spec's resources object lands in the matching CgroupResources field.
    @Test func everyFieldIsConverted() throws {
        let r = try resources("""
        {
          "devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"},
                      {"allow": true, "type": "b", "major": 8, "access": "m"}],
          "memory": {"limit": 1000000, "reservation": 500000, "swap": 2000000, "kernel": 1, "kernelTCP": 2, "swappiness": 10,
                     "disableOOMKiller": true, "useHierarchy": true, "checkBeforeUpdate": true},
          "cpu": {"shares": 512, "quota": 50000, "burst": 1000, "period": 100000, "realtimeRuntime": 950, "realtimePeriod": 1000,
                  "cpus": "0-1", "mems": "0", "idle": 1},
          "pids": {"limit": 64},
          "blockIO": {"weight": 300, "leafWeight": 200,
                      "weightDevice": [{"major": 8, "minor": 0, "weight": 500, "leafWeight": 100}],
                      "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
                      "throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 2097152}],
                      "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 100}],
                      "throttleWriteIOPSDevice": [{"major": 8, "minor": 0}]},
          "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
          "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
          "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
          "unified": {"memory.high": "900000"}
        }
        """)
        let c = try CgroupsConversion.convert(r)
        let expected = CgroupResources(
            memory: MemoryLimits(limit: 1_000_000, reservation: 500_000, swap: 2_000_000, kernel: 1, kernelTCP: 2, swappiness: 10,
                                 disableOOMKiller: true, useHierarchy: true, checkBeforeUpdate: true),
            cpu: CPULimits(shares: 512, quota: 50_000, period: 100_000, burst: 1000, realtimeRuntime: 950, realtimePeriod: 1000,
                           cpus: "0-1", mems: "0", idle: 1),
            pids: PidsLimits(limit: 64),
            blockIO: BlockIOLimits(weight: 300, leafWeight: 200,
                                   weightDevice: [WeightDevice(major: 8, minor: 0, weight: 500, leafWeight: 100)],
                                   throttleReadBpsDevice: [ThrottleDevice(major: 8, minor: 0, rate: 1_048_576)],
                                   throttleWriteBpsDevice: [ThrottleDevice(major: 8, minor: 16, rate: 2_097_152)],
                                   throttleReadIOPSDevice: [ThrottleDevice(major: 8, minor: 0, rate: 100)],
                                   // runc reads a missing rate as 0 (no limit for the device).
                                   throttleWriteIOPSDevice: [ThrottleDevice(major: 8, minor: 0, rate: 0)]),
            hugepageLimits: [HugepageLimit(pageSize: "2MB", limit: 4_194_304)],
            network: NetworkSettings(classID: 1_048_577, priorities: [InterfacePriority(name: "eth0", priority: 500)]),
            devices: [DeviceRule(allow: false, type: .all, major: nil, minor: nil, access: "rwm"),
                      DeviceRule(allow: true, type: .char, major: 1, minor: 3, access: "rw"),
                      DeviceRule(allow: true, type: .block, major: 8, minor: nil, access: "m")],
            rdma: ["mlx5_1": RdmaLimit(hcaHandles: 3, hcaObjects: 10_000)],
            unified: ["memory.high": "900000"])
        #expect(c == expected)
    }

    @Test func emptyResourcesConvertToNothing() throws {
        #expect(try CgroupsConversion.convert(Resources()).isEmpty)
        // Empty sub-objects set nothing, so a host without that controller cannot fail on them.
        let r = try resources(#"{"memory": {}, "cpu": {}, "blockIO": {}, "network": {}, "devices": [], "hugepageLimits": []}"#)
        #expect(try CgroupsConversion.convert(r).isEmpty)
        // checkBeforeUpdate alone changes nothing either.
        #expect(try CgroupsConversion.convert(try resources(#"{"memory": {"checkBeforeUpdate": true}}"#)).isEmpty)
    }

    @Test func deviceRuleShapes() throws {
        let r = try resources(#"{"devices": [{"allow": true}, {"allow": false, "type": "c", "major": -1, "minor": -1, "access": ""}]}"#)
        let d = try CgroupsConversion.convert(r).devices
        #expect(d == [DeviceRule(allow: true, type: .all, access: "rwm"), DeviceRule(allow: false, type: .char, access: "rwm")])
        #expect(d.map(\.v1Line) == ["a *:* rwm", "c *:* rwm"])
    }

    @Test(arguments: [
        (#"{"devices": [{"allow": true, "type": "x"}]}"#, "linux.resources.devices[0].type"),
        (#"{"devices": [{"allow": true}, {"allow": true, "access": "rwx"}]}"#, "linux.resources.devices[1].access"),
        (#"{"devices": [{"allow": true, "access": "rr"}]}"#, "linux.resources.devices[0].access"),
        (#"{"devices": [{"allow": true, "major": -5}]}"#, "linux.resources.devices[0].major"),
        (#"{"blockIO": {"weightDevice": [{"major": -1, "minor": 0, "weight": 10}]}}"#, "linux.resources.blockIO.weightDevice[0].major"),
        (#"{"blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": -2, "rate": 1}]}}"#, "linux.resources.blockIO.throttleReadBpsDevice[0].minor"),
    ])
    func badValuesNameTheirField(json: String, field: String) throws {
        let r = try resources(json)
        let e = #expect(throws: (any Error).self) { try CgroupsConversion.convert(r) }
        #expect("\(e!)".contains(field), "\(e!)")
    }

    /// runc's allowed devices follow the spec's rules, so the default `deny all` leaves /dev/null & co usable.
    @Test func defaultDevicesFollowTheSpecRules() throws {
        let spec = DefaultSpec.make(rootless: false, uid: 0, gid: 0)
        let c = try CgroupsConversion.forContainer(spec.linux!.resources!)
        #expect(c.devices.first == DeviceRule(allow: false, type: .all, access: "rwm"))
        #expect(Array(c.devices.dropFirst()) == CgroupsConversion.defaultAllowedDevices)
        #expect(c.devices.map(\.v1Line).contains("c 1:3 rwm"))
        #expect(c.devices.map(\.v1Line).contains("c 136:* rwm"))
    }

    /// An explicit rule for a default device wins: the default for that device is left out, so `deny c 1:3`
    /// really denies /dev/null (last match wins).
    @Test func explicitRuleForADefaultDeviceWins() throws {
        let r = try resources(#"{"devices": [{"allow": false, "access": "rwm"}, {"allow": false, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]}"#)
        let d = try CgroupsConversion.forContainer(r).devices
        #expect(!d.contains(DeviceRule(allow: true, type: .char, major: 1, minor: 3, access: "rwm")))
        #expect(d.last(where: { $0.major == 1 && $0.minor == 3 })?.allow == false)
        #expect(d.count == 2 + CgroupsConversion.defaultAllowedDevices.count - 1)
    }

    @Test func noDeviceRulesMeansNoDefaultsEither() throws {
        #expect(try CgroupsConversion.forContainer(try resources(#"{"pids": {"limit": 5}}"#)).devices.isEmpty)
    }

    /// The v1 writes the default spec's rules become: the deny-all empties the list, the allows follow.
    @Test func defaultSpecPlansV1DeviceWrites() throws {
        let layout = CgroupLayout.v1(root: "/nonexistent-cove-test", controllers: ["devices"])
        let m = try V1Manager(path: CgroupPath(nil, containerID: "t"), layout: layout)
        var warnings: [CgroupWarning] = []
        let spec = DefaultSpec.make(rootless: false, uid: 0, gid: 0)
        let writes = try m.plan(try CgroupsConversion.forContainer(spec.linux!.resources!), warnings: &warnings)
        #expect(writes.first == CgroupWrite("devices", "devices.deny", "a *:* rwm"))
        #expect(writes.dropFirst().allSatisfy { $0.file == "devices.allow" })
        #expect(writes.contains(CgroupWrite("devices", "devices.allow", "c 1:3 rwm")))
    }

    /// `update`: values given replace, values not given stay.
    @Test func updateMergesIntoTheRecordedResources() throws {
        let before = try resources(#"{"memory": {"limit": 100, "swap": 200}, "cpu": {"shares": 10}, "pids": {"limit": 5}, "unified": {"a": "1"}}"#)
        let upd = try resources(#"{"memory": {"limit": 150}, "cpu": {"quota": 1000}, "unified": {"b": "2"}}"#)
        let after = before.merging(upd)
        #expect(after.memory?.limit == 150 && after.memory?.swap == 200)
        #expect(after.cpu?.shares == 10 && after.cpu?.quota == 1000)
        #expect(after.pids?.limit == 5)
        #expect(after.unified == ["a": "1", "b": "2"])
    }

    @Test func updateResourcesRejectUnknownFields() throws {
        let e = #expect(throws: (any Error).self) { try resources(#"{"memory": {"limt": 100}}"#) }
        #expect("\(e!)".contains("unknown field memory.limt"), "\(e!)")
        let e2 = #expect(throws: (any Error).self) { try resources("[1]") }
        #expect("\(e2!)".contains("test"), "\(e2!)")
    }
}
