import CLinux
import Glibc
import Kernel

/// A failure already printed by a child process; the caller only sets the exit code.
public struct ReportedFailure: Error, CustomStringConvertible {
    public var exitCode: Int32
    public init(exitCode: Int32 = 1) { self.exitCode = exitCode }
    public var description: String { "failed (reported above)" }
}

extension Unshare {
    /// The child that stays behind in the original namespaces while its parent unshares: it writes the
    /// parent's id maps and bind-mounts the parent's new namespaces onto their files (util-linux does the same).
    struct Helper {
        let pid: pid_t
        let go: Pipe

        static func start(_ o: UnshareOptions) throws -> Helper {
            let go = try Pipe()
            let parent = getpid()
            let pid = try ProcessControl.fork()
            if pid == 0 {
                go.closeWrite()
                // EOF without a byte: the parent's unshare failed and it reports that itself.
                guard let _ = try? go.wait() else { ProcessControl.exitChild(1) }
                do {
                    try work(o, parent: parent)
                    ProcessControl.exitChild(0)
                } catch {
                    fputs("cove unshare: \(error)\n", stderr)
                    ProcessControl.exitChild(1)
                }
            }
            go.closeRead()
            return Helper(pid: pid, go: go)
        }

        /// The parent failed before the helper had work: let it exit and reap it.
        func abandon() {
            go.closeWrite()
            _ = try? ProcessControl.wait(pid)
        }

        /// Tells the helper the namespaces exist and waits until it has finished its work.
        func finish() throws {
            try go.signal()
            go.closeWrite()
            let status = try ProcessControl.wait(pid)
            if status != .exited(0) { throw ReportedFailure() }
        }
    }

    static func work(_ o: UnshareOptions, parent: pid_t) throws {
        if o.namespaces[.user] != nil, o.hasMaps, !o.canWriteOwnMaps {
            try writeMaps(o, parent: parent)
        }
        var mounted: [String] = []
        var created: [String] = []
        do {
            for (kind, file) in o.persisted {
                if !FileIO.exists(file) {
                    let fd = try syscallCheck("create", file) { cove_open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444) }
                    close(fd)
                    created.append(file)
                }
                try Mounts.bind("/proc/\(parent)/ns/\(kind.forChildrenProcName)", on: file)
                mounted.append(file)
            }
        } catch {
            // Nothing half-made: undo the bind mounts and the files this helper created.
            for m in mounted.reversed() { try? Mounts.unmount(m, detach: true) }
            for f in created { unlink(f) }
            throw error
        }
    }

    /// Multi-range and subordinate-id maps, written from the parent user namespace.
    static func writeMaps(_ o: UnshareOptions, parent: pid_t) throws {
        if let allow = o.setgroupsAllow { try IDMap.writeSetgroups(pid: parent, allow: allow) }
        if o.uidMapAuto {
            try newIDMap("newuidmap", parent: parent, maps: o.uidMaps + [subordinate("/etc/subuid", Identity.effectiveUID)])
        } else if !o.uidMaps.isEmpty {
            try IDMap.writeUIDMap(pid: parent, o.uidMaps)
        }
        if o.gidMapAuto {
            try newIDMap("newgidmap", parent: parent, maps: o.gidMaps + [subordinate("/etc/subgid", Identity.effectiveGID)])
        } else if !o.gidMaps.isEmpty {
            if o.setgroupsAllow == nil && !o.hostIsRoot { try IDMap.writeSetgroups(pid: parent, allow: false) }
            try IDMap.writeGIDMap(pid: parent, o.gidMaps)
        }
    }

    /// The first subordinate range of the effective user, mapped to ids 0… inside (`--map-users=auto`).
    static func subordinate(_ file: String, _ id: UInt32) throws -> IDMapping {
        let user = Identity.userName(Identity.effectiveUID) ?? String(id)
        let range = try IDMap.subordinateRange(file: file, user: user, id: id)
        return IDMapping(inner: 0, outer: range.start, count: range.count)
    }

    /// Runs the setuid helper from the uidmap package, which checks /etc/subuid for us.
    static func newIDMap(_ tool: String, parent: pid_t, maps: [IDMapping]) throws {
        try IDMap.validate(maps, what: "\(tool) map")
        let argv = [tool, String(parent)] + maps.flatMap { [String($0.inner), String($0.outer), String($0.count)] }
        let pid = try ProcessControl.fork()
        if pid == 0 {
            do { try ProcessControl.exec(argv) } catch {
                fputs("cove unshare: \(error) (install the uidmap package)\n", stderr)
                ProcessControl.exitChild(127)
            }
        }
        let status = try ProcessControl.wait(pid)
        if status != .exited(0) { throw CoveError("\(tool) \(argv.dropFirst().joined(separator: " ")): \(status)") }
    }
}
