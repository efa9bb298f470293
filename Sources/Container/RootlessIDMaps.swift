import CLinux
import Glibc
import Kernel

/// Writes the id maps of a user namespace this process created (stage 1 for the init's namespace).
///
/// - With CAP_SETUID / CAP_SETGID (root, or root of an enclosing user namespace): written directly.
/// - Unprivileged, mapping only its own euid / egid: the kernel allows that directly too, but a gid_map
///   only after "deny" has been written to /proc/PID/setgroups (so the group can never be dropped to gain
///   access); supplementary groups then cannot be changed in the container (`SupplementaryGroups`).
/// - Unprivileged, anything more (/etc/subuid ranges): through the setuid helpers newuidmap / newgidmap,
///   which check the ranges against /etc/subuid and /etc/subgid. Their complaint becomes the error.
enum UserNamespaceMaps {
    /// On failure the new process is killed: it would otherwise wait for `create`, find it gone and say so.
    static func write(pid: pid_t, uid: [IDMapping], gid: [IDMapping]) throws {
        do { try writeMaps(pid: pid, uid: uid, gid: gid) } catch {
            _ = kill(pid, SIGKILL)
            throw error
        }
    }

    static func writeMaps(pid: pid_t, uid: [IDMapping], gid: [IDMapping]) throws {
        try IDMap.validate(uid, what: "linux.uidMappings")
        try IDMap.validate(gid, what: "linux.gidMappings")
        let caps = (try? CapabilitySets.current())?.effective ?? 0
        let canSetUID = caps & (UInt64(1) << 7) != 0, canSetGID = caps & (UInt64(1) << 6) != 0
        if canSetUID || isOwn(uid, geteuid()) {
            try IDMap.writeUIDMap(pid: pid, uid)
        } else {
            try helper("newuidmap", pid: pid, uid, field: "linux.uidMappings")
        }
        if canSetGID {
            try IDMap.writeGIDMap(pid: pid, gid)
        } else if isOwn(gid, getegid()) {
            try IDMap.writeSetgroups(pid: pid, allow: false)
            try IDMap.writeGIDMap(pid: pid, gid)
        } else {
            try helper("newgidmap", pid: pid, gid, field: "linux.gidMappings")
        }
    }

    /// One range of one id: our own.
    static func isOwn(_ maps: [IDMapping], _ id: UInt32) -> Bool {
        maps.count == 1 && maps[0].count == 1 && maps[0].outer == id
    }

    /// Runs `newuidmap PID INNER OUTER COUNT...` (searched in PATH), its stderr collected for the error.
    static func helper(_ name: String, pid: pid_t, _ maps: [IDMapping], field: String) throws {
        let argv = [name, String(pid)] + maps.flatMap { [String($0.inner), String($0.outer), String($0.count)] }
        var fds: [Int32] = [0, 0]
        try syscallCheck("pipe2") { cove_pipe2(&fds, O_CLOEXEC) }
        let child: pid_t
        do { child = try ProcessControl.fork() } catch {
            close(fds[0]); close(fds[1])
            throw error
        }
        if child == 0 {
            _ = dup2(fds[1], 2)
            _ = dup2(fds[1], 1)
            do { try ProcessControl.exec(argv) } catch {
                fputs("\(error)\n", stderr)
                ProcessControl.exitChild(127)
            }
        }
        close(fds[1])
        var output: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &buf, buf.count)
            if n > 0 { output += buf[0..<n]; continue }
            if n < 0 && cove_errno() == EINTR { continue }
            break
        }
        close(fds[0])
        let status = try ProcessControl.wait(child)
        guard status != .exited(0) else { return }
        let said = String(decoding: output, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        let why = status == .exited(127) && said.contains("exec") ? "\(name) not found (install the uidmap package)" : (said.isEmpty ? "\(status)" : said)
        throw CoveError("\(field): \(argv.joined(separator: " ")): \(why)")
    }
}
