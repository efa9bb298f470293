import CLinux
import Glibc
import Kernel

// linux/net_namespace.h is not among CLinux's headers; these numbers are UAPI and fixed.
private let RTM_GETNSID_: UInt16 = 90
private let RTM_NEWNSID_: UInt16 = 88
private let NETNSA_NSID_: UInt16 = 1
private let NETNSA_FD_: UInt16 = 3

extension NetlinkSocket {
    /// The id this socket's namespace has assigned to another namespace (what `ip netns list` shows as
    /// "(id: N)"); nil when none is assigned.
    public func netnsID(ofNamespaceFD fd: Int32) throws -> Int32? {
        var m = NetlinkMessage(type: RTM_GETNSID_)
        m.appendHeader([UInt8(AF_UNSPEC)])
        m.addAttribute(NETNSA_FD_, u32: UInt32(bitPattern: fd))
        do {
            guard let r = try request(m).first(where: { $0.header.type == RTM_NEWNSID_ }) else { return nil }
            let id = NetlinkParser.attributes(r.payload.dropFirst(4)).i32(NETNSA_NSID_)
            return (id ?? -1) >= 0 ? id : nil
        } catch let e as NetlinkError {
            throw e.with(context: "netns id")
        }
    }
}
