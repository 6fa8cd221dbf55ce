import HTTPServer
import Testing

/// Parses `text` whole and returns every request, or the error that stopped it.
func parseAll(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> Result<[HTTPRequest], HTTPParseError> {
    parseAll(Array(text.utf8), limits: limits)
}

func parseAll(_ bytes: [UInt8], limits: HTTPRequestParser.Limits = .init()) -> Result<[HTTPRequest], HTTPParseError> {
    var parser = HTTPRequestParser(limits: limits)
    parser.append(bytes)
    var requests: [HTTPRequest] = []
    do {
        while let request = try parser.next() { requests.append(request) }
    } catch {
        return .failure(error)
    }
    return .success(requests)
}

/// The status the parser refuses `text` with, or nil if it accepted it.
func refusal(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> Int? {
    if case .failure(let error) = parseAll(text, limits: limits) { return error.status }
    return nil
}

@Suite struct ParserTests {
    @Test func parsesAGetRequest() throws {
        let requests = try parseAll("GET /?Action=QuerySessionByClientId&ClientId=X HTTP/1.1\r\nHost: api\r\nAccept: */*\r\nX-Trace:  a b \r\n\r\n").get()
        let request = try #require(requests.first)
        #expect(requests.count == 1)
        #expect(request.method == "GET")
        #expect(request.target == "/?Action=QuerySessionByClientId&ClientId=X")
        #expect(request.path == "/")
        #expect(request.query.map(\.name) == ["Action", "ClientId"])
        #expect(request.queryValue("ClientId") == "X")
        #expect(request.version == .http1_1)
        #expect(request.headers.map(\.name) == ["Host", "Accept", "X-Trace"])
        #expect(request.headers["host"] == "api")
        #expect(request.headers["X-TRACE"] == "a b")
        #expect(request.body.isEmpty)
        #expect(request.keepAlive)
    }

    @Test(arguments: [
        ("HTTP/1.1", "", true),
        ("HTTP/1.1", "Connection: close\r\n", false),
        ("HTTP/1.1", "Connection: Upgrade, CLOSE\r\n", false),
        ("HTTP/1.0", "", false),
        ("HTTP/1.0", "Connection: keep-alive\r\n", true),
        ("HTTP/1.0", "Connection: Keep-Alive\r\nConnection: close\r\n", false),
    ])
    func keepAliveFollowsTheVersionRules(version: String, headers: String, keepAlive: Bool) throws {
        let request = try #require(try parseAll("GET / \(version)\r\nHost: h\r\n\(headers)\r\n").get().first)
        #expect(request.keepAlive == keepAlive)
    }

    @Test func repeatedHeadersKeepTheirOrder() throws {
        let request = try #require(try parseAll("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nX-B: 3\r\n\r\n").get().first)
        #expect(request.headers.values(for: "X-A") == ["1", "2"])
        #expect(request.headers.tokens(for: "x-a") == ["1", "2"])
        #expect(request.headers.contains("X-B"))
        #expect(!request.headers.contains("X-C"))
    }

    @Test func blankLinesBeforeARequestAndBareLineFeedsAreAccepted() throws {
        let requests = try parseAll("\r\n\r\nGET /a HTTP/1.1\nHost: h\n\n\r\nGET /b HTTP/1.0\r\n\r\n").get()
        #expect(requests.map(\.path) == ["/a", "/b"])
    }

    @Test func otherTargetForms() throws {
        let absolute = try #require(try parseAll("GET http://api:8080/v1/clients/x?a=1 HTTP/1.1\r\nHost: api\r\n\r\n").get().first)
        #expect(absolute.path == "/v1/clients/x")
        #expect(absolute.pathSegments == ["v1", "clients", "x"])
        #expect(absolute.queryValue("a") == "1")
        let bare = try #require(try parseAll("GET http://api?a=1 HTTP/1.1\r\nHost: api\r\n\r\n").get().first)
        #expect(bare.path == "/")
        let asterisk = try #require(try parseAll("OPTIONS * HTTP/1.1\r\nHost: api\r\n\r\n").get().first)
        #expect(asterisk.path == "*")
        #expect(asterisk.method == "OPTIONS")
    }

    @Test func anyMethodTokenIsPassedOn() throws {
        let request = try #require(try parseAll("BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n").get().first)
        #expect(request.method == "BREW")
    }

    @Test func bodiesWithinTheLimitArriveWithTheirRequest() throws {
        let text = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"
        let requests = try parseAll(text, limits: .init(maxBodyBytes: 5)).get()
        #expect(requests.map(\.path) == ["/a", "/b"])
        #expect(requests.first?.body == Array("hello".utf8))
        #expect(requests.last?.body == [])
    }

    @Test func aBodyIsWaitedFor() throws {
        var parser = HTTPRequestParser(limits: .init(maxBodyBytes: 10))
        parser.append(Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab".utf8))
        #expect(try parser.next() == nil)
        #expect(parser.hasPartialRequest)
        parser.append(Array("cd".utf8))
        #expect(try parser.next()?.body == Array("abcd".utf8))
        #expect(try parser.next() == nil)
        #expect(!parser.hasPartialRequest)
    }

    @Test(arguments: [
        // Request line.
        ("GET /\r\n\r\n", 400),
        ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n", 400),
        ("G@T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET / HTTQ/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET / HTTP/x\r\nHost: h\r\n\r\n", 400),
        ("GET / HTTP/1.1\rX\r\nHost: h\r\n\r\n", 400),
        // Versions.
        ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        ("GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505),
        ("GET / HTTP/0.9\r\n\r\n", 505),
        // Targets.
        ("GET /a\u{0}b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET /a\u{1}b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET /a\u{7F} HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET /é HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", 400),
        ("GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        // Headers.
        ("GET / HTTP/1.1\r\nHost h\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX : x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n folded\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{0}b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{1B}b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        // Bodies.
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx", 413),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0, 1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 411),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    ])
    func refusesWithTheRightStatus(text: String, status: Int) {
        #expect(refusal(text) == status, "\(text.debugDescription)")
    }

    @Test func agreeingContentLengthsAreAccepted() throws {
        let text = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok"
        #expect(try parseAll(text, limits: .init(maxBodyBytes: 2)).get().first?.body == Array("ok".utf8))
    }

    @Test func headerLimitIsExact() throws {
        let head = "GET / HTTP/1.1\r\nHost: h\r\n\r\n"
        let size = head.utf8.count
        #expect(refusal(head, limits: .init(maxHeaderBytes: size)) == nil)
        #expect(refusal(head, limits: .init(maxHeaderBytes: size - 1)) == 431)
        #expect(refusal("GET /\(String(repeating: "a", count: 100)) HTTP/1.1\r\n", limits: .init(maxHeaderBytes: 50)) == 414)
    }

    @Test func anOversizedHeaderIsRefusedBeforeItEnds() {
        var parser = HTTPRequestParser()
        parser.append(Array("GET / HTTP/1.1\r\nHost: h\r\nX-Big: ".utf8))
        parser.append([UInt8](repeating: UInt8(ascii: "a"), count: 70_000))
        #expect(throws: HTTPParseError.self) { try parser.next() }
        #expect(throws: HTTPParseError(.headerSectionTooLarge, "the request's header section is over 65536 bytes")) { try parser.next() }
    }

    @Test func aFailedParserStaysFailed() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("BAD\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        let first = #expect(throws: HTTPParseError.self) { try parser.next() }
        let second = #expect(throws: HTTPParseError.self) { try parser.next() }
        #expect(first == second)
        #expect(first?.status == 400)
    }

    @Test func errorsCarryAResponse() {
        let error = HTTPParseError(.chunkedBodyNotAccepted, "send Content-Length")
        #expect(error.status == 411)
        #expect(error.response.status == 411)
        #expect(error.response.reason == "Length Required")
        #expect(error.description == "411 Length Required: send Content-Length")
    }
}
