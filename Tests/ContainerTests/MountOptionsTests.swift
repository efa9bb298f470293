import Testing
import Kernel
@testable import Container

/// An OCI mount's `options` as mount(2) takes them.
@Suite("Mount options")
struct MountOptionsTests {
    @Test("every listed flag and propagation name is interpreted, and only those (the names `features` reports)")
    func namesMatchTheLookups() {
        for e in MountOptions.flagTable { #expect(MountOptions.flagOption(e.name)?.flag == e.flag, "\(e.name)") }
        for e in MountOptions.propagationTable { #expect(MountOptions.propagationOption(e.name) == e.flag, "\(e.name)") }
        #expect(Set(MountOptions.flagTable.map { $0.name }).count == 33 && Set(MountOptions.propagationTable.map { $0.name }).count == 8)
        for n in ["", "RO", "mode=755", "size=65536k", "rro", "nobind", "x-gvfs-hide"] {
            #expect(MountOptions.flagOption(n) == nil && MountOptions.propagationOption(n) == nil, "\(n)")
        }
        #expect(MountOptions.known.contains("rbind") && MountOptions.known.contains("rslave") && MountOptions.known.contains("idmap"))
        #expect(MountOptions.known == MountOptions.known.sorted())
    }

    @Test("flags set and clear in order, propagation comes apart, the rest is the data string")
    func split() throws {
        let o = try MountOptions(["nosuid", "noexec", "exec", "ro", "rslave", "mode=755", "size=65536k"], field: "mounts[0]")
        #expect(o.flags == [.noSuid, .readOnly])
        #expect(o.cleared == [.noExec])
        #expect(o.propagation == [[.slave, .recursive]])
        #expect(o.dataString == "mode=755,size=65536k")
        #expect(try MountOptions(["rbind", "rw"], field: "m").flags == [.bind, .recursive])
        let idmap = try MountOptions(["idmap"], field: "m")
        #expect(idmap.flags.isEmpty && idmap.data.isEmpty && idmap.propagation.isEmpty)
    }

    @Test("recursive variants of flags and tmpcopyup are refused with the field named")
    func unsupported() {
        for o in ["rro", "rnosuid", "tmpcopyup"] {
            #expect(throws: (any Error).self) { try MountOptions([o], field: "mounts[3]") }
        }
        #expect((try? MountOptions(["relatime", "remount"], field: "m")) != nil, "relatime and remount start with r and are plain flags")
    }
}
