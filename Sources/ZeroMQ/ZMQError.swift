internal import CZeroMQ

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// An error reported by libzmq (or by this wrapper, using the same errno codes).
///
/// `code` is the errno value read with `zmq_errno()` immediately after the failing call,
/// so it is never clobbered by later work. Compare it with the platform's errno constants
/// (`EINVAL`, `EADDRINUSE`, ...) or use the convenience checks.
public struct ZMQError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The errno value (libzmq-specific codes such as `ETERM` are included).
    public let code: Int32
    /// The libzmq function (or wrapper operation) that failed, e.g. `"zmq_connect"`.
    public let operation: String
    /// The `zmq_strerror` text for `code`.
    public let message: String

    /// Creates an error for `code`, filling `message` from `zmq_strerror`.
    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
        self.message = String(cString: zmq_strerror(code))
    }

    /// The context was shut down or terminated (`ETERM`); the socket should be closed.
    public var isTerminated: Bool { code == ETERM }

    /// A non-blocking call found nothing to do, or a send/receive timeout expired (`EAGAIN`).
    public var isWouldBlock: Bool { code == EAGAIN }

    /// The socket was already closed by this wrapper (`ENOTSOCK`).
    public var isClosedSocket: Bool { code == ENOTSOCK }

    /// A ROUTER with `routerMandatory` could not route the message (`EHOSTUNREACH`).
    public var isHostUnreachable: Bool { code == EHOSTUNREACH }

    /// The operation is not valid in the socket's current state, e.g. REQ sending twice (`EFSM`).
    public var isInvalidState: Bool { code == EFSM }

    public var description: String {
        "\(operation) failed: \(message) (errno \(code))"
    }

    /// Captures `zmq_errno()`; must be called directly after the failing libzmq call.
    @inline(__always)
    static func last(_ operation: String) -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation)
    }
}

/// Runs a libzmq call that returns -1 on failure, retrying `EINTR` so that signals
/// delivered to the process never surface as spurious errors.
@inline(__always)
@discardableResult
func zmqCall(_ operation: String, _ body: () -> Int32) throws(ZMQError) -> Int32 {
    while true {
        let rc = body()
        if rc != -1 { return rc }
        let code = zmq_errno()
        if code != EINTR { throw ZMQError(code: code, operation: operation) }
    }
}
