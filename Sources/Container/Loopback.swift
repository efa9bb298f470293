import Kernel
import Netlink

/// A network namespace the runtime creates gets its loopback device up, as runc does: a container with no
/// other network still talks to itself on 127.0.0.1 (engines that want more hand over a namespace by path).
enum Loopback {
    static func up() throws {
        let socket = try NetlinkSocket()
        // Every new network namespace gets lo first, as device 1 (LOOPBACK_IFINDEX): one request, no lookup.
        try socket.setLink(index: 1, LinkChanges(up: true))
    }
}
