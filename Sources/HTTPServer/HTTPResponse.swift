/// A response from a handler: status, header fields and body.
///
/// The server adds `Content-Length`, `Server: mqbridge`, `Date` and `Connection` itself and
/// replaces any the handler set; for a `HEAD` request it sends the headers only.
public struct HTTPResponse: Sendable, Equatable {
    /// The status code, 100–999.
    public var status: Int
    /// The reason phrase of the status line; by default the standard one for `status`.
    public var reason: String
    /// Header fields set by the handler, e.g. `Content-Type`.
    public var headers: HTTPHeaders
    /// The body bytes.
    public var body: [UInt8]

    /// A response with `status`; `reason` defaults to the standard phrase for it.
    public init(status: Int, reason: String? = nil, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.reason = reason ?? Self.reasonPhrase(for: status)
        self.headers = headers
        self.body = body
    }

    /// A JSON response: `body` is sent as is with `Content-Type: application/json`.
    public static func json(status: Int = 200, body: String) -> HTTPResponse {
        json(status: status, body: Array(body.utf8))
    }

    /// A JSON response from encoded bytes, with `Content-Type: application/json`.
    public static func json(status: Int = 200, body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: body)
    }

    /// A plain-text response; `contentType` may name a variant, such as Prometheus'
    /// `text/plain; version=0.0.4; charset=utf-8`.
    public static func text(status: Int = 200, body: String,
                            contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: Array(body.utf8))
    }
}
