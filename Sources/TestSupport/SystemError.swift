internal import Glibc

/// A failed system call: which one, and `errno` read right after it.
struct SystemError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The call, e.g. `"bind"`.
    let call: String
    /// `errno` as the call left it.
    let code: Int32

    /// Captures `errno`; call it straight after the failing call, before anything can change it.
    static func last(_ call: String) -> SystemError {
        SystemError(call: call, code: errno)
    }

    /// The C library's text for the code, e.g. "Address already in use".
    var reason: String { String(cString: strerror(code)) }

    var description: String { "\(call): \(reason) (errno \(code))" }
}
