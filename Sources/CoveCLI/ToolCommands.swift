/// util-linux style tools that parse their own argv (see Getopt.swift): name → entry point returning the exit code.
enum ToolCommands {
    static let table: [String: ([String]) -> Int32] = [
        "unshare": UnshareCommand.main,
        "enter": EnterCommand.main,
    ]
}
