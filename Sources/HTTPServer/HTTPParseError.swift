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
        /// The method is not one of ``HTTPRequestParser/Limits/allowedMethods`` (405, with `Allow`). Checked
        /// before the body, so a request of another method is told so whatever body it carries.
        case methodNotAllowed
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
    /// For ``Kind/methodNotAllowed``: the methods the server takes, sent in `Allow`.
    public let allowedMethods: [String]

    /// Creates an error of `kind` explained by `detail`.
    public init(_ kind: Kind, _ detail: String, allowedMethods: [String] = []) {
        self.kind = kind
        self.detail = detail
        self.allowedMethods = allowedMethods
    }

    /// The status code of the response that reports this error.
    public var status: Int {
        switch kind {
        case .malformedRequestLine, .invalidTarget, .invalidPercentEncoding, .malformedHeader, .invalidContentLength:
            return 400
        case .unsupportedVersion: return 505
        case .methodNotAllowed: return 405
        case .targetTooLong: return 414
        case .headerSectionTooLarge: return 431
        case .bodyTooLarge: return 413
        case .chunkedBodyNotAccepted: return 411
        case .unsupportedTransferEncoding: return 501
        }
    }

    public var description: String { "\(status) \(HTTPResponse.reasonPhrase(for: status)): \(detail)" }

    /// This error as the server reports it: status, detail, and the `Allow` field of a 405.
    public var refusal: HTTPRefusal {
        var headers = HTTPHeaders()
        if kind == .methodNotAllowed { headers.add(name: "Allow", value: allowedMethods.joined(separator: ", ")) }
        return HTTPRefusal(status: status, detail: detail, headers: headers)
    }

    /// The plain-text response the server sends for this error by default; the connection closes after it.
    public var response: HTTPResponse {
        refusal.textResponse
    }
}

/// An answer the server gives on its own, without calling the handler: a request its parser refuses
/// (see ``HTTPParseError``), a request that did not arrive in time (408), a connection over
/// ``HTTPServer/Limits/maxConnections`` (503), or a handler's response that could not be sent as it was (500).
/// ``HTTPServer`` turns one into a response with its `refusalResponse` function, so an API can give these
/// answers the same shape as its own errors; by default they are plain text.
public struct HTTPRefusal: Sendable, Equatable {
    /// The status code.
    public var status: Int
    /// What was wrong, for people.
    public var detail: String
    /// Fields the answer must carry, such as `Allow` for a 405; a `refusalResponse` keeps them.
    public var headers: HTTPHeaders

    public init(status: Int, detail: String, headers: HTTPHeaders = [:]) {
        self.status = status
        self.detail = detail
        self.headers = headers
    }

    /// The default answer: `detail` as `text/plain`, with ``headers``.
    public var textResponse: HTTPResponse {
        var response = HTTPResponse.text(status: status, body: detail + "\n")
        for field in headers { response.headers.add(name: field.name, value: field.value) }
        return response
    }
}
