import Glibc
import Kernel
import Netlink
import OCI

/// linux.netDevices: host network devices moved into the container's new network namespace (renamed to
/// `name` when given) by `create`, from the host side, before the init goes on. When the namespace goes away
/// the kernel returns physical devices to the host and destroys virtual ones.
enum NetDevices {
    static func move(_ devices: [String: Linux.NetDevice]?, into pid: pid_t) throws {
        guard let devices, !devices.isEmpty else { return }
        let socket = try NetlinkSocket()
        for (hostName, dev) in devices.sorted(by: { $0.key < $1.key }) {
            try step("linux.netDevices.\(hostName)") {
                try socket.setLink(hostName, LinkChanges(newName: dev.name.flatMap { $0.isEmpty ? nil : $0 }, netns: .pid(pid)))
            }
        }
    }
}
