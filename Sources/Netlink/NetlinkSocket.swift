import CLinux
import Glibc
import Kernel

/// An rtnetlink socket (NETLINK_ROUTE). Requests carry increasing sequence numbers and ask for an ACK, so
/// every request gets either an explicit success or the kernel's error with its extended-ack text.
///
/// The socket talks to the network namespace it was created in for its whole life, so `init(netnsPath:)`
/// creates it inside a named namespace and the caller stays where it was.
public final class NetlinkSocket {
    public let fd: Int32
    private var nextSeq: UInt32
    private var buffer = [UInt8](repeating: 0, count: 32768)
    /// The namespace's name for error messages ("device x not found in network namespace NAME").
    public var label: String?

    /// A socket in the caller's own network namespace.
    public convenience init() throws {
        let fd = try syscallCheck("socket", "AF_NETLINK") {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_ROUTE)
        }
        self.init(adopting: fd)
    }

    /// A socket inside the network namespace whose nsfs file is `netnsPath` (/run/netns/NAME,
    /// /proc/PID/ns/net). See `NetNamespace.withEntered` for how the caller is brought back.
    public convenience init(netnsPath: String) throws {
        let fd = try NetNamespace.withEntered(path: netnsPath) {
            try syscallCheck("socket", "AF_NETLINK") {
                socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_ROUTE)
            }
        }
        self.init(adopting: fd)
    }

    /// A socket inside the network namespace of an open nsfs descriptor (a container's /proc/PID/ns/net).
    public convenience init(netnsFD: Int32) throws {
        let fd = try NetNamespace.withEntered(fd: netnsFD, what: "network namespace fd \(netnsFD)") {
            try syscallCheck("socket", "AF_NETLINK") {
                socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_ROUTE)
            }
        }
        self.init(adopting: fd)
    }

    /// Takes ownership of an open NETLINK_ROUTE socket (for example one passed over SCM_RIGHTS).
    public init(adopting fd: Int32) {
        self.fd = fd
        nextSeq = UInt32(truncatingIfNeeded: time(nil))
        var on: Int32 = 1
        // Kernel error text in NLMSG_ERROR, and errors that carry only the request's header, not all of it.
        _ = setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    /// Sends a request and waits for its ACK; returns any replies that came before it (a GET by name).
    @discardableResult
    public func request(_ message: NetlinkMessage) throws -> [NetlinkReply] {
        var m = message
        m.flags |= UInt16(NLM_F_ACK)
        return try transact(m)
    }

    /// Sends a dump request and returns every message up to NLMSG_DONE, however many datagrams it spans.
    /// A dump the kernel marks as interrupted (the table changed meanwhile) is repeated.
    public func dump(_ message: NetlinkMessage) throws -> [NetlinkReply] {
        var m = message
        m.flags |= UInt16(NLM_F_DUMP)
        var attempts = 0
        while true {
            let (replies, interrupted) = try transactReportingInterrupt(m)
            attempts += 1
            if !interrupted || attempts >= 5 { return replies }
        }
    }

    private func transact(_ message: NetlinkMessage) throws -> [NetlinkReply] {
        try transactReportingInterrupt(message).0
    }

    private func transactReportingInterrupt(_ message: NetlinkMessage) throws -> ([NetlinkReply], Bool) {
        nextSeq &+= 1
        let seq = nextSeq
        let bytes = message.encoded(seq: seq)
        var kernel = sockaddr_nl()
        kernel.nl_family = sa_family_t(AF_NETLINK)
        let sent = try bytes.withUnsafeBytes { buf in
            try withUnsafePointer(to: &kernel) { addr in
                try addr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    try syscallCheck("sendto", "netlink") {
                        sendto(fd, buf.baseAddress, buf.count, 0, sa, socklen_t(MemoryLayout<sockaddr_nl>.size))
                    }
                }
            }
        }
        if sent != bytes.count { throw CoveError("netlink: short send (\(sent) of \(bytes.count) bytes)") }
        var collector = NetlinkReplyCollector(seq: seq)
        while !collector.done {
            // Only the kernel (port 0) answers requests; anything another process sends to our port is dropped.
            let (datagram, fromKernel) = try receive()
            if fromKernel { try collector.feed(datagram) }
        }
        return (collector.messages, collector.interrupted)
    }

    /// One datagram, whatever its size (peeks at the length first and grows the buffer if needed), and
    /// whether the kernel sent it.
    private func receive() throws -> ([UInt8], Bool) {
        let size = try buffer.withUnsafeMutableBytes { buf in
            try syscallCheck("recv", "netlink") { recv(fd, buf.baseAddress, buf.count, Int32(MSG_PEEK | MSG_TRUNC)) }
        }
        if size > buffer.count { buffer = [UInt8](repeating: 0, count: size) }
        var from = sockaddr_nl()
        var fromLength = socklen_t(MemoryLayout<sockaddr_nl>.size)
        let n = try buffer.withUnsafeMutableBytes { buf in
            try withUnsafeMutablePointer(to: &from) { addr in
                try addr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    try syscallCheck("recvfrom", "netlink") { recvfrom(fd, buf.baseAddress, buf.count, 0, sa, &fromLength) }
                }
            }
        }
        return (Array(buffer[0..<n]), from.nl_pid == 0)
    }
}
