/// One request to the API, as the routes see it. A pure value: building one does no I/O.
public struct APIRequest: Sendable, CustomStringConvertible {
    /// The method exactly as sent: `GET` or `HEAD` (the server refuses others before the routes see them).
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
    /// The header fields in order, names as sent.
    public var headers: [(name: String, value: String)]
    /// The body (only methods that take one, up to the server's `maxBodyBytes`).
    public var body: [UInt8]

    /// Builds a request from its parts, parsing `target` as the server does; throws (a 400) for a
    /// target the server refuses.
    public init(method: String, target: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) throws(APIRefusal) {
        let parsed = try APIRequestTarget.parse(ArraySlice(target.utf8))
        self.method = method
        self.target = target
        self.path = parsed.path
        self.pathSegments = parsed.pathSegments
        self.query = parsed.query
        self.headers = headers
        self.body = body
    }

    /// Whether this is a `HEAD` request, answered with headers only.
    public var isHead: Bool { method == "HEAD" }

    /// The value of the first query pair called `name` (exact match), or `nil`.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    /// The value of the first header field called `name` (any case), or `nil`.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var description: String { "\(method) \(target)" }
}
