import CLinux
import Glibc

/// Signal names and numbers, accepted as `KILL`, `SIGKILL` or `9` like runc and kill(1).
public enum Signal {
    public static let table: [(String, Int32)] = [
        ("HUP", SIGHUP), ("INT", SIGINT), ("QUIT", SIGQUIT), ("ILL", SIGILL), ("TRAP", SIGTRAP),
        ("ABRT", SIGABRT), ("IOT", SIGIOT), ("BUS", SIGBUS), ("FPE", SIGFPE), ("KILL", SIGKILL),
        ("USR1", SIGUSR1), ("SEGV", SIGSEGV), ("USR2", SIGUSR2), ("PIPE", SIGPIPE), ("ALRM", SIGALRM),
        ("TERM", SIGTERM), ("STKFLT", SIGSTKFLT), ("CHLD", SIGCHLD), ("CONT", SIGCONT), ("STOP", SIGSTOP),
        ("TSTP", SIGTSTP), ("TTIN", SIGTTIN), ("TTOU", SIGTTOU), ("URG", SIGURG), ("XCPU", SIGXCPU),
        ("XFSZ", SIGXFSZ), ("VTALRM", SIGVTALRM), ("PROF", SIGPROF), ("WINCH", SIGWINCH), ("IO", SIGIO),
        ("POLL", SIGPOLL), ("PWR", SIGPWR), ("SYS", SIGSYS),
    ]

    /// Parses `KILL`, `SIGKILL`, `kill`, `9`, `RTMIN+3`. Nil for anything else.
    public static func parse(_ text: String) -> Int32? {
        if let n = Int32(text) { return (n > 0 && n < 65) ? n : nil }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        if let hit = table.first(where: { $0.0 == name }) { return hit.1 }
        let rtmin = Int32(34), rtmax = Int32(64)
        if name == "RTMIN" { return rtmin }
        if name == "RTMAX" { return rtmax }
        if name.hasPrefix("RTMIN+"), let k = Int32(name.dropFirst(6)), rtmin + k <= rtmax { return rtmin + k }
        if name.hasPrefix("RTMAX-"), let k = Int32(name.dropFirst(6)), rtmax - k >= rtmin { return rtmax - k }
        return nil
    }

    public static func name(of signal: Int32) -> String? {
        table.first(where: { $0.1 == signal }).map { "SIG" + $0.0 }
    }
}

/// A sigset_t with the operations Cove needs.
public struct SignalSet {
    public var raw = sigset_t()

    public init(_ signals: [Int32]) {
        sigemptyset(&raw)
        for s in signals { sigaddset(&raw, s) }
    }

    /// sigprocmask(SIG_BLOCK): keeps these signals pending so the single-threaded loop can collect them
    /// with sigwaitinfo(2) — no asynchronous handlers anywhere in Cove.
    public func block() throws -> SignalSet {
        var old = SignalSet([])
        var set = raw
        try syscallCheck("sigprocmask") { sigprocmask(SIG_BLOCK, &set, &old.raw) }
        return old
    }

    /// sigprocmask(SIG_SETMASK).
    public func setAsMask() throws {
        var set = raw
        try syscallCheck("sigprocmask") { sigprocmask(SIG_SETMASK, &set, nil) }
    }

    /// sigwaitinfo(2): the next pending signal of this set.
    public func wait() throws -> Int32 {
        var set = raw
        return try syscallCheck("sigwaitinfo") { sigwaitinfo(&set, nil) }
    }
}

/// Runs a forked child to completion while forwarding the signals a user sends to `cove` — the way
/// util-linux `unshare --fork` and `runc run` pass INT, TERM, HUP, QUIT, USR1, USR2 and WINCH on.
public enum SignalForwarder {
    public static let forwarded: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH]

    /// Block these (plus SIGCHLD) before forking; the child restores `previous` before exec.
    public static func blockForwarded() throws -> SignalSet {
        try SignalSet(forwarded + [SIGCHLD]).block()
    }

    /// Waits for `child`, forwarding signals to `target` (the child itself, or a process it stands for).
    public static func wait(for child: pid_t, forwardingTo target: pid_t? = nil) throws -> ExitStatus {
        let set = SignalSet(forwarded + [SIGCHLD])
        let to = target ?? child
        while true {
            // SIGCHLD may have been coalesced or arrived before the mask was set: always poll first.
            if let status = try ProcessControl.poll(child) { return status }
            let sig = try set.wait()
            if sig != SIGCHLD { _ = Glibc.kill(to, sig) }
        }
    }
}
