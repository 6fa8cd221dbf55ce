internal import CMosquitto

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure reported by libmosquitto (or by this wrapper on its behalf).
///
/// Every non-success `MOSQ_ERR_*` return code becomes one of these. For
/// ``Code-swift.struct/errno`` the C `errno` is captured immediately after the failing call.
public struct MosquittoError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A libmosquitto `MOSQ_ERR_*` code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The numeric `MOSQ_ERR_*` value.
        public let rawValue: Int32

        /// Wraps a numeric `MOSQ_ERR_*` value.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// `MOSQ_ERR_NOMEM`.
        public static let noMemory = Code(rawValue: MOSQ_ERR_NOMEM.rawValue)
        /// `MOSQ_ERR_PROTOCOL`.
        public static let protocolError = Code(rawValue: MOSQ_ERR_PROTOCOL.rawValue)
        /// `MOSQ_ERR_INVAL`: invalid arguments (or a call in the wrong state).
        public static let invalid = Code(rawValue: MOSQ_ERR_INVAL.rawValue)
        /// `MOSQ_ERR_NO_CONN`: not connected.
        public static let noConnection = Code(rawValue: MOSQ_ERR_NO_CONN.rawValue)
        /// `MOSQ_ERR_CONN_REFUSED`: the broker refused the connection.
        public static let connectionRefused = Code(rawValue: MOSQ_ERR_CONN_REFUSED.rawValue)
        /// `MOSQ_ERR_NOT_FOUND`.
        public static let notFound = Code(rawValue: MOSQ_ERR_NOT_FOUND.rawValue)
        /// `MOSQ_ERR_CONN_LOST`: the connection was lost.
        public static let connectionLost = Code(rawValue: MOSQ_ERR_CONN_LOST.rawValue)
        /// `MOSQ_ERR_TLS`.
        public static let tls = Code(rawValue: MOSQ_ERR_TLS.rawValue)
        /// `MOSQ_ERR_PAYLOAD_SIZE`: the payload is too large.
        public static let payloadSize = Code(rawValue: MOSQ_ERR_PAYLOAD_SIZE.rawValue)
        /// `MOSQ_ERR_NOT_SUPPORTED`: not supported (e.g. an MQTT 5 feature on 3.1.1).
        public static let notSupported = Code(rawValue: MOSQ_ERR_NOT_SUPPORTED.rawValue)
        /// `MOSQ_ERR_AUTH`.
        public static let auth = Code(rawValue: MOSQ_ERR_AUTH.rawValue)
        /// `MOSQ_ERR_ACL_DENIED`.
        public static let aclDenied = Code(rawValue: MOSQ_ERR_ACL_DENIED.rawValue)
        /// `MOSQ_ERR_UNKNOWN`.
        public static let unknown = Code(rawValue: MOSQ_ERR_UNKNOWN.rawValue)
        /// `MOSQ_ERR_ERRNO`: a system call failed; see ``MosquittoError/systemErrno``.
        public static let errno = Code(rawValue: MOSQ_ERR_ERRNO.rawValue)
        /// `MOSQ_ERR_EAI`: host name lookup failed.
        public static let lookupFailed = Code(rawValue: MOSQ_ERR_EAI.rawValue)
        /// `MOSQ_ERR_MALFORMED_UTF8`: a string is not valid MQTT UTF-8.
        public static let malformedUTF8 = Code(rawValue: MOSQ_ERR_MALFORMED_UTF8.rawValue)
        /// `MOSQ_ERR_KEEPALIVE`.
        public static let keepalive = Code(rawValue: MOSQ_ERR_KEEPALIVE.rawValue)
        /// `MOSQ_ERR_DUPLICATE_PROPERTY`.
        public static let duplicateProperty = Code(rawValue: MOSQ_ERR_DUPLICATE_PROPERTY.rawValue)
        /// `MOSQ_ERR_QOS_NOT_SUPPORTED`.
        public static let qosNotSupported = Code(rawValue: MOSQ_ERR_QOS_NOT_SUPPORTED.rawValue)
        /// `MOSQ_ERR_OVERSIZE_PACKET`.
        public static let oversizePacket = Code(rawValue: MOSQ_ERR_OVERSIZE_PACKET.rawValue)
        /// `MOSQ_ERR_TIMEOUT`; also used by this wrapper when waiting for a CONNACK times out.
        public static let timeout = Code(rawValue: MOSQ_ERR_TIMEOUT.rawValue)

        /// The `MOSQ_ERR_*` name-free description from `mosquitto_strerror`.
        public var description: String { String(cString: mosquitto_strerror(rawValue)) }
    }

    /// The `MOSQ_ERR_*` code.
    public let code: Code
    /// The libmosquitto operation that failed, e.g. `"mosquitto_publish_v5"`.
    public let operation: String
    /// Human-readable text (`mosquitto_strerror`, or `strerror(errno)` for ``Code-swift.struct/errno``).
    public let message: String
    /// The C `errno` captured right after the call, only for ``Code-swift.struct/errno``.
    public let systemErrno: Int32?
    /// The MQTT reason code when the broker refused something (e.g. a CONNACK), otherwise `nil`.
    public let reasonCode: Int?

    /// Creates an error; `message` defaults to `mosquitto_strerror(code)`.
    public init(code: Code, operation: String, message: String? = nil, systemErrno: Int32? = nil, reasonCode: Int? = nil) {
        self.code = code
        self.operation = operation
        self.message = message ?? code.description
        self.systemErrno = systemErrno
        self.reasonCode = reasonCode
    }

    public var description: String {
        var text = "\(operation) failed: \(message) (MOSQ_ERR \(code.rawValue)"
        if let systemErrno { text += ", errno \(systemErrno)" }
        if let reasonCode { text += ", reason code \(reasonCode)" }
        return text + ")"
    }

    /// Turns a libmosquitto return code into a thrown error. Call it directly on the C result so
    /// that `errno` is still the one set by the failing call.
    @inline(__always)
    static func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(MosquittoError) {
        if rc == MOSQ_ERR_SUCCESS.rawValue { return }
        let savedErrno = errno  // read before anything else can overwrite it
        throw MosquittoError(returnCode: rc, errno: savedErrno, operation: operation())
    }

    /// Builds an error from a return code and the `errno` read right after the call.
    init(returnCode rc: Int32, errno savedErrno: Int32, operation: String) {
        if rc == MOSQ_ERR_ERRNO.rawValue {
            self.init(code: .errno, operation: operation,
                      message: String(cString: strerror(savedErrno)), systemErrno: savedErrno)
        } else {
            self.init(code: Code(rawValue: rc), operation: operation)
        }
    }

    /// An error for a string that cannot be sent as an MQTT UTF-8 string (it contains U+0000).
    static func embeddedNUL(_ operation: String, what: String) -> MosquittoError {
        MosquittoError(code: .malformedUTF8, operation: operation, message: "\(what) contains a NUL character")
    }
}
