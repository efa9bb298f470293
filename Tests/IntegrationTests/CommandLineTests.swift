import Foundation
import Testing

/// How command lines reach ArgumentParser: the named command is parsed alone (CoveMain's `parseNamed`);
/// help, --version and rejected lines go through the whole command tree, so they read as before.
@Suite("Command line parsing")
struct CommandLineTests {
    @Test("a named command runs; aliases name it too")
    func namedCommands() throws {
        let tmp = try TempDir("cove-cli")
        let list = try Cove.run(["--root", tmp.path, "list", "--format", "json"])
        #expect(list.status == 0 && list.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(list)")
        let quiet = try Cove.run(["--root", tmp.path, "list", "-q"])
        #expect(quiet.status == 0 && quiet.stdout.isEmpty, "\(quiet)")
        let ls = try Cove.run(["link", "ls"])
        let list2 = try Cove.run(["link", "list"])
        #expect(ls.status == 0 && ls.stdout == list2.stdout && ls.stdout.contains("lo"), "\(ls)\n\(list2)")
    }

    @Test("rejected options and help still name the command as `cove …`")
    func usageAndHelp() throws {
        let tmp = try TempDir("cove-cli")
        let bad = try Cove.run(["--root", tmp.path, "list", "--bogus"])
        #expect(bad.status != 0, "\(bad)")
        #expect(bad.stderr.contains("Unknown option '--bogus'") && bad.stderr.contains("Usage: cove list"), "\(bad)")
        let nested = try Cove.run(["netns", "ls", "--bogus"])
        #expect(nested.status != 0 && nested.stderr.contains("Usage: cove netns list"), "\(nested)")
        let help = try Cove.run(["list", "--help"])
        #expect(help.status == 0 && help.stdout.contains("USAGE: cove list"), "\(help)")
        let missing = try Cove.run(["--root", tmp.path, "ps"])
        #expect(missing.status != 0 && missing.stderr.contains("Usage: cove ps"), "\(missing)")
        let version = try Cove.run(["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("cove version "), "\(version)")
        // runc's spellings: -v, and after the global options.
        #expect(try Cove.run(["-v"]).stdout == version.stdout)
        #expect(try Cove.run(["--root", tmp.path, "--version"]).stdout == version.stdout)
    }

    @Test("features prints the same document every time")
    func featuresStable() throws {
        let a = try Cove.run(["features"]), b = try Cove.run(["features"])
        #expect(a.status == 0 && !a.stdout.isEmpty && a.stdout == b.stdout, "\(a)\n\(b)")
    }
}
