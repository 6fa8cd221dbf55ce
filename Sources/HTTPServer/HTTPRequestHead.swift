/// A request line and header fields, checked, waiting for the body.
struct HTTPRequestHead: Sendable {
    var method: String
    var target: String
    var parsedTarget: HTTPRequestTarget
    var version: HTTPVersion
    var headers: HTTPHeaders
    var contentLength: Int

    func request(body: [UInt8]) -> HTTPRequest {
        HTTPRequest(method: method, target: target, parsedTarget: parsedTarget, version: version, headers: headers, body: body)
    }

    /// Parses a complete head: `bytes` runs from the request line through the blank line.
    static func parse(_ bytes: ArraySlice<UInt8>, limits: HTTPRequestParser.Limits) throws(HTTPParseError) -> HTTPRequestHead {
        var lines = bytes.split(separator: HTTPSyntax.lf, omittingEmptySubsequences: false).map { line in
            line.last == HTTPSyntax.cr ? line.dropLast() : line
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let requestLine = lines.first else {
            throw HTTPParseError(.malformedRequestLine, "the request line is missing")
        }
        let (method, rawTarget, version) = try parseRequestLine(requestLine)
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            let field = try parseField(line)
            headers.add(name: field.name, value: field.value)
        }
        try checkHost(headers, version: version)
        if let allowed = limits.allowedMethods, !allowed.contains(method) {
            throw HTTPParseError(
                .methodNotAllowed, "\(method) is not supported; use \(allowed.joined(separator: " or "))", allowedMethods: allowed)
        }
        try checkTransferEncoding(headers)
        let contentLength = try parseContentLength(headers, limit: limits.maxBodyBytes)
        let parsedTarget = try HTTPRequestTarget.parse(rawTarget)
        return HTTPRequestHead(method: method, target: String(decoding: rawTarget, as: UTF8.self), parsedTarget: parsedTarget,
                               version: version, headers: headers, contentLength: contentLength)
    }

    private static func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError)
        -> (method: String, target: ArraySlice<UInt8>, version: HTTPVersion) {
        let parts = line.split(separator: HTTPSyntax.space, omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }), !line.contains(HTTPSyntax.cr) else {
            throw HTTPParseError(.malformedRequestLine, "the request line must be 'METHOD target HTTP/1.1'")
        }
        guard HTTPSyntax.isToken(parts[0]) else {
            throw HTTPParseError(.malformedRequestLine, "the method is not a token")
        }
        let version = try parseVersion(parts[2])
        return (String(decoding: parts[0], as: UTF8.self), parts[1], version)
    }

    private static func parseVersion(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPVersion {
        let prefix = "HTTP/".utf8
        guard bytes.starts(with: prefix) else {
            throw HTTPParseError(.malformedRequestLine, "the request line does not end with an HTTP version")
        }
        let number = bytes.dropFirst(prefix.count)
        guard !number.isEmpty, number.allSatisfy({ HTTPSyntax.isDigit($0) || $0 == UInt8(ascii: ".") }) else {
            throw HTTPParseError(.malformedRequestLine, "malformed HTTP version")
        }
        let text = String(decoding: number, as: UTF8.self)
        switch text {
        case "1.1": return .http1_1
        case "1.0": return .http1_0
        default: throw HTTPParseError(.unsupportedVersion, "HTTP/\(text) is not supported; use HTTP/1.1 or HTTP/1.0")
        }
    }

    private static func parseField(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (name: String, value: String) {
        if line.first == HTTPSyntax.space || line.first == HTTPSyntax.tab {
            throw HTTPParseError(.malformedHeader, "obsolete header line folding is not accepted")
        }
        guard let colon = line.firstIndex(of: HTTPSyntax.colon) else {
            throw HTTPParseError(.malformedHeader, "a header line has no ':'")
        }
        let name = line[..<colon]
        guard HTTPSyntax.isToken(name) else {
            throw HTTPParseError(.malformedHeader, "a header name is empty or has characters not allowed in a token")
        }
        let value = HTTPSyntax.trimmingWhitespace(line[(colon + 1)...])
        let nameText = String(decoding: name, as: UTF8.self)
        guard value.allSatisfy(HTTPSyntax.isFieldValueByte) else {
            throw HTTPParseError(.malformedHeader, "the value of header '\(nameText)' contains a control character")
        }
        return (nameText, String(decoding: value, as: UTF8.self))
    }

    private static func checkHost(_ headers: HTTPHeaders, version: HTTPVersion) throws(HTTPParseError) {
        let count = headers.values(for: "Host").count
        if count > 1 || (version == .http1_1 && count == 0) {
            throw HTTPParseError(.malformedHeader, "an HTTP/1.1 request needs exactly one Host header")
        }
    }

    private static func checkTransferEncoding(_ headers: HTTPHeaders) throws(HTTPParseError) {
        guard headers.contains("Transfer-Encoding") else { return }
        if headers.tokens(for: "Transfer-Encoding").last == "chunked" {
            throw HTTPParseError(.chunkedBodyNotAccepted, "chunked request bodies are not accepted; send Content-Length")
        }
        throw HTTPParseError(.unsupportedTransferEncoding, "transfer codings other than chunked are not implemented")
    }

    /// The body length; repeated or comma-separated values must agree (RFC 9112 §6.3).
    private static func parseContentLength(_ headers: HTTPHeaders, limit: Int) throws(HTTPParseError) -> Int {
        let values = headers.values(for: "Content-Length").flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
        var length: Int?
        for value in values {
            let digits = HTTPSyntax.trimmingWhitespace(value)
            guard !digits.isEmpty, digits.utf8.allSatisfy(HTTPSyntax.isDigit) else {
                throw HTTPParseError(.invalidContentLength, "Content-Length '\(digits)' is not a number")
            }
            guard let parsed = Int(digits) else {
                throw HTTPParseError(.bodyTooLarge, "the body is over the limit of \(limit) bytes")
            }
            if let length, length != parsed {
                throw HTTPParseError(.invalidContentLength, "Content-Length values disagree")
            }
            length = parsed
        }
        let result = length ?? 0
        guard result <= limit else {
            throw HTTPParseError(.bodyTooLarge, "the body of \(result) bytes is over the limit of \(limit) bytes")
        }
        return result
    }
}
