import TestSupport
import HTTPServer
import Testing

/// The answers the server gives on its own go through its `refusalResponse`, so an API can give them its own
/// error shape; and `allowedMethods` makes a request of another method a 405 whatever body it carries.
@Suite struct RefusalResponseTests {
    /// Marks every server-made answer: `refused <status>: <detail>`, with a header of its own.
    @Sendable static func marked(_ refusal: HTTPRefusal) -> HTTPResponse {
        var response = HTTPResponse.text(status: refusal.status, body: "refused \(refusal.status): \(refusal.detail)\n")
        response.headers.add(name: "X-Refusal", value: "yes")
        for field in refusal.headers { response.headers.add(name: field.name, value: field.value) }
        return response
    }

    static func withMarkedServer(limits: HTTPServer.Limits = .init(),
                                 handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse = echoHandler,
                                 _ body: (HTTPServer, Int) throws -> Void) throws {
        let server = HTTPServer(
            host: "127.0.0.1", port: 0, limits: limits, logger: LogCapture().logger, refusalResponse: marked, handler: handler)
        try server.start()
        defer { server.stop() }
        try body(server, try #require(server.boundPort))
    }

    @Test(arguments: [
        (get("/?a=%zz"), 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc", 413),
        (get("/" + String(repeating: "a", count: 70_000)), 414),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 411),
        ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
    ])
    func parserRefusalsUseTheRefusalResponse(request: String, status: Int) throws {
        try Self.withMarkedServer { server, port in
            let connection = try connect(port)
            try connection.send(request)
            let response = try connection.readResponse()
            #expect(response.status == status)
            #expect(response.headers["X-Refusal"] == "yes")
            #expect(response.text.hasPrefix("refused \(status): "), "\(response.text)")
            #expect(response.headers["Connection"] == "close")
            #expect(server.counters.badRequests == [status: 1])
        }
    }

    @Test func aMethodOutsideAllowedMethodsIs405EvenWithABody() throws {
        try Self.withMarkedServer(limits: .init(allowedMethods: ["GET", "HEAD"])) { server, port in
            for request in [
                "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
                "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
                "DELETE / HTTP/1.1\r\nHost: h\r\n\r\n",
            ] {
                let connection = try connect(port)
                try connection.send(request)
                let response = try connection.readResponse()
                #expect(response.status == 405, "\(request)")
                #expect(response.headers["Allow"] == "GET, HEAD")
                #expect(response.headers["X-Refusal"] == "yes")
            }
            #expect(server.counters.badRequests == [405: 3])
            // An allowed method with a body is still held to the body limit.
            let connection = try connect(port)
            try connection.send("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")
            #expect(try connection.readResponse().status == 413)
        }
    }

    @Test func withoutAllowedMethodsEveryMethodReachesTheHandler() throws {
        try Self.withMarkedServer { _, port in
            let connection = try connect(port)
            try connection.send("DELETE / HTTP/1.1\r\nHost: h\r\n\r\n")
            let response = try connection.readResponse()
            #expect(response.status == 405)
            #expect(response.headers["X-Refusal"] == nil, "the handler's own 405")
        }
    }

    @Test func aStalledRequestGetsTheRefusalResponse408() throws {
        try Self.withMarkedServer(limits: .init(idleTimeout: .milliseconds(200))) { _, port in
            let connection = try connect(port)
            try connection.send("GET /slow HTTP/1.1\r\nHo")
            let response = try connection.readResponse()
            #expect(response.status == 408)
            #expect(response.headers["X-Refusal"] == "yes")
        }
    }

    @Test func connectionsBeyondTheLimitGetTheRefusalResponse503() throws {
        try Self.withMarkedServer(limits: .init(idleTimeout: .seconds(3_600), maxConnections: 1)) { _, port in
            let first = try connect(port)
            try first.send(get("/"))
            #expect(try first.readResponse().status == 200)
            let second = try connect(port)
            let refused = try second.readResponse()
            #expect(refused.status == 503)
            #expect(refused.headers["X-Refusal"] == "yes")
            #expect(refused.text == "refused 503: too many connections\n")
        }
    }

    @Test func aHandlerStatusThatCannotBeSentBecomesTheRefusalResponse500() throws {
        try Self.withMarkedServer(handler: { _ in HTTPResponse(status: 42) }) { _, port in
            let connection = try connect(port)
            try connection.send(get("/"))
            let response = try connection.readResponse()
            #expect(response.status == 500)
            #expect(response.headers["X-Refusal"] == "yes")
        }
    }
}
