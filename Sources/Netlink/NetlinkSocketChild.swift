import CLinux
import Glibc
import Kernel

extension NetlinkSocket {
    /// A socket inside the network namespace at `netnsPath`, made by a forked child that joins the namespace
    /// and passes the socket back over SCM_RIGHTS. The caller never changes namespace at all, which matters
    /// where it could not come back (after joining a user namespace that does not own its original one).
    /// The child runs only system calls between fork and _exit.
    public static func openedInChild(netnsPath: String) throws -> NetlinkSocket {
        let target = try NetNamespace.open(path: netnsPath)
        defer { close(target) }
        var pair: [Int32] = [-1, -1]
        try syscallCheck("socketpair") { socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) }
        defer { close(pair[0]) }
        let pid: pid_t
        do {
            pid = try ProcessControl.fork()
        } catch {
            close(pair[1])
            throw error
        }
        if pid == 0 {
            // Child: report errno (0 = fd attached) in one Int32.
            var err: Int32 = 0
            var fd: Int32 = -1
            if cove_setns(target, Int32(CLONE_NEWNET)) != 0 {
                err = cove_errno()
            } else {
                fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_ROUTE)
                if fd < 0 { err = cove_errno() }
            }
            if fd >= 0 {
                _ = cove_send_fd(pair[1], fd, &err, 4)
            } else {
                _ = Glibc.send(pair[1], &err, 4, Int32(MSG_NOSIGNAL))
            }
            _exit(err == 0 ? 0 : 1)
        }
        close(pair[1])
        var err: Int32 = 0
        var fd: Int32 = -1
        let n = cove_recv_fd(pair[0], &fd, &err, 4)
        let recvErrno = cove_errno()
        _ = try? ProcessControl.wait(pid)
        if n < 0 { throw SyscallError("recvmsg", "netns socket from child", errno: .init(rawValue: recvErrno)) }
        if n != 4 { throw CoveError("netns socket: the child ended without an answer") }
        if err != 0 { throw SyscallError("setns/socket", netnsPath, errno: .init(rawValue: err)) }
        if fd < 0 { throw CoveError("netns socket: the child sent no descriptor") }
        return NetlinkSocket(adopting: fd)
    }
}
