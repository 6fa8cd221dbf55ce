import TestSupport
import HTTPServer
import Testing

/// Requests over real sockets on 127.0.0.1.
@Suite struct ServerTests {
    @Test func getWithQueryDecoding() throws {
        try withServer { _, port in
            let response = try HTTPClient.get(host: "127.0.0.1", port: port,
                                              path: "/v1/clients/a%2Fb?Action=QuerySessionByClientId&ClientId=%40%40%40&name=a+b")
            #expect(response.status == 200)
            let body = String(decoding: response.body, as: UTF8.self)
            #expect(body.contains("path=/v1/clients/a/b\n"))
            #expect(body.contains("segments=v1|clients|a/b\n"))
            #expect(body.contains("query:Action=QuerySessionByClientId\nquery:ClientId=@@@\nquery:name=a b\n"))
            #expect(body.contains("host=127.0.0.1:\(port)\n"))
            let headers = HTTPHeaders(response.headers)
            #expect(headers["Server"] == "mqbridge")
            #expect(headers["Content-Length"] == "\(response.body.count)")
            #expect(headers["Date"]?.hasSuffix(" GMT") == true)
        }
    }

    @Test func invalidPercentEncodingGets400AndACloseAndIsCounted() throws {
        try withServer { server, port in
            let connection = try connect(port)
            try connection.send(get("/?ClientId=%zz"))
            let response = try connection.readResponse()
            #expect(response.status == 400)
            #expect(response.text.contains("%zz"))
            #expect(response.headers["Connection"] == "close")
            #expect(try connection.readUntilClosed() == [])
            #expect(server.counters.badRequests == [400: 1])
            #expect(server.counters.requestsServed == 0)
        }
    }

    @Test func keepAliveCarriesSeveralRequests() throws {
        try withServer { server, port in
            let connection = try connect(port)
            for index in 0..<5 {
                try connection.send(get("/item/\(index)"))
                let response = try connection.readResponse()
                #expect(response.status == 200)
                #expect(response.text.contains("path=/item/\(index)\n"))
                #expect(response.headers["Connection"] == nil)
            }
            #expect(server.counters.connectionsAccepted == 1)
            #expect(server.counters.requestsServed == 5)
        }
    }

    @Test func pipelinedRequestsInOneWriteAreAnsweredInOrder() throws {
        try withServer { _, port in
            let connection = try connect(port)
            try connection.send(get("/1") + "HEAD /2 HTTP/1.1\r\nHost: h\r\n\r\n" + get("/large") + get("/4"))
            #expect(try connection.readResponse().text.contains("path=/1\n"))
            let head = try connection.readResponse(toHEAD: true)
            #expect(head.body.isEmpty)
            #expect(try connection.readResponse().body.count == 100_000)
            #expect(try connection.readResponse().text.contains("path=/4\n"))
        }
    }

    @Test func manyLargePipelinedResponsesArriveWholeThroughPartialWrites() throws {
        try withServer { server, port in
            let connection = try connect(port)
            // 3 MB of answers: more than the socket buffers and the connection's high water mark,
            // so the server writes partially, waits for the socket, and resumes answering.
            try connection.send(String(repeating: get("/large"), count: 30) + get("/last"))
            for _ in 0..<30 {
                let response = try connection.readResponse()
                #expect(response.body.count == 100_000)
                #expect(response.body.allSatisfy { $0 == UInt8(ascii: "x") })
            }
            #expect(try connection.readResponse().text.contains("path=/last\n"))
            #expect(server.counters.requestsServed == 31)
        }
    }

    @Test func pipelinedRequestsBeforeABadOneAreAnswered() throws {
        try withServer { _, port in
            let connection = try connect(port)
            try connection.send(get("/1") + "GET / HTTP/3.0\r\nHost: h\r\n\r\n" + get("/never"))
            #expect(try connection.readResponse().status == 200)
            #expect(try connection.readResponse().status == 505)
            #expect(try connection.readUntilClosed() == [])
        }
    }

    @Test func aRequestDribbledByteByByte() throws {
        try withServer { _, port in
            let connection = try connect(port)
            for byte in (get("/slow?x=1") + get("/after")).utf8 {
                try connection.send([byte])
            }
            #expect(try connection.readResponse().text.contains("query:x=1\n"))
            #expect(try connection.readResponse().text.contains("path=/after\n"))
        }
    }

    @Test func headGetsHeadersOnlyAndKeepsTheConnectionInStep() throws {
        try withServer { _, port in
            let connection = try connect(port)
            try connection.send("HEAD /large HTTP/1.1\r\nHost: h\r\n\r\n")
            let head = try connection.readResponse(toHEAD: true)
            #expect(head.status == 200)
            #expect(head.headers["Content-Length"] == "100000")
            #expect(head.body.isEmpty)
            try connection.send(get("/next"))
            let next = try connection.readResponse()
            #expect(next.text.hasPrefix("method=GET\npath=/next\n"))
        }
    }

    @Test func unknownMethodsReachTheHandler() throws {
        try withServer { server, port in
            let connection = try connect(port)
            try connection.send("BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n")
            let response = try connection.readResponse()
            #expect(response.status == 405)
            #expect(response.reason == "Method Not Allowed")
            #expect(response.headers["Allow"] == "GET, HEAD")
            try connection.send(get("/still-open"))
            #expect(try connection.readResponse().status == 200)
            #expect(server.counters.requestsServed == 2)
        }
    }

    @Test func connectionCloseIsHonoured() throws {
        try withServer { _, port in
            let connection = try connect(port)
            try connection.send(get("/", "Connection: close\r\n") + get("/ignored"))
            let response = try connection.readResponse()
            #expect(response.status == 200)
            #expect(response.headers["Connection"] == "close")
            #expect(try connection.readUntilClosed() == [])
        }
    }

    @Test func http10ClosesUnlessAskedToKeepAlive() throws {
        try withServer { _, port in
            let kept = try connect(port)
            try kept.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try kept.readResponse().headers["Connection"] == "keep-alive")
            try kept.send("GET /b HTTP/1.0\r\n\r\n")
            let last = try kept.readResponse()
            #expect(last.text.contains("path=/b\n"))
            #expect(last.headers["Connection"] == "close")
            #expect(try kept.readUntilClosed() == [])
        }
    }

    @Test func theHandlerCanCloseTheConnection() throws {
        try withServer { _, port in
            let connection = try connect(port)
            try connection.send(get("/close"))
            #expect(try connection.readResponse().headers["Connection"] == "close")
            #expect(try connection.readUntilClosed() == [])
        }
    }

    @Test func aBodyWithinTheConfiguredLimitReachesTheHandler() throws {
        try withServer(limits: .init(maxBodyBytes: 16)) { _, port in
            let connection = try connect(port)
            try connection.send("POST /in HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")
            #expect(try connection.readResponse().text.contains("body=hello\n"))
        }
    }

    @Test func aClientThatClosesItsSideStillGetsItsAnswers() throws {
        try withServer { _, port in
            let connection = try connect(port)
            try connection.send(get("/a") + get("/b"))
            connection.shutdownSending()
            #expect(try connection.readResponse().text.contains("path=/a\n"))
            #expect(try connection.readResponse().text.contains("path=/b\n"))
            #expect(try connection.readUntilClosed() == [])
        }
    }

    @Test func handlerResponsesThatWouldSplitTheStreamAreCorrectedAndLogged() throws {
        let capture = LogCapture()
        try withServer(logger: capture.logger, handler: { _ in HTTPResponse(status: 200, headers: ["X-Bad": "a\r\nX-Injected: 1"]) }) { _, port in
            let response = try HTTPClient.get(host: "127.0.0.1", port: port, path: "/")
            #expect(response.status == 200)
            #expect(!response.headers.contains { $0.0 == "X-Injected" || $0.0 == "X-Bad" })
            #expect(capture.messages(at: .warning).contains { $0.contains("dropped 1 header field") })
        }
    }
}
