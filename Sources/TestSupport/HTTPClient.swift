/// A tiny blocking HTTP/1.1 client for tests and the command line.
public enum HTTPClient {
    /// Sends `GET path` with `Connection: close` and reads the response (by `Content-Length`, or
    /// to the end of the connection without one), all within `timeout`. Blocks the calling thread.
    /// - Parameters:
    ///   - host: a name or an IPv4 or IPv6 literal (`::1` without brackets).
    ///   - path: the request target as sent, e.g. `/v1/clients/a%2Fb?x=1`; visible ASCII only.
    /// - Throws: ``HTTPClientError``.
    public static func get(host: String, port: Int, path: String, timeout: Duration = .seconds(5))
        throws(HTTPClientError) -> (status: Int, headers: [(String, String)], body: [UInt8]) {
        guard !path.isEmpty, path.utf8.allSatisfy(HTTPSyntax.isTargetByte) else {
            throw HTTPClientError(.invalidRequest, "the path '\(path)' must be visible ASCII without spaces; percent-encode the rest")
        }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let connection = try HTTPClientConnection(host: host, port: port, deadline: deadline, timeout: timeout)
        defer { connection.close() }
        let request = "GET \(path) HTTP/1.1\r\nHost: \(SocketAddress.display(host: host, port: port))\r\n"
            + "User-Agent: mqbridge\r\nConnection: close\r\n\r\n"
        try connection.send(Array(request.utf8), deadline: deadline)
        let response = try connection.readResponse(toHEAD: false, deadline: deadline)
        return (response.status, response.headers.map { ($0.name, $0.value) }, response.body)
    }
}
