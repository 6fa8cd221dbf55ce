extension HTTPResponse {
    /// Fields the server writes itself; a handler's own are dropped.
    static let serverManagedFields = ["Content-Length", "Transfer-Encoding", "Connection", "Server", "Date"]

    /// Whether the handler asked for the connection to close after this response.
    var asksToClose: Bool {
        headers.tokens(for: "Connection").contains("close")
    }

    /// This response made safe to send: a status outside 200–999 (informational ones included,
    /// since a handler must give a final answer) becomes 500, a reason phrase with control
    /// characters becomes the standard one, and fields whose name is not a token or whose value
    /// holds CR, LF or another control byte are dropped, so a handler cannot split the response.
    /// Returns what was changed, for the log.
    func sanitized() -> (response: HTTPResponse, problems: [String]) {
        var response = self
        var problems: [String] = []
        if !(200...999).contains(status) {
            problems.append("status \(status) is not a final status code; sent 500 instead")
            response = HTTPResponse(status: 500)
        }
        if !response.reason.utf8.allSatisfy({ HTTPSyntax.isFieldValueByte($0) }) {
            problems.append("reason phrase has control characters; sent the standard one")
            response.reason = Self.reasonPhrase(for: response.status)
        }
        let valid = response.headers.filter { field in
            HTTPSyntax.isToken(field.name.utf8) && field.value.utf8.allSatisfy(HTTPSyntax.isFieldValueByte)
        }
        if valid.count != response.headers.count {
            problems.append("dropped \(response.headers.count - valid.count) header field(s) with an invalid name or value")
            response.headers = HTTPHeaders(valid.map { ($0.name, $0.value) })
        }
        return (response, problems)
    }

    /// The bytes on the wire. `headOnly` (a HEAD request) sends the headers, with the
    /// `Content-Length` the body would have, and no body; 204 and 304 never carry a body or a
    /// length. `keepAlive` false adds `Connection: close`; an HTTP/1.0 client that asked to keep
    /// the connection is told `Connection: keep-alive`. Call on a ``sanitized()`` response.
    func wireBytes(headOnly: Bool, keepAlive: Bool, requestVersion: HTTPVersion, date: String?) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(reason)\r\n"
        for field in headers where !Self.serverManagedFields.contains(where: { HTTPHeaders.sameName($0, field.name) }) {
            head += "\(field.name): \(field.value)\r\n"
        }
        let bodyless = status == 204 || status == 304
        if !bodyless { head += "Content-Length: \(body.count)\r\n" }
        head += "Server: mqbridge\r\n"
        if let date { head += "Date: \(date)\r\n" }
        if !keepAlive {
            head += "Connection: close\r\n"
        } else if requestVersion == .http1_0 {
            head += "Connection: keep-alive\r\n"
        }
        head += "\r\n"
        var bytes = Array(head.utf8)
        if !headOnly && !bodyless { bytes += body }
        return bytes
    }
}
