/// util-linux style tools that parse their own argv (see Getopt.swift): name → entry point returning the exit code.
/// A switch, not a Dictionary: nothing to build at start-up on the tools' hot path.
enum ToolCommands {
    static func entry(_ name: String) -> (([String]) -> Int32)? {
        switch name {
        case "unshare": UnshareCommand.main
        case "enter": EnterCommand.main
        // Hot network commands parsed by hand, falling back to ArgumentParser for anything else.
        default: NetFastPath.entry(name)
        }
    }
}
