import CLinux
import Glibc
import Kernel

/// A network namespace the runtime creates gets its loopback device up, as runc does: a container with no
/// other network still talks to itself on 127.0.0.1 (engines that want more hand over a namespace by path).
///
/// With SIOCGIFFLAGS/SIOCSIFFLAGS on a datagram socket, as crun does, not rtnetlink: the kernel does the same
/// (dev_change_flags), and the init — on the critical path of every create — makes four system calls fewer
/// and runs none of the netlink request and reply code (a tenth of its user time in a perf profile).
enum Loopback {
    static func up() throws {
        let fd = try syscallCheck("socket", "AF_INET") { socket(AF_INET, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0) }
        defer { close(fd) }
        var flags: Int16 = 0
        try syscallCheck("ioctl SIOCGIFFLAGS", "lo") { cove_ioctl_ifflags(fd, COVE_SIOCGIFFLAGS, "lo", &flags) }
        flags |= Int16(truncatingIfNeeded: IFF_UP.rawValue)
        try syscallCheck("ioctl SIOCSIFFLAGS", "lo") { cove_ioctl_ifflags(fd, COVE_SIOCSIFFLAGS, "lo", &flags) }
    }
}
