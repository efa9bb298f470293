import Foundation
import Testing

/// A minimal seccomp agent: listens on a unix socket, receives runc's containerProcessState with the
/// notify descriptor (SCM_RIGHTS), then answers `answers` notifications with -errno.
final class SeccompAgent: @unchecked Sendable {
    let path: String
    let replyErrno: Int32
    private let listenFD: Int32
    private let done = DispatchSemaphore(value: 0)
    private(set) var message = ""
    private(set) var notifiedPIDs: [UInt32] = []
    private(set) var failure: String?

    init(path: String, replyErrno: Int32, answers: Int) throws {
        self.path = path
        self.replyErrno = replyErrno
        listenFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, b) in path.utf8.enumerated() { buf[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0, listen(listenFD, 1) == 0 else { throw TestFailure("agent: bind/listen \(path): errno \(errno)") }
        DispatchQueue.global().async { [self] in
            serve(answers: answers)
            done.signal()
        }
    }

    /// Waits for the agent to finish (or 30 s) and closes its socket.
    func finish() {
        _ = done.wait(timeout: .now() + 30)
        close(listenFD)
        unlink(path)
    }

    private func serve(answers: Int) {
        var p = pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 30_000) == 1 else { failure = "no connection"; return }
        let conn = accept(listenFD, nil, nil)
        guard conn >= 0 else { failure = "accept: errno \(errno)"; return }
        _ = fcntl(conn, F_SETFD, FD_CLOEXEC)
        defer { close(conn) }
        var data = [UInt8](repeating: 0, count: 65536)
        var control = [UInt8](repeating: 0, count: 64)
        var n = 0
        var controlLength = 0
        data.withUnsafeMutableBytes { d in
            control.withUnsafeMutableBytes { c in
                var iov = iovec(iov_base: d.baseAddress, iov_len: d.count)
                withUnsafeMutablePointer(to: &iov) { iovp in
                    var msg = msghdr()
                    msg.msg_iov = iovp
                    msg.msg_iovlen = 1
                    msg.msg_control = c.baseAddress
                    msg.msg_controllen = c.count
                    n = recvmsg(conn, &msg, 0x4000_0000 /* MSG_CMSG_CLOEXEC: the listener fd must not leak into children */)
                    controlLength = Int(msg.msg_controllen)
                }
            }
        }
        guard n > 0 else { failure = "recvmsg: \(n)"; return }
        message = String(decoding: data[0..<n], as: UTF8.self)
        // struct cmsghdr on 64-bit Linux: size_t len, int level, int type, then the data at offset 16.
        let level = control.withUnsafeBytes { $0.load(fromByteOffset: 8, as: Int32.self) }
        let type = control.withUnsafeBytes { $0.load(fromByteOffset: 12, as: Int32.self) }
        guard controlLength >= 20, level == SOL_SOCKET, type == 1 /* SCM_RIGHTS */ else { failure = "no descriptor in the message"; return }
        let fd = control.withUnsafeBytes { $0.load(fromByteOffset: 16, as: Int32.self) }
        defer { close(fd) }
        for _ in 0..<answers {
            var pf = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pf, 1, 30_000) == 1 else { failure = "no notification"; return }
            // struct seccomp_notif (80 bytes): u64 id, u32 pid, u32 flags, struct seccomp_data.
            var notif = [UInt8](repeating: 0, count: 80)
            let r = notif.withUnsafeMutableBytes { ioctl(fd, UInt(0xc050_2100) /* SECCOMP_IOCTL_NOTIF_RECV */, $0.baseAddress!) }
            guard r == 0 else { failure = "NOTIF_RECV: errno \(errno)"; return }
            let id = notif.withUnsafeBytes { $0.load(fromByteOffset: 0, as: UInt64.self) }
            notifiedPIDs.append(notif.withUnsafeBytes { $0.load(fromByteOffset: 8, as: UInt32.self) })
            // struct seccomp_notif_resp (24 bytes): u64 id, s64 val, s32 error, u32 flags.
            var resp = [UInt8](repeating: 0, count: 24)
            resp.withUnsafeMutableBytes { b in
                b.storeBytes(of: id, toByteOffset: 0, as: UInt64.self)
                b.storeBytes(of: -replyErrno, toByteOffset: 16, as: Int32.self)
            }
            let s = resp.withUnsafeMutableBytes { ioctl(fd, UInt(0xc018_2101) /* SECCOMP_IOCTL_NOTIF_SEND */, $0.baseAddress!) }
            guard s == 0 else { failure = "NOTIF_SEND: errno \(errno)"; return }
        }
    }
}

@Suite("Runtime seccomp notify", .serialized, .enabled(if: RuntimeBundle.available, "needs root and /bin/busybox"))
struct RuntimeSeccompNotifyTests {
    @Test("SCMP_ACT_NOTIFY: the agent at listenerPath gets runc's containerProcessState and the notify fd, and answers for the container", arguments: [true, false])
    func notifyAgent(noNewPrivileges: Bool) throws {
        let b = try RuntimeBundle("scy")
        var root = b.config["root"] as! [String: Any]
        root["readonly"] = false
        b.config["root"] = root
        let sock = b.tmp.file("agent.sock")
        let agent = try SeccompAgent(path: sock, replyErrno: EXDEV, answers: 1)
        b.linux["seccomp"] = [
            "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": sock, "listenerMetadata": "meta-\(b.marker)",
            "syscalls": [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"]],
        ] as [String: Any]
        b.process["noNewPrivileges"] = noNewPrivileges
        // exec: the container's init itself makes the call, so the notification carries its PID.
        b.script("exec mkdir /tmp/n")
        let r = try b.run()
        agent.finish()
        #expect(agent.failure == nil, "\(agent.failure ?? "")")
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains("mkdir: can't create directory '/tmp/n': Invalid cross-device link"), "\(r)")
        let json = try JSONSerialization.jsonObject(with: Data(agent.message.utf8)) as? [String: Any] ?? [:]
        #expect(json["fds"] as? [String] == ["seccompFd"], "\(agent.message)")
        #expect(json["metadata"] as? String == "meta-\(b.marker)", "\(agent.message)")
        #expect((json["ociVersion"] as? String)?.hasPrefix("1.") == true, "\(agent.message)")
        let state = json["state"] as? [String: Any] ?? [:]
        let pid = json["pid"] as? Int ?? 0
        #expect(pid > 0 && state["pid"] as? Int == pid, "\(agent.message)")
        #expect(state["bundle"] as? String == b.bundle, "\(agent.message)")
        #expect((state["id"] as? String)?.isEmpty == false, "\(agent.message)")
        // The syscall came from the container's process: the host PID the state names.
        #expect(agent.notifiedPIDs == [UInt32(pid)], "\(agent.notifiedPIDs) vs \(pid)")
        b.assertClean()
    }
}
