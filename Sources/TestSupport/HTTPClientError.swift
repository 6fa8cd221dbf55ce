/// Why a client request failed.
public struct HTTPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of failure.
    public enum Kind: Sendable, Hashable {
        /// The path or request could not be sent as given (e.g. it contains a space or control character).
        case invalidRequest
        /// The host name did not resolve.
        case cannotResolve
        /// No address of the host accepted the connection.
        case cannotConnect
        /// The deadline passed before the operation finished.
        case timedOut
        /// The server closed the connection before a complete response arrived.
        case connectionClosed
        /// The connection failed while sending or receiving (e.g. reset by the peer).
        case connectionFailed
        /// The bytes received are not an HTTP/1.x response this client can read.
        case malformedResponse
    }

    /// What failed.
    public let kind: Kind
    /// A message for people, e.g. `cannot connect to 127.0.0.1:8080: Connection refused`.
    public let message: String

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
