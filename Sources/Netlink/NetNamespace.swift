import CLinux
import Glibc
import Kernel

/// Entering a network namespace for the length of one call. `cove` is single-threaded, so switching the
/// whole process's network namespace and switching back is the same as doing it in a thread: sockets made
/// in between belong to the target namespace for good, and nothing else observes the switch.
public enum NetNamespace {
    /// Opens a network namespace file, checking that it is one (an ordinary file in /run/netns is not).
    public static func open(path: String) throws -> Int32 {
        let fd = try syscallCheck("open", path) { cove_open(path, O_RDONLY | O_CLOEXEC, 0) }
        do {
            let kind = try Namespaces.kind(ofFD: fd, path: path)
            guard kind == .net else { throw CoveError("\(path): not a network namespace (it is a \(kind.procName) namespace)") }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Runs `body` inside the network namespace at `path` and always returns to the original one.
    public static func withEntered<T>(path: String, _ body: () throws -> T) throws -> T {
        let target = try open(path: path)
        defer { close(target) }
        return try withEntered(fd: target, what: path, body)
    }

    public static func withEntered<T>(fd target: Int32, what: String, _ body: () throws -> T) throws -> T {
        let home = try syscallCheck("open", "/proc/thread-self/ns/net") { cove_open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC, 0) }
        defer { close(home) }
        try Namespaces.setns(target, .newNet, what)
        defer {
            // Staying in the wrong namespace would silently apply later commands to it: better to stop.
            if cove_setns(home, Int32(CLONE_NEWNET)) != 0 {
                fputs("cove: setns back to the original network namespace failed\n", stderr)
                abort()
            }
        }
        return try body()
    }
}
