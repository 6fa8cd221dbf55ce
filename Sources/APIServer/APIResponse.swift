/// An answer of the API: status, header fields and body.
///
/// The server adds `Content-Length`, `Server: mqbridge` and `Date` itself; for a `HEAD` request it sends
/// the headers only. A response with a ``stream`` sends its events as they come instead of ``body``.
public struct APIResponse: Sendable {
    /// The status code, 200–599.
    public var status: Int
    /// Header fields set by the route, e.g. `Content-Type`.
    public var headers: [String: String]
    /// The body bytes.
    public var body: [UInt8]
    /// A body written piece by piece until the client goes away (Server-Sent Events); nil for ``body``.
    public var stream: APIStream?

    /// A response with `status`.
    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = [], stream: APIStream? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.stream = stream
    }

    /// A JSON response: `body` is sent as is with `Content-Type: application/json`.
    public static func json(status: Int = 200, body: String) -> APIResponse {
        APIResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(body.utf8))
    }

    /// A plain-text response; `contentType` may name a variant, such as Prometheus'
    /// `text/plain; version=0.0.4; charset=utf-8`.
    public static func text(status: Int = 200, body: String, contentType: String = "text/plain; charset=utf-8") -> APIResponse {
        APIResponse(status: status, headers: ["Content-Type": contentType], body: Array(body.utf8))
    }
}

/// A response body sent piece by piece: `next` is called again and again (on the API's blocking queue, so it
/// may wait) and each piece it returns is sent at once; nil ends the body. Between calls the server waits
/// `pause` without holding a thread. It stops calling when the client goes away or the server stops.
public struct APIStream: Sendable {
    public let next: @Sendable () -> [UInt8]?
    /// How long to wait after a piece before asking for the next one.
    public let pause: Duration

    public init(pause: Duration = .zero, next: @escaping @Sendable () -> [UInt8]?) {
        self.pause = pause
        self.next = next
    }
}
