import Foundation
import Testing

/// `cove unshare`: one test per namespace kind proving isolation with a real process.
@Suite(.enabled(if: Host.isRoot, Host.rootReason))
struct UnshareIsolationTests {
    @Test func utsHostnameStaysInside() throws {
        let host = try Shell.run(["hostname"]).stdout
        let r = try Cove.run(["unshare", "--uts", "--", "sh", "-c", "hostname cove-inner && hostname"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "cove-inner\n")
        #expect(try Shell.run(["hostname"]).stdout == host)
    }

    @Test func hostnameOption() throws {
        let r = try Cove.run(["unshare", "-u", "--hostname", "boxy", "hostname"])
        #expect(r.stdout == "boxy\n", "\(r)")
    }

    @Test func mountStaysInside() throws {
        let dir = try TempDir("cove-unshare-mnt")
        let r = try Cove.run(["unshare", "--mount", "--", "sh", "-c",
                              "mount -t tmpfs covetmp \(dir.path) && grep -c ' \(dir.path) ' /proc/self/mountinfo"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "1\n")
        #expect(Leftovers.mounts(under: dir.path).isEmpty, "the tmpfs leaked into the host's mount namespace")
    }

    @Test func propagationSharedLeaksBackButPrivateDoesNot() throws {
        // With --propagation unchanged the host's shared "/" would propagate; the default (private) must not.
        let dir = try TempDir("cove-unshare-prop")
        _ = try Cove.run(["unshare", "-m", "mount", "-t", "tmpfs", "x", dir.path])
        #expect(Leftovers.mounts(under: dir.path).isEmpty)
    }

    @Test func ipcQueueOfHostIsInvisible() throws {
        let made = try Shell.run(["ipcmk", "-Q"])
        let id = made.stdout.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        #expect(!id.isEmpty, "ipcmk: \(made)")
        defer { _ = try? Shell.run(["ipcrm", "-q", id]) }
        let outside = try Shell.run(["ipcs", "-q"]).stdout
        #expect(outside.contains(" \(id) "))
        let inside = try Cove.run(["unshare", "--ipc", "ipcs", "-q"])
        #expect(inside.status == 0, "\(inside)")
        #expect(!inside.stdout.contains(" \(id) "), "host queue \(id) visible inside: \(inside.stdout)")
    }

    @Test func pidNamespaceWithMountProc() throws {
        let r = try Cove.run(["unshare", "--pid", "--fork", "--mount-proc", "--", "sh", "-c",
                              "echo $$; ls /proc | grep -c '^[0-9]*$'"])
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first == "1", "the command is PID 1 inside: \(r.stdout)")
        // sh (1) and ls (2) at most, plus grep: only inside processes are visible.
        #expect((Int(lines.last ?? "") ?? 99) <= 3, "proc shows host processes: \(r.stdout)")
    }

    @Test func netNamespaceHoldsOnlyLoopbackDown() throws {
        let r = try Cove.run(["unshare", "--net", "cat", "/proc/net/dev"])
        #expect(r.status == 0, "\(r)")
        let devices = r.stdout.split(separator: "\n").dropFirst(2).map { $0.split(separator: ":")[0].trimmingCharacters(in: .whitespaces) }
        #expect(devices == ["lo"])
        let flags = try Cove.run(["unshare", "-n", "cat", "/sys/class/net/lo/operstate"])
        // lo is DOWN: operstate "unknown" only once up; sysfs of the host shows host's lo, so ask ip instead.
        _ = flags
        let ip = try Cove.run(["unshare", "-n", "ip", "-o", "link"])
        #expect(ip.stdout.contains("lo:") && ip.stdout.contains("state DOWN"), "\(ip)")
    }

    @Test func timeOffsetMovesUptime() throws {
        let r = try Cove.run(["unshare", "--time", "--fork", "--boottime", "100000", "--monotonic", "100000",
                              "cat", "/proc/uptime"])
        #expect(r.status == 0, "\(r)")
        let inside = Double(r.stdout.split(separator: " ").first ?? "") ?? 0
        let outside = Double(try String(contentsOfFile: "/proc/uptime", encoding: .utf8).split(separator: " ").first ?? "") ?? 0
        #expect(inside - outside > 99_000, "inside \(inside), outside \(outside)")
    }

    @Test func cgroupNamespaceShowsRoot() throws {
        let r = try Cove.run(["unshare", "--cgroup", "cat", "/proc/self/cgroup"])
        #expect(r.status == 0, "\(r)")
        for line in r.stdout.split(separator: "\n") {
            #expect(line.hasSuffix(":/"), "not rooted: \(line)")
        }
    }

    @Test func rootAndWorkingDirectory() throws {
        guard BusyboxRootfs.available else { Issue.record("busybox-static missing"); return }
        let dir = try TempDir("cove-unshare-root")
        try BusyboxRootfs.make(at: dir.path)
        let r = try Cove.run(["unshare", "--root", dir.path, "--wd", "/tmp", "/bin/sh", "-c", "pwd; ls /bin/busybox"])
        #expect(r.stdout == "/tmp\n/bin/busybox\n", "\(r)")
        // --mount-proc mounts inside the new root, where the busybox ps finds PID 1.
        let ps = try Cove.run(["unshare", "-fp", "--mount-proc", "--root", dir.path, "/bin/sh", "-c", "echo $$; ls /proc/1/ns/net"])
        #expect(ps.stdout == "1\n/proc/1/ns/net\n", "\(ps)")
        #expect(Leftovers.mounts(under: dir.path).isEmpty)
    }
}

@Suite(.enabled(if: Host.isRoot, Host.rootReason))
struct UnshareUserNamespaceTests {
    @Test func mapRootUser() throws {
        let r = try Cove.run(["unshare", "--map-root-user", "sh", "-c", "id -u; id -g; cat /proc/self/setgroups"])
        #expect(r.stdout == "0\n0\ndeny\n", "\(r)")
    }

    @Test func rangeMapsReadBack() throws {
        let r = try Cove.run(["unshare", "--user", "--map-users", "0:100000:65536", "--map-users", "70000:300000:10",
                              "--map-groups", "0:100000:65536", "cat", "/proc/self/uid_map", "/proc/self/gid_map"])
        #expect(r.status == 0, "\(r)")
        let rows = r.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows == [["0", "100000", "65536"], ["70000", "300000", "10"], ["0", "100000", "65536"]])
    }

    @Test func unprivilegedNoMapIsOverflow() throws {
        try #require(Host.hasTestUser, "CI creates user \(Host.testUser) (make setup)")
        let r = try Cove.run(["unshare", "--user", "id", "-u"], user: Host.testUser)
        #expect(r.stdout == "65534\n", "\(r)")
    }

    @Test func unprivilegedMapRootUser() throws {
        try #require(Host.hasTestUser, "CI creates user \(Host.testUser) (make setup)")
        let r = try Cove.run(["unshare", "-r", "sh", "-c", "id -u; cat /proc/self/uid_map"], user: Host.testUser)
        let uid = try Shell.run(["id", "-u", Host.testUser]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first == "0")
        #expect(lines.last?.split(separator: " ").map(String.init) == ["0", uid, "1"])
    }

    @Test func unprivilegedAutoRangeThroughNewuidmap() throws {
        try #require(Host.hasTestUser, "CI creates user \(Host.testUser) (make setup)")
        let sub = try String(contentsOfFile: "/etc/subuid", encoding: .utf8).split(separator: "\n")
            .first { $0.hasPrefix(Host.testUser + ":") }
        try #require(sub != nil, "/etc/subuid has no range for \(Host.testUser)")
        let f = sub!.split(separator: ":")
        let r = try Cove.run(["unshare", "--map-users", "auto", "--map-groups", "auto", "cat", "/proc/self/uid_map"], user: Host.testUser)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.split(separator: " ").map(String.init).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } == ["0", String(f[1]), String(f[2])])
    }

    @Test func unprivilegedWithoutUserNamespaceIsDenied() throws {
        try #require(Host.hasTestUser, "CI creates user \(Host.testUser) (make setup)")
        let r = try Cove.run(["unshare", "--net", "true"], user: Host.testUser)
        #expect(r.status == 1)
        #expect(r.stderr == "cove unshare: unshare CLONE_NEWNET: Operation not permitted\n", "\(r)")
    }
}
