import Testing
@testable import Netlink

@Suite("Netlink values: addresses, MACs, names")
struct NetlinkValueTests {
    @Test func parsesCIDRs() throws {
        let v4 = try CIDR(parsing: "10.1.1.1/24")
        #expect(v4.address.bytes == [10, 1, 1, 1])
        #expect(v4.prefixLength == 24)
        #expect(v4.description == "10.1.1.1/24")
        let v6 = try CIDR(parsing: "fd00::1/64")
        #expect(v6.address.bytes.count == 16)
        #expect(v6.address.bytes.last == 1)
        #expect(v6.description == "fd00::1/64")
        #expect(try CIDR(parsing: "192.0.2.7").prefixLength == 32)
        #expect(try CIDR(parsing: "::1").prefixLength == 128)
        #expect(IPAddress("10.1.1.9")!.masked(to: 20).description == "10.1.0.0")
    }

    @Test(arguments: ["10.1.1.1/33", "10.1.1/24", "300.1.1.1/24", "fd00::1/129", "10.1.1.1/", "10.1.1.1/2x", "", "abc", "10.1.1.1/24/1", "fd00:::1/64"])
    func rejectsBadCIDRs(_ text: String) {
        #expect(throws: (any Error).self) { try CIDR(parsing: text) }
    }

    @Test func parsesAndFormatsMACs() throws {
        #expect(try MACAddress.parse("02:00:0a:0B:c:ff") == [2, 0, 10, 11, 12, 255])
        #expect(MACAddress.format([2, 0, 10, 11, 12, 255][...]) == "02:00:0a:0b:0c:ff")
    }

    @Test(arguments: ["02:00:00:00:00", "02:00:00:00:00:00:00", "zz:00:00:00:00:00", "02-00-00-00-00-01", "01:00:00:00:00:01", "020:00:00:00:00:01"])
    func rejectsBadMACs(_ text: String) {
        #expect(throws: (any Error).self) { try MACAddress.parse(text) }
    }

    @Test func interfaceNames() throws {
        try InterfaceName.validate("veth0")
        try InterfaceName.validate(String(repeating: "a", count: 15))
        for bad in ["", String(repeating: "a", count: 16), "a/b", "a b", "a:b", ".", ".."] {
            #expect(throws: (any Error).self) { try InterfaceName.validate(bad) }
        }
    }

    @Test func netnsNames() throws {
        try NamedNetns.validate("blue")
        try NamedNetns.validate("a..b")
        for bad in ["", "a/b", "../x", ".", "..", String(repeating: "n", count: 255)] {
            #expect(throws: (any Error).self) { try NamedNetns.validate(bad) }
        }
    }
}
