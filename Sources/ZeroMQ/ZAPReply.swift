/// The handler's answer to a ``ZAPRequest`` (RFC 27).
public struct ZAPReply: Sendable, Hashable {
    /// RFC 27 status codes.
    public enum Status: String, Sendable, Hashable {
        /// `200`: the peer is let in.
        case success = "200"
        /// `300`: a temporary error; the peer may retry.
        case temporaryError = "300"
        /// `400`: the credentials are refused; libzmq tells the peer and does not retry on its behalf.
        case authenticationFailure = "400"
        /// `500`: the handler could not decide, e.g. a malformed request.
        case internalError = "500"
    }

    public let requestId: [UInt8]
    public let status: Status
    /// Free text for the peer's logs.
    public let statusText: String
    /// The identity the server socket associates with the peer (message property `User-Id`);
    /// meaningful on success only.
    public let userId: String

    public init(requestId: [UInt8], status: Status, statusText: String = "", userId: String = "") {
        self.requestId = requestId
        self.status = status
        self.statusText = statusText
        self.userId = userId
    }

    /// Answers `request` with `status`.
    public init(to request: ZAPRequest, status: Status, statusText: String = "", userId: String = "") {
        self.init(requestId: request.requestId, status: status, statusText: statusText, userId: userId)
    }

    /// The reply's frames for a REP socket (which adds the envelope delimiter): version, request id,
    /// status code, status text, user id and empty metadata.
    public var frames: [[UInt8]] {
        [Array("1.0".utf8), requestId, Array(status.rawValue.utf8), Array(statusText.utf8), Array(userId.utf8), []]
    }
}
