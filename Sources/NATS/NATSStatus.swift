/// A nats.c status code (`natsStatus`), e.g. ``timeout`` or ``noResponders``.
///
/// A struct rather than an enum so that codes added by newer nats.c versions still round-trip.
public struct NATSStatus: Hashable, Sendable, CustomStringConvertible {
    /// The numeric `natsStatus` value.
    public let rawValue: Int32

    /// Wraps a numeric `natsStatus` value.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `NATS_ERR`: a generic error, used for JetStream API errors (see ``NATSError/jetStreamErrorCode``).
    public static let error = NATSStatus(rawValue: 1)
    /// `NATS_IO_ERROR`.
    public static let ioError = NATSStatus(rawValue: 3)
    /// `NATS_CONNECTION_CLOSED`: the connection was closed (by ``NATSConnection/close()`` or after giving up reconnecting).
    public static let connectionClosed = NATSStatus(rawValue: 5)
    /// `NATS_NO_SERVER`: no server could be reached.
    public static let noServer = NATSStatus(rawValue: 6)
    /// `NATS_CONNECTION_DISCONNECTED`.
    public static let connectionDisconnected = NATSStatus(rawValue: 10)
    /// `NATS_CONNECTION_AUTH_FAILED`.
    public static let authenticationFailed = NATSStatus(rawValue: 11)
    /// `NATS_NOT_FOUND`.
    public static let notFound = NATSStatus(rawValue: 13)
    /// `NATS_INVALID_ARG`.
    public static let invalidArgument = NATSStatus(rawValue: 16)
    /// `NATS_ILLEGAL_STATE`.
    public static let illegalState = NATSStatus(rawValue: 19)
    /// `NATS_MAX_PAYLOAD`: the message is larger than the server's `max_payload`.
    public static let maxPayload = NATSStatus(rawValue: 21)
    /// `NATS_TIMEOUT`.
    public static let timeout = NATSStatus(rawValue: 26)
    /// `NATS_NOT_YET_CONNECTED`: with retry-on-failed-connect, no server was reachable yet.
    public static let notYetConnected = NATSStatus(rawValue: 31)
    /// `NATS_NO_RESPONDERS`: nothing listens on the subject (for JetStream: no stream captures it).
    public static let noResponders = NATSStatus(rawValue: 34)

    /// The enumerator's name without the `NATS_` prefix, e.g. `"TIMEOUT"`.
    public var name: String {
        let index = Int(rawValue)
        return Self.names.indices.contains(index) ? Self.names[index] : "STATUS_\(rawValue)"
    }

    public var description: String { name }

    /// The `natsStatus` enumerators in declaration order (status.h of nats.c 3.4).
    private static let names = [
        "OK", "ERR", "PROTOCOL_ERROR", "IO_ERROR", "LINE_TOO_LONG", "CONNECTION_CLOSED", "NO_SERVER",
        "STALE_CONNECTION", "SECURE_CONNECTION_WANTED", "SECURE_CONNECTION_REQUIRED", "CONNECTION_DISCONNECTED",
        "CONNECTION_AUTH_FAILED", "NOT_PERMITTED", "NOT_FOUND", "ADDRESS_MISSING", "INVALID_SUBJECT", "INVALID_ARG",
        "INVALID_SUBSCRIPTION", "INVALID_TIMEOUT", "ILLEGAL_STATE", "SLOW_CONSUMER", "MAX_PAYLOAD",
        "MAX_DELIVERED_MSGS", "INSUFFICIENT_BUFFER", "NO_MEMORY", "SYS_ERROR", "TIMEOUT", "FAILED_TO_INITIALIZE",
        "NOT_INITIALIZED", "SSL_ERROR", "NO_SERVER_SUPPORT", "NOT_YET_CONNECTED", "DRAINING", "INVALID_QUEUE_NAME",
        "NO_RESPONDERS", "MISMATCH", "MISSED_HEARTBEAT",
    ]
}
