internal import CNATS

/// An error reported by nats.c, or by the JetStream server through it.
///
/// ``status`` is the `natsStatus` of the failing call; ``text`` is nats.c's text for it, and
/// ``detail`` the more specific message nats.c recorded for the calling thread (`nats_GetLastError`),
/// read immediately after the failing call. JetStream API errors carry the server's
/// ``jetStreamErrorCode`` (e.g. 10059 stream not found).
public struct NATSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The nats.c status of the failing call.
    public let status: NATSStatus
    /// `natsStatus_GetText` for ``status``.
    public let text: String
    /// The nats.c function (or wrapper operation) that failed, e.g. `"js_AddStream"`.
    public let operation: String
    /// The detailed message nats.c recorded (for JetStream API errors: the server's description), if any.
    public let detail: String?
    /// The JetStream error code (`jsErrCode`, the server's `err_code`), when the server refused the request.
    public let jetStreamErrorCode: Int?

    /// Creates an error; ``text`` comes from `natsStatus_GetText`.
    public init(status: NATSStatus, operation: String, detail: String?, jetStreamErrorCode: Int?) {
        self.status = status
        self.text = String(cString: natsStatus_GetText(natsStatus(rawValue: UInt32(bitPattern: status.rawValue))))
        self.operation = operation
        self.detail = detail.flatMap { $0.isEmpty ? nil : $0 }
        self.jetStreamErrorCode = jetStreamErrorCode.flatMap { $0 == 0 ? nil : $0 }
    }

    /// A request or wait ran out of time (`NATS_TIMEOUT`).
    public var isTimeout: Bool { status == .timeout }
    /// The stream does not exist (JetStream error 10059).
    public var isStreamNotFound: Bool { jetStreamErrorCode == JetStreamErrorCode.streamNotFound }
    /// Nothing answered: no stream captures the subject, or JetStream is not enabled (`NATS_NO_RESPONDERS`).
    public var isNoResponders: Bool { status == .noResponders }
    /// The connection is closed for good (`NATS_CONNECTION_CLOSED`).
    public var isConnectionClosed: Bool { status == .connectionClosed }

    public var description: String {
        var result = "\(operation) failed: \(text) (\(status.name))"
        if let detail, detail != text { result += ": \(detail)" }
        if let jetStreamErrorCode { result += " [JetStream error \(jetStreamErrorCode)]" }
        return result
    }

    /// Captures the calling thread's nats.c error detail; call directly after the failing call.
    static func last(_ status: natsStatus, _ operation: String, jetStreamErrorCode: jsErrCode? = nil) -> NATSError {
        let detail = nats_GetLastError(nil).map { String(cString: $0) }
        return NATSError(status: NATSStatus(rawValue: Int32(bitPattern: status.rawValue)), operation: operation,
                         detail: detail, jetStreamErrorCode: jetStreamErrorCode.map { Int($0.rawValue) })
    }

    /// Throws ``last(_:_:jetStreamErrorCode:)`` unless `status` is `NATS_OK`.
    @inline(__always)
    static func check(_ status: natsStatus, _ operation: String, jetStreamErrorCode: jsErrCode? = nil) throws(NATSError) {
        if status != NATS_OK { throw last(status, operation, jetStreamErrorCode: jetStreamErrorCode) }
    }
}

/// JetStream error codes (`jsErrCode`, the server's `err_code`) that callers commonly test for.
public enum JetStreamErrorCode {
    /// 10059: stream not found.
    public static let streamNotFound = 10059
    /// 10058: stream name already in use with a different configuration.
    public static let streamNameInUse = 10058
    /// 10065: the subjects overlap with an existing stream's.
    public static let subjectsOverlap = 10065
    /// 10037: no message found (e.g. at that sequence).
    public static let noMessageFound = 10037
    /// 10014: consumer not found.
    public static let consumerNotFound = 10014
    /// 10054: the message is larger than the stream's maximum message size.
    public static let messageExceedsMaximum = 10054
    /// 10077: storing the message failed; with discard-new this is "maximum bytes/messages exceeded".
    public static let storeFailed = 10077
    /// 10071: wrong last sequence (an expected-last-sequence check failed).
    public static let wrongLastSequence = 10071
}
