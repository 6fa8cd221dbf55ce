import TestSupport
import Dispatch
import Foundation
import HTTPServer
import Logging
import Synchronization
import Testing

/// The handler of most tests: GET and HEAD echo the request as text lines, `/large` answers
/// 100 000 bytes, `/close` asks to close, other methods get 405.
@Sendable func echoHandler(_ request: HTTPRequest) -> HTTPResponse {
    guard request.method == "GET" || request.method == "HEAD" || request.method == "POST" else {
        return HTTPResponse(status: 405, headers: ["Allow": "GET, HEAD"], body: Array("method \(request.method) not allowed\n".utf8))
    }
    if request.path == "/large" {
        return HTTPResponse(status: 200, body: [UInt8](repeating: UInt8(ascii: "x"), count: 100_000))
    }
    var lines = ["method=\(request.method)", "path=\(request.path)", "segments=\(request.pathSegments.joined(separator: "|"))"]
    lines += request.query.map { "query:\($0.name)=\($0.value)" }
    lines.append("host=\(request.headers["host"] ?? "-")")
    lines.append("body=\(String(decoding: request.body, as: UTF8.self))")
    var response = HTTPResponse.text(body: lines.joined(separator: "\n") + "\n")
    if request.path == "/close" { response.headers.add(name: "Connection", value: "close") }
    return response
}

/// A server on 127.0.0.1 with a port the system chose, stopped when `body` returns.
func withServer<Result>(limits: HTTPServer.Limits = .init(), logger: Logger = LogCapture().logger,
                        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse = echoHandler,
                        _ body: (HTTPServer, Int) throws -> Result) throws -> Result {
    let server = HTTPServer(host: "127.0.0.1", port: 0, limits: limits, logger: logger, handler: handler)
    try server.start()
    defer { server.stop() }
    let port = try #require(server.boundPort)
    return try body(server, port)
}

/// Opens a client connection to the test server.
func connect(_ port: Int, timeout: Duration = .seconds(5)) throws -> HTTPClientConnection {
    try HTTPClientConnection(host: "127.0.0.1", port: port, timeout: timeout)
}

/// A GET request head with the Host header HTTP/1.1 requires.
func get(_ target: String, _ extraHeaders: String = "") -> String {
    "GET \(target) HTTP/1.1\r\nHost: test\r\n\(extraHeaders)\r\n"
}

/// Checks `condition` until it holds or `timeout` passes; returns whether it held. The short
/// pause between checks is only the polling interval, not a guess at how long things take.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while !condition() {
        guard ContinuousClock.now < deadline else { return condition() }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return true
}

