/// Why a request could not be accepted, with the status the server answers before closing.
public struct HTTPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of refusal, each tied to one status code.
    public enum Kind: Sendable, Hashable {
        /// The request line is not `method SP target SP version` (400).
        case malformedRequestLine
        /// The target has a control character, a space, non-ASCII bytes or an unsupported form (400).
        case invalidTarget
        /// A `%` in the target is not followed by two hex digits, or decodes to invalid UTF-8 or NUL (400).
        case invalidPercentEncoding
        /// The request line names a version other than HTTP/1.0 and HTTP/1.1 (505).
        case unsupportedVersion
        /// A header line is malformed, folded, or holds a forbidden byte; or `Host` is missing or repeated (400).
        case malformedHeader
        /// The request line alone is longer than the header limit (414).
        case targetTooLong
        /// The request line and headers together are longer than the header limit (431).
        case headerSectionTooLarge
        /// `Content-Length` is not a number, or its values disagree (400).
        case invalidContentLength
        /// `Content-Length` is above the body limit (413).
        case bodyTooLarge
        /// The body is sent with `Transfer-Encoding: chunked` (411).
        ///
        /// The server needs the body's size before reading it, to hold it to the body limit, so it
        /// asks for `Content-Length` ("411 Length Required"); a client may repeat the request with
        /// one. 501 is kept for codings the server does not know at all.
        case chunkedBodyNotAccepted
        /// A transfer coding other than chunked (501).
        case unsupportedTransferEncoding
    }

    /// What was wrong.
    public let kind: Kind
    /// A short explanation, sent as the error response's body.
    public let detail: String

    /// Creates an error of `kind` explained by `detail`.
    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// The status code of the response that reports this error.
    public var status: Int {
        switch kind {
        case .malformedRequestLine, .invalidTarget, .invalidPercentEncoding, .malformedHeader, .invalidContentLength:
            return 400
        case .unsupportedVersion: return 505
        case .targetTooLong: return 414
        case .headerSectionTooLarge: return 431
        case .bodyTooLarge: return 413
        case .chunkedBodyNotAccepted: return 411
        case .unsupportedTransferEncoding: return 501
        }
    }

    public var description: String { "\(status) \(HTTPResponse.reasonPhrase(for: status)): \(detail)" }

    /// The response the server sends for this error; the connection closes after it.
    public var response: HTTPResponse {
        .text(status: status, body: detail + "\n")
    }
}
