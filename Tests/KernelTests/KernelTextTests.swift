import Testing
@testable import Kernel

@Suite struct KernelTextTests {
    @Test func pathComponentsDropEmptyParts() {
        #expect(Text.pathComponents("//a//b/") == ["a", "b"])
        #expect(Text.pathComponents("/dev/pts") == ["dev", "pts"])
        #expect(Text.pathComponents("/") == [])
        #expect(Text.pathComponents("") == [])
    }

    @Test func joinPutsTheSeparatorOnlyBetween() {
        #expect(Text.join(["a", "b", "c"][...], separator: "/") == "a/b/c")
        #expect(Text.join(["mode=755", "size=65536k"][...], separator: ",") == "mode=755,size=65536k")
        #expect(Text.join(["x"][...], separator: ",") == "x")
        #expect(Text.join([String]()[...], separator: ",") == "")
        #expect(Text.join(["a", "b"][...], separator: "") == "ab")
        let parts = ["a", "b", "c", "d"]
        #expect(Text.join(parts[1..<3], separator: "/") == "b/c")
        #expect(Text.join(parts.dropLast(), separator: "/") == "a/b/c")
    }

    @Test func relativePathIsTheOldJoinedSplit() {
        for p in ["/a/b", "a/b/", "//a//b", "/", "", "proc/sys", "/dev//shm/"] {
            #expect(Text.relativePath(p) == p.split(separator: "/").joined(separator: "/"), "\(p)")
        }
        #expect(RootfsPaths.relative("//proc//sys/") == "proc/sys")
    }

    @Test("unescapeMountinfo decodes mountinfo's octal escapes and leaves anything else as it is")
    func mountinfoEscapes() {
        #expect(Text.unescapeMountinfo(#"/mnt/a\040b\011c\012d\134e"#) == "/mnt/a b\tc\nd\\e")
        #expect(Text.unescapeMountinfo(#"x\09y\777z\04"#) == #"x\09y\777z\04"#)
        #expect(Text.unescapeMountinfo(Array("/run/netns/red".utf8)[...]) == "/run/netns/red")
    }
}
