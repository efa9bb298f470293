import CLinux
import Glibc
import Kernel

/// An IPv4 or IPv6 address in network byte order.
public struct IPAddress: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var bytes: [UInt8]

    public var family: UInt8 { bytes.count == 4 ? UInt8(AF_INET) : UInt8(AF_INET6) }
    public var isIPv6: Bool { bytes.count == 16 }
    public var maxPrefix: Int { bytes.count * 8 }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses dotted-quad IPv4 or any RFC 4291 IPv6 text (inet_pton).
    public init?(_ text: String) {
        var buf = [UInt8](repeating: 0, count: 16)
        if !text.contains(":") {
            guard inet_pton(AF_INET, text, &buf) == 1 else { return nil }
            bytes = Array(buf[0..<4])
        } else {
            guard inet_pton(AF_INET6, text, &buf) == 1 else { return nil }
            bytes = buf
        }
    }

    public var description: String {
        var out = [CChar](repeating: 0, count: 64)
        _ = inet_ntop(isIPv6 ? AF_INET6 : AF_INET, bytes, &out, socklen_t(out.count))
        return String(cString: out)
    }

    /// The address with everything past `prefix` bits cleared (the network of a CIDR).
    public func masked(to prefix: Int) -> IPAddress {
        var b = bytes
        for i in 0..<b.count {
            let bitsHere = max(0, min(8, prefix - i * 8))
            b[i] &= bitsHere == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bitsHere))
        }
        return IPAddress(bytes: b)!
    }
}

/// ADDRESS/PREFIX, as `10.1.1.1/24` or `fd00::1/64`; a bare address means a host prefix (/32, /128).
public struct CIDR: Equatable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var prefixLength: Int

    public init(address: IPAddress, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let addr = IPAddress(String(parts[0])) else {
            throw CoveError("invalid address \"\(text)\": expected ADDRESS/PREFIX such as 10.1.1.1/24 or fd00::1/64")
        }
        var plen = addr.maxPrefix
        if parts.count == 2 {
            guard let p = Int(parts[1]), p >= 0, p <= addr.maxPrefix, parts[1].allSatisfy(\.isNumber) else {
                throw CoveError("invalid prefix length in \"\(text)\": must be 0 to \(addr.maxPrefix)")
            }
            plen = p
        }
        address = addr
        prefixLength = plen
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

/// A 6-byte Ethernet (MAC) address written as aa:bb:cc:dd:ee:ff.
public enum MACAddress {
    public static func parse(_ text: String) throws -> [UInt8] {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { throw CoveError("invalid MAC address \"\(text)\": expected six hex bytes like 02:00:00:00:00:01") }
        var out: [UInt8] = []
        for p in parts {
            guard (1...2).contains(p.count), let b = UInt8(p, radix: 16) else {
                throw CoveError("invalid MAC address \"\(text)\": \"\(p)\" is not a hex byte")
            }
            out.append(b)
        }
        if out[0] & 1 != 0 { throw CoveError("invalid MAC address \"\(text)\": multicast address (low bit of the first byte set)") }
        return out
    }

    public static func format(_ bytes: ArraySlice<UInt8>) -> String {
        Text.join(bytes.map { b in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }[...], separator: ":")
    }
}

/// Interface names as the kernel's dev_valid_name accepts them, checked here so the user gets a clear reason.
public enum InterfaceName {
    public static let maxLength = 15 // IFNAMSIZ - 1

    public static func validate(_ name: String) throws {
        if name.isEmpty { throw CoveError("invalid device name: empty") }
        if name.utf8.count > maxLength {
            throw CoveError("invalid device name \"\(name)\": longer than \(maxLength) bytes (IFNAMSIZ)")
        }
        if name == "." || name == ".." || name.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace }) {
            throw CoveError("invalid device name \"\(name)\": must not be . or .. or contain /, : or whitespace")
        }
    }
}
