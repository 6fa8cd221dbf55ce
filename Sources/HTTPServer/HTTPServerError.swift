/// Why the server could not start.
public struct HTTPServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of start-up failure.
    public enum Kind: Sendable, Hashable {
        /// The host name did not resolve.
        case cannotResolve
        /// No address of the host could be bound and listened on (e.g. the port is in use).
        case cannotListen
        /// The port is outside 0–65535.
        case invalidPort
        /// `start()` was called on a running server.
        case alreadyRunning
        /// A resource the server needs (its wake-up pipe, its thread) could not be created.
        case cannotStart
    }

    /// What failed.
    public let kind: Kind
    /// `errno` of the failing call, when one failed (e.g. `EADDRINUSE`).
    public let code: Int32?
    /// The full message, e.g. `cannot listen on 127.0.0.1:8080: Address already in use`.
    public let message: String

    init(_ kind: Kind, code: Int32? = nil, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
