import TestSupport
import Dispatch
import HTTPServer
import Testing

/// Starting, stopping, addresses and start-up errors.
@Suite struct ServerLifecycleTests {
    @Test func aPortInUseGivesAClearError() throws {
        try withServer { _, port in
            let second = HTTPServer(host: "127.0.0.1", port: port, logger: LogCapture().logger, handler: echoHandler)
            let error = #expect(throws: HTTPServerError.self) { try second.start() }
            #expect(error?.kind == .cannotListen)
            #expect(error?.description == "cannot listen on 127.0.0.1:\(port): Address already in use")
            #expect(!second.isRunning)
            #expect(second.boundPort == nil)
        }
    }

    @Test func anInvalidPortIsRefused() {
        let server = HTTPServer(host: "127.0.0.1", port: 70_000, logger: LogCapture().logger, handler: echoHandler)
        let error = #expect(throws: HTTPServerError.self) { try server.start() }
        #expect(error?.kind == .invalidPort)
        #expect(error?.description == "cannot listen on 127.0.0.1:70000: the port must be between 0 and 65535")
    }

    @Test func startingTwiceIsRefusedAndStopIsIdempotent() throws {
        let server = HTTPServer(host: "127.0.0.1", port: 0, logger: LogCapture().logger, handler: echoHandler)
        server.stop()
        try server.start()
        let error = #expect(throws: HTTPServerError.self) { try server.start() }
        #expect(error?.kind == .alreadyRunning)
        #expect(server.isRunning)
        server.stop()
        server.stop()
        #expect(!server.isRunning)
        #expect(server.boundPort == nil)
    }

    @Test func stopWithOpenConnectionsDoesNotHang() throws {
        let server = HTTPServer(host: "127.0.0.1", port: 0, logger: LogCapture().logger, handler: echoHandler)
        try server.start()
        let port = try #require(server.boundPort)
        let idle = try connect(port)
        let partial = try connect(port)
        try partial.send("GET /half HTTP/1.1\r\nHost:")
        let unread = try connect(port)
        try unread.send(String(repeating: get("/large"), count: 20))
        let kept = try connect(port)
        try kept.send(get("/"))
        #expect(try kept.readResponse().status == 200)

        let stopping = TestThread { server.stop() }
        let stopped = stopping.join(timeout: .seconds(5))
        #expect(stopped != nil, "stop() did not return within 5 s")
        #expect(!server.isRunning)
        #expect(server.counters.connectionsOpen == 0)
        for connection in [idle, partial, kept] {
            // The server closed them: the end of the stream, or a reset, never a hang.
            let outcome = Result { try connection.readUntilClosed() }
            if case .failure(let error as HTTPClientError) = outcome { #expect(error.kind != .timedOut) }
        }
        unread.close()
        let error = #expect(throws: HTTPClientError.self) { try HTTPClient.get(host: "127.0.0.1", port: port, path: "/") }
        #expect(error?.kind == .cannotConnect)
    }

    @Test func aServerCanBeStartedAgainAfterStop() throws {
        let server = HTTPServer(host: "127.0.0.1", port: 0, logger: LogCapture().logger, handler: echoHandler)
        try server.start()
        server.stop()
        try server.start()
        defer { server.stop() }
        let port = try #require(server.boundPort)
        #expect(try HTTPClient.get(host: "127.0.0.1", port: port, path: "/").status == 200)
    }

    @Test func localhostIsResolved() throws {
        let server = HTTPServer(host: "localhost", port: 0, logger: LogCapture().logger, handler: echoHandler)
        try server.start()
        defer { server.stop() }
        let port = try #require(server.boundPort)
        #expect(try HTTPClient.get(host: "localhost", port: port, path: "/").status == 200)
    }

    @Test func allInterfacesIncludeLoopback() throws {
        let server = HTTPServer(host: "0.0.0.0", port: 0, logger: LogCapture().logger, handler: echoHandler)
        try server.start()
        defer { server.stop() }
        let port = try #require(server.boundPort)
        #expect(try HTTPClient.get(host: "127.0.0.1", port: port, path: "/").status == 200)
    }

    /// IPv6 loopback where the machine has it; where `::1` cannot be bound, the error must say
    /// so clearly, and the check is recorded rather than skipped.
    @Test func ipv6Loopback() throws {
        let server = HTTPServer(host: "::1", port: 0, logger: LogCapture().logger, handler: echoHandler)
        do {
            try server.start()
        } catch {
            #expect([.cannotListen, .cannotResolve].contains(error.kind))
            #expect(error.description.hasPrefix("cannot listen on [::1]:0: "))
            #expect(error.description.count > "cannot listen on [::1]:0: ".count)
            print("IPv6 loopback unavailable here; checked that the refusal is clear: \(error)")
            return
        }
        defer { server.stop() }
        let port = try #require(server.boundPort)
        let response = try HTTPClient.get(host: "::1", port: port, path: "/v6?x=1")
        #expect(response.status == 200)
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(body.contains("host=[::1]:\(port)\n"))
        #expect(body.contains("query:x=1\n"))
    }

    @Test func clientErrorsAreClear() throws {
        let invalid = #expect(throws: HTTPClientError.self) { try HTTPClient.get(host: "127.0.0.1", port: 1, path: "/a b") }
        #expect(invalid?.kind == .invalidRequest)
        let port = try withServer { _, port in port }
        let refused = #expect(throws: HTTPClientError.self) { try HTTPClient.get(host: "127.0.0.1", port: port, path: "/") }
        #expect(refused?.description == "cannot connect to 127.0.0.1:\(port): Connection refused")
    }

    @Test func aSlowHandlerTimesOutTheClient() throws {
        let release = DispatchSemaphore(value: 0)
        try withServer(handler: { _ in
            // Held until the client has given up (bounded, so a failing test cannot hang the server).
            _ = release.wait(timeout: .now() + 5)
            return .text(body: "late\n")
        }) { _, port in
            let error = #expect(throws: HTTPClientError.self) {
                try HTTPClient.get(host: "127.0.0.1", port: port, path: "/", timeout: .milliseconds(100))
            }
            #expect(error?.kind == .timedOut)
            release.signal()
        }
    }
}
