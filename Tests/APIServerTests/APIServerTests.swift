import APIServer
import Dispatch
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

/// The API server on Hummingbird: binding and stopping, handlers that block, streamed bodies.
@Suite struct APIServerTests {
    static func echo(_ request: APIRequest) -> APIResponse {
        .text(body: "\(request.method) \(request.path) \(request.query.map { "\($0.name)=\($0.value)" }.joined(separator: ","))\n")
    }

    /// A server on 127.0.0.1 with a port the system chose, stopped when `body` returns.
    static func withServer(handler: @escaping @Sendable (APIRequest) -> APIResponse = echo, _ body: (APIServer, Int) throws -> Void) throws {
        let server = APIServer(host: "127.0.0.1", port: 0, logger: Logger(label: "test.api"), handler: handler)
        try server.start()
        defer { server.stop() }
        try body(server, try #require(server.boundPort))
    }

    @Test func answersAndCountsRequests() throws {
        try Self.withServer { server, port in
            let response = try HTTPClient.get(host: "127.0.0.1", port: port, path: "/a%20b?x=1&y=%40")
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "GET /a b x=1,y=@\n")
            #expect(response.headers.contains { $0.0.lowercased() == "server" && $0.1 == "mqbridge" })
            #expect(server.requestsServed == 1)
        }
    }

    @Test func aPortInUseGivesAClearError() throws {
        try Self.withServer { _, port in
            let second = APIServer(host: "127.0.0.1", port: port, logger: Logger(label: "test.api"), handler: Self.echo)
            let error = #expect(throws: APIServerError.self) { try second.start() }
            #expect(error?.description.hasPrefix("cannot listen on 127.0.0.1:\(port): ") == true, "\(String(describing: error))")
            #expect(error?.description.contains("in use") == true, "\(String(describing: error))")
            #expect(second.boundPort == nil)
        }
    }

    @Test func startingTwiceIsRefusedAndAServerStartsAgainAfterStop() throws {
        let server = APIServer(host: "127.0.0.1", port: 0, logger: Logger(label: "test.api"), handler: Self.echo)
        try server.start()
        #expect(throws: APIServerError.self) { try server.start() }
        server.stop()
        server.stop()
        #expect(server.boundPort == nil)
        try server.start()
        defer { server.stop() }
        let port = try #require(server.boundPort)
        #expect(try HTTPClient.get(host: "127.0.0.1", port: port, path: "/").status == 200)
    }

    /// A handler that blocks holds neither an event loop nor the other requests: `/release` is answered while
    /// `/wait` still waits for it.
    @Test func aBlockedHandlerDoesNotHoldOtherRequests() throws {
        let release = DispatchSemaphore(value: 0)
        let handler: @Sendable (APIRequest) -> APIResponse = { request in
            switch request.path {
            case "/wait":
                return release.wait(timeout: .now() + 20) == .success ? .text(body: "released\n") : .text(status: 500, body: "never released\n")
            case "/release":
                release.signal()
                return .text(body: "ok\n")
            default:
                return Self.echo(request)
            }
        }
        try Self.withServer(handler: handler) { _, port in
            let waited = Mutex<String?>(nil)
            let thread = TestThread {
                let response = try? HTTPClient.get(host: "127.0.0.1", port: port, path: "/wait", timeout: .seconds(30))
                waited.withLock { $0 = response.map { String(decoding: $0.body, as: UTF8.self) } }
            }
            // Several requests while one handler blocks; the last releases it.
            for _ in 0..<5 {
                let other = try HTTPClient.get(host: "127.0.0.1", port: port, path: "/other", timeout: .seconds(10))
                #expect(other.status == 200)
            }
            let released = try HTTPClient.get(host: "127.0.0.1", port: port, path: "/release", timeout: .seconds(10))
            #expect(released.status == 200)
            #expect(thread.join(timeout: .seconds(30)) != nil)
            #expect(waited.withLock { $0 } == "released\n")
        }
    }

    /// A streamed body is sent piece by piece as the handler makes them, and `stop()` ends an open stream.
    @Test func aStreamSendsPiecesAsTheyComeAndStopEndsIt() throws {
        let pieces = Mutex(0)
        let handler: @Sendable (APIRequest) -> APIResponse = { _ in
            APIResponse(status: 200, headers: ["Content-Type": "text/event-stream"], stream: APIStream(pause: .milliseconds(50)) {
                let index = pieces.withLock { count in
                    count += 1
                    return count
                }
                return Array("data: piece \(index)\n\n".utf8)
            })
        }
        let server = APIServer(host: "127.0.0.1", port: 0, logger: Logger(label: "test.api"), handler: handler)
        try server.start()
        let port = try #require(server.boundPort)
        let connection = try HTTPClientConnection(host: "127.0.0.1", port: port, timeout: .seconds(10))
        defer { connection.close() }
        try connection.send("GET /events HTTP/1.1\r\nHost: test\r\n\r\n")
        let head = try connection.readUntil("\r\n\r\n")
        #expect(head.hasPrefix("HTTP/1.1 200"))
        #expect(head.lowercased().contains("content-type: text/event-stream"))
        _ = try connection.readUntil("data: piece 3\n\n")
        let stopped = TestThread { server.stop() }
        #expect(stopped.join(timeout: .seconds(10)) != nil)
        _ = try connection.readUntilClosed()
    }
}
