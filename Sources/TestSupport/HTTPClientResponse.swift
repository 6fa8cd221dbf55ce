/// A response read by ``HTTPClientConnection``.
public struct HTTPClientResponse: Sendable, Equatable {
    /// The status code.
    public var status: Int
    /// The reason phrase as sent.
    public var reason: String
    /// The header fields in order.
    public var headers: HTTPHeaders
    /// The body (empty for HEAD, 204 and 304).
    public var body: [UInt8]

    /// A response with the given parts.
    public init(status: Int, reason: String, headers: HTTPHeaders, body: [UInt8]) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
    }

    /// The body read as UTF-8.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// Parses a status line and header fields (`bytes` without the blank line that ends them).
    static func parseHead(_ bytes: ArraySlice<UInt8>) throws(HTTPClientError) -> (status: Int, reason: String, headers: HTTPHeaders) {
        let lines = bytes.split(separator: HTTPSyntax.lf, omittingEmptySubsequences: false).map { line in
            line.last == HTTPSyntax.cr ? line.dropLast() : line
        }
        guard let statusLine = lines.first else { throw malformed("an empty response head") }
        let parts = statusLine.split(separator: HTTPSyntax.space, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].starts(with: "HTTP/1.".utf8), parts[1].count == 3,
              parts[1].allSatisfy(HTTPSyntax.isDigit), let status = Int(String(decoding: parts[1], as: UTF8.self)) else {
            throw malformed("the status line '\(String(decoding: statusLine, as: UTF8.self))'")
        }
        let reason = parts.count > 2 ? String(decoding: parts[2], as: UTF8.self) : ""
        var headers = HTTPHeaders()
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: HTTPSyntax.colon) else {
                throw malformed("the header line '\(String(decoding: line, as: UTF8.self))'")
            }
            headers.add(name: String(decoding: line[..<colon], as: UTF8.self),
                        value: String(decoding: HTTPSyntax.trimmingWhitespace(line[(colon + 1)...]), as: UTF8.self))
        }
        return (status, reason, headers)
    }

    private static func malformed(_ what: String) -> HTTPClientError {
        HTTPClientError(.malformedResponse, "malformed HTTP response: \(what)")
    }
}
