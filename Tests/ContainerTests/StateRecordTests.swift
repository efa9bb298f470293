import Foundation
import Testing
@testable import Container
import Kernel
import OCI

/// ContainerRecord as state.json keeps it: the config as parsed, written from its text, read back as a tree.
@Suite("State record: config kept as JSON")
struct StateRecordTests {
    let configText = """
    {
      "ociVersion": "1.0.2", "root": {"path": "rootfs"}, "x-extension": [1, 2.5, "three"],
      "process": {"cwd": "/", "args": ["sh", "-c", "echo \\"hi\\""]},
      "hooks": {"poststop": [{"path": "/bin/true"}]},
      "linux": {"cgroupsPath": "/a/b", "namespaces": [{"type": "pid"}, {"type": "network", "path": "/run/netns/x"}]}
    }
    """

    func record() throws -> ContainerRecord {
        var r = ContainerRecord(id: "c1", bundle: "/b", rootfs: "/b/rootfs", created: "2026-11-29T00:00:00Z", owner: "root",
                                pid: 42, initStartTime: 7, phase: .created,
                                config: try SpecDecoder.parse(Array(configText.utf8), source: "t"))
        r.configText = configText
        r.cgroupPaths = ["memory": "/sys/fs/cgroup/memory/a/b"]
        return r
    }

    @Test("written from the config's text, read back as the same tree; the parts decode alone")
    func roundTrip() throws {
        let text = try JSONTreeEncoder.encode(try record())
        #expect(text.contains(#""x-extension": [1, 2.5, "three"]"#), "the config's own text is embedded")
        let back = try SpecDecoder.decode(ContainerRecord.self, from: Array(text.utf8), source: "state.json")
        #expect(back.config == (try record()).config)
        #expect(back.configText == nil && back.pid == 42 && back.phase == .created && back.cgroupPaths?["memory"] != nil)
        #expect(back.ociVersion == "1.0.2")
        #expect(back.cgroupsPath == "/a/b")
        #expect(try back.hooks()?.poststop?.first?.path == "/bin/true")
        #expect(try back.namespaces().map(\.type) == [.pid, .network])
        #expect(try back.spec().process?.args == ["sh", "-c", "echo \"hi\""])
        #expect(try back.specForExec().linux?.cgroupsPath == "/a/b")
    }

    @Test("after update the config is rendered from the typed spec; Foundation's encoder writes the same document")
    func replacedAndFoundation() throws {
        var r = try record()
        var spec = try r.spec()
        spec.hostname = "changed"
        try r.replaceConfig(with: spec)
        #expect(r.configText == nil)
        let text = try JSONTreeEncoder.encode(r)
        let back = try SpecDecoder.decode(ContainerRecord.self, from: Array(text.utf8), source: "state.json")
        #expect(try back.spec().hostname == "changed")
        let viaFoundation = try JSONEncoder().encode(try record())
        let other = try SpecDecoder.decode(ContainerRecord.self, from: Array(viaFoundation), source: "state.json")
        #expect(other.config == (try record()).config)
    }

    @Test("jsonText writes what the Encodable conformance writes: with or without the config's text and cgroup paths")
    func directText() throws {
        var variants: [ContainerRecord] = []
        var r = try record()
        variants.append(r)
        r.cgroupPaths = ["memory": "/sys/fs/cgroup/memory/a b", "": "/sys/fs/cgroup/unified/\"q\"", "pids": "/p\\x"]
        r.owner = "ünïcode\n"
        variants.append(r)
        r.configText = nil
        r.cgroupPaths = nil
        r.phase = .creating
        variants.append(r)
        for v in variants {
            let direct = v.jsonText
            let encoded = try JSONTreeEncoder.encode(v)
            #expect(try SpecDecoder.parse(Array(direct.utf8), source: "a") == (try SpecDecoder.parse(Array(encoded.utf8), source: "b")))
            if (v.cgroupPaths?.count ?? 0) < 2 { #expect(direct == encoded) }
            let back = try SpecDecoder.decode(ContainerRecord.self, from: Array(direct.utf8), source: "state.json")
            #expect(back.id == v.id && back.owner == v.owner && back.pid == v.pid && back.initStartTime == v.initStartTime)
            #expect(back.phase == v.phase && back.cgroupPaths == v.cgroupPaths && back.config == v.config)
        }
    }

    @Test("a part of the wrong type names its full path")
    func partErrors() throws {
        let text = #"{"ociVersion":"1.0.2","linux":{"namespaces":[{"type":7}]}}"#
        var r = try record()
        r.config = try SpecDecoder.parse(Array(text.utf8), source: "t")
        #expect(throws: (any Error).self) { try r.namespaces() }
        do { _ = try r.namespaces() } catch {
            #expect("\(error)".hasSuffix("linux.namespaces[0].type: expected a string"), "\(error)")
        }
    }
}

@Suite("Init process: /proc/PID/stat")
struct ProcStatTests {
    @Test("created timestamps: the arithmetic calendar agrees with gmtime_r, before 1970 and past 2100 too")
    func timestampMatchesGmtime() {
        var samples: [Int64] = [0, -1, 86399, 86400, 951_782_400, 4_107_542_400, -2_208_988_800, 253_402_300_799]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 { samples.append(Int64.random(in: -5_000_000_000...10_000_000_000, using: &rng)) }
        for secs in samples {
            var t = time_t(secs)
            var tm = tm()
            gmtime_r(&t, &tm)
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.000000042Z", tm.tm_year + 1900, tm.tm_mon + 1,
                                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)
            #expect(Timestamp.format(seconds: secs, nanoseconds: 42) == expected, "\(secs)")
        }
    }

    @Test("state and start time of a live process (fields after the command name); none for a missing one")
    func parsesAfterCommandName() throws {
        let pid = getpid()
        let me = try #require(InitProcess.procStat(pid))
        #expect(me.state == "R" || me.state == "S")
        let text = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = text[text.range(of: ")", options: .backwards)!.upperBound...].split(separator: " ")
        #expect(me.startTime == UInt64(fields[19]))
        #expect(InitProcess.procStat(Int32.max) == nil)
        #expect(InitProcess.isAlive(pid: pid, startTime: me.startTime))
        #expect(!InitProcess.isAlive(pid: pid, startTime: me.startTime + 1))
    }
}

/// StagedFile: the file appears whole under its name, over nothing or over an older version.
@Suite("State store: staged files")
struct StagedFileTests {
    func withTempDir(_ body: (String) throws -> Void) throws {
        var template = Array("/tmp/cove-staged-XXXXXX".utf8CString)
        let dir = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
        defer {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] { unlink(dir + "/" + name) }
            rmdir(dir)
        }
        try body(dir)
    }

    @Test("put in place over nothing, then over the old version; no .tmp is left and the old text is gone",
          arguments: [false, true])
    func commitNewAndReplace(exchanges: Bool) throws {
        try withTempDir { dir in
            let path = dir + "/state.json"
            let first = try StagedFile(path, "first", exchanges: exchanges)
            #expect(!FileManager.default.fileExists(atPath: path), "staged, not yet in place")
            try first.commit()
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "first")
            try StagedFile(path, "second, longer", exchanges: exchanges).commit()
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "second, longer")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["state.json"])
            try FileIO.writeAtomically(path, "third")
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "third")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["state.json"])
        }
    }

    @Test("a directory where the file goes stays where it is, and the error says so", arguments: [false, true])
    func directoryInTheWay(exchanges: Bool) throws {
        try withTempDir { dir in
            let path = dir + "/state.json"
            #expect(mkdir(path, 0o755) == 0)
            defer { rmdir(path) }
            let staged = try StagedFile(path, "x", exchanges: exchanges)
            do {
                try staged.commit()
                Issue.record("committed over a directory")
            } catch { #expect("\(error)" == "rename \(path): Is a directory", "\(error)") }
            var st = stat()
            #expect(lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR)
            #expect(try String(contentsOfFile: path + ".tmp", encoding: .utf8) == "x", "the staged file is still staged")
            staged.discard()
        }
    }

    @Test("a commit whose staged file is gone fails and names the file")
    func commitWithoutStagedFile() throws {
        try withTempDir { dir in
            let path = dir + "/state.json"
            let staged = try StagedFile(path, "x")
            staged.discard()
            #expect(throws: (any Error).self) { try staged.commit() }
            do { try staged.commit() } catch { #expect("\(error)" == "rename \(path): No such file or directory", "\(error)") }
        }
    }
}
