/// One parsed HTTP/1.x request. A pure value: building one does no I/O.
public struct HTTPRequest: Sendable, CustomStringConvertible {
    /// The method exactly as sent (methods are case-sensitive): `GET`, `HEAD`, or any other token.
    /// The server passes every method to the handler, which decides what to allow.
    public var method: String
    /// The request target exactly as sent, e.g. `/v1/clients/a%2Fb?x=1`.
    public var target: String
    /// The target's path with every `%XX` decoded, e.g. `/v1/clients/a/b`. Use ``pathSegments``
    /// when an encoded `/` (`%2F`) must stay inside a segment.
    public var path: String
    /// The path split at its literal `/`s, each segment decoded on its own, empty ones left out:
    /// `/v1/clients/a%2Fb` gives `["v1", "clients", "a/b"]`.
    public var pathSegments: [String]
    /// The query's `name=value` pairs in the order sent, decoded, with `+` read as a space.
    /// A pair without `=` has an empty value.
    public var query: [(name: String, value: String)]
    /// The protocol version of the request line.
    public var version: HTTPVersion
    /// The header fields in order.
    public var headers: HTTPHeaders
    /// The body: as many bytes as `Content-Length` said (empty without one).
    public var body: [UInt8]

    /// Builds a request from its parts, parsing `target` as the server would; throws for a
    /// target the server would refuse.
    public init(method: String, target: String, version: HTTPVersion = .http1_1,
                headers: HTTPHeaders = [:], body: [UInt8] = []) throws(HTTPParseError) {
        let parsed = try HTTPRequestTarget.parse(ArraySlice(target.utf8))
        self.init(method: method, target: target, parsedTarget: parsed, version: version, headers: headers, body: body)
    }

    init(method: String, target: String, parsedTarget: HTTPRequestTarget, version: HTTPVersion,
         headers: HTTPHeaders, body: [UInt8]) {
        self.method = method
        self.target = target
        self.path = parsedTarget.path
        self.pathSegments = parsedTarget.pathSegments
        self.query = parsedTarget.query
        self.version = version
        self.headers = headers
        self.body = body
    }

    /// Whether the connection may carry another request after this one's response: HTTP/1.1
    /// unless `Connection` lists `close`; HTTP/1.0 only if `Connection` lists `keep-alive`.
    public var keepAlive: Bool {
        let connection = headers.tokens(for: "Connection")
        if connection.contains("close") { return false }
        if version == .http1_0 { return connection.contains("keep-alive") }
        return true
    }

    /// Whether this is a `HEAD` request, answered with headers only.
    public var isHead: Bool { method == "HEAD" }

    /// The value of the first query pair called `name` (exact match), or `nil`.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    public var description: String { "\(method) \(target) \(version)" }
}

extension HTTPRequest: Equatable {
    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.path == rhs.path
            && lhs.pathSegments == rhs.pathSegments
            && lhs.query.map(\.name) == rhs.query.map(\.name) && lhs.query.map(\.value) == rhs.query.map(\.value)
            && lhs.version == rhs.version && lhs.headers == rhs.headers && lhs.body == rhs.body
    }
}
