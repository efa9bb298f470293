import CLinux
import Glibc
import Kernel

/// One end of the socketpair(AF_UNIX, SOCK_SEQPACKET) between `cove create` and the container's init:
/// short text messages with boundaries kept ("pid 123", "mounted", "error STEP: WHY").
struct SyncChannel {
    let fd: Int32

    static func pair() throws -> (parent: SyncChannel, child: SyncChannel) {
        var fds: [Int32] = [0, 0]
        try syscallCheck("socketpair") { socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) }
        return (SyncChannel(fd: fds[0]), SyncChannel(fd: fds[1]))
    }

    func send(_ message: String) throws {
        var bytes = Array(message.utf8)
        if bytes.isEmpty { bytes = [0x20] }
        _ = try bytes.withUnsafeBytes { buf in
            try syscallCheck("send", "init sync") { Glibc.send(fd, buf.baseAddress, buf.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    /// One message's bytes, read by `body` into a 64 KiB buffer that is not cleared first (a create
    /// receives several messages; clearing 64 KiB for each showed up in profiles).
    static func message(_ body: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> [UInt8] {
        func read() throws -> [UInt8] {
            try [UInt8](unsafeUninitializedCapacity: 1 << 16) { buf, count in
                count = try body(UnsafeMutableRawBufferPointer(buf))
            }
        }
        do {
            return try read()
        } catch let e as SyscallError where e.errno == .connectionReset {
            // The other side exited with a message of ours unread (the init fails before it takes "cgroup"):
            // the kernel reports that once, ahead of the messages it sent before (its "error …" among them).
            return try read()
        }
    }

    /// The next message; nil when the other side is gone.
    func receive() throws -> String? {
        let bytes = try SyncChannel.message { b in
            try syscallCheck("recv", "init sync") { Glibc.recv(fd, b.baseAddress, b.count, 0) }
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }

    /// Waits for `expected`; an `error …` message or a closed channel becomes the thrown error.
    func expect(_ expected: String, during step: String) throws -> String {
        guard let msg = try receive() else {
            throw CoveError("\(step): container init exited without reporting why")
        }
        if msg.hasPrefix("error ") { throw CoveError(String(msg.dropFirst(6))) }
        guard msg == expected || msg.hasPrefix(expected + " ") else {
            throw CoveError("\(step): unexpected message from container init: \(msg)")
        }
        return msg.count > expected.count ? String(msg.dropFirst(expected.count + 1)) : ""
    }

    /// `message` with descriptors attached (one SCM_RIGHTS message; the receiver gets them close-on-exec).
    func send(_ message: String, fds: [Int32]) throws {
        let bytes = Array(message.utf8)
        _ = try bytes.withUnsafeBytes { buf in
            try syscallCheck("sendmsg", "init sync") { cove_send_fds(fd, fds, Int32(fds.count), buf.baseAddress, buf.count) }
        }
    }

    /// Waits for `expected` and takes the descriptors sent with it (see `expect` for errors).
    func expectWithFDs(_ expected: String, during step: String) throws -> (text: String, fds: [Int32]) {
        var fds = [Int32](repeating: -1, count: Int(COVE_MAX_FDS))
        var count: Int32 = 0
        let bytes = try SyncChannel.message { b in
            try syscallCheck("recvmsg", "init sync") { cove_recv_fds(fd, &fds, &count, b.baseAddress, b.count) }
        }
        let received = Array(fds[0..<Int(count)])
        let msg = String(decoding: bytes, as: UTF8.self)
        let n = bytes.count
        guard n > 0, msg == expected || msg.hasPrefix(expected + " ") else {
            for f in received { Glibc.close(f) }
            if n == 0 { throw CoveError("\(step): cove create exited without reporting why") }
            if msg.hasPrefix("error ") { throw CoveError(String(msg.dropFirst(6))) }
            throw CoveError("\(step): unexpected message: \(msg)")
        }
        return (msg.count > expected.count ? String(msg.dropFirst(expected.count + 1)) : "", received)
    }

    func close() { Glibc.close(fd) }
}
