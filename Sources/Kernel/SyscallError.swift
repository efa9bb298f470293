import CLinux
import Glibc
import SystemPackage

/// The one error shape of the syscall layer: which call failed, on what, and the errno text.
/// It prints as `pivot_root /x: Operation not permitted`.
public struct SyscallError: Error, CustomStringConvertible, Equatable {
    public var call: String
    public var subject: String?
    public var errno: Errno

    public init(_ call: String, _ subject: String? = nil, errno: Errno) {
        self.call = call
        self.subject = subject
        self.errno = errno
    }

    /// Builds the error from the calling thread's current `errno`.
    public static func last(_ call: String, _ subject: String? = nil) -> SyscallError {
        SyscallError(call, subject, errno: Errno(rawValue: cove_errno()))
    }

    public var description: String {
        let text = String(cString: strerror(errno.rawValue))
        if let subject, !subject.isEmpty { return "\(call) \(subject): \(text)" }
        return "\(call): \(text)"
    }
}

/// A failure that is not a syscall: bad input, a broken protocol, a missing thing. Prints its message as is.
public struct CoveError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Retries on EINTR and turns -1 into a `SyscallError`.
@inlinable
@discardableResult
public func syscallCheck<T: FixedWidthInteger>(_ call: String, _ subject: @autoclosure () -> String? = nil, _ body: () -> T) throws -> T {
    while true {
        let r = body()
        if r != -1 { return r }
        let e = cove_errno()
        if e == EINTR { continue }
        throw SyscallError(call, subject(), errno: Errno(rawValue: e))
    }
}
