import BridgeConfig
import BridgeCore
import BridgeRuntime
import Foundation
import TestSupport
import Logging
import Testing
import ZeroMQ

/// The HTTP API as a bridge serves it (`BridgeHost` with `api.listen`), spoken to with raw requests over a real
/// socket, so the server's own parser and refusals are part of what is tested: every error answer, whoever
/// gives it, has the `{"RequestId","Code","Message"}` shape.
@Suite(.serialized) struct StatusAPIWireTests {
    /// A bridge whose API listens on a port the system chose; stopped when `body` returns.
    static func withBridgeAPI(_ body: (Int) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = try ConfigLoader.parse(
            yaml: """
                mqtt:
                  url: mqtt://127.0.0.1:1
                  clientId: c
                hub:
                  endpoint: inproc://api-\(UUID().uuidString)
                status:
                  source: mosquitto-log
                api:
                  listen: 127.0.0.1:1
                outflow:
                  - {id: a, mqtt: s/#, queueTopic: Q}
                """, file: "api.yaml")
        configuration.api = APISettings(host: "127.0.0.1", port: 0)
        configuration.spool = SpoolSettings(directory: directory.appendingPathComponent("spool").path)
        let context = try ZMQContext()
        let host = try BridgeHost(
            configuration: configuration, context: context, workers: [configuration.hub.endpoint],
            stateDirectory: directory.appendingPathComponent("state").path, logger: Logger(label: "test"))
        try host.start()
        defer { host.stop() }
        try body(try #require(host.apiPort))
    }

    /// Sends `request` on a new connection and reads one answer.
    static func exchange(_ request: String, port: Int) throws -> HTTPClientResponse {
        let connection = try HTTPClientConnection(host: "127.0.0.1", port: port, timeout: .seconds(5))
        defer { connection.close() }
        try connection.send(request)
        return try connection.readResponse()
    }

    /// The error shape: a JSON body with non-empty RequestId, Code and Message.
    static func expectErrorShape(_ response: HTTPClientResponse, code: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.headers["Content-Type"] == "application/json", "\(response.status) \(response.text)", sourceLocation: sourceLocation)
        let json = try? JSONValue.parse(bytes: response.body)
        #expect(json?["RequestId"]?.stringValue?.isEmpty == false, "\(response.text)", sourceLocation: sourceLocation)
        #expect(json?["Code"]?.stringValue?.isEmpty == false, "\(response.text)", sourceLocation: sourceLocation)
        #expect(json?["Message"]?.stringValue?.isEmpty == false, "\(response.text)", sourceLocation: sourceLocation)
        if let code { #expect(json?["Code"]?.stringValue == code, "\(response.text)", sourceLocation: sourceLocation) }
    }

    static func get(_ target: String, _ extra: String = "") -> String {
        "GET \(target) HTTP/1.1\r\nHost: test\r\n\(extra)\r\n"
    }

    /// Client IDs must be numbered 1, 2, 3, … without gaps.
    @Test(arguments: ["ClientIdList.1=a&ClientIdList.3=b", "ClientIdList.2=a", "ClientIdList.2=a&ClientIdList.3=b", "ClientIdList.1=a&ClientIdList.500=b"])
    func clientIdListWithAGapIs400(query: String) throws {
        try Self.withBridgeAPI { port in
            let response = try Self.exchange(Self.get("/?Action=BatchQuerySessionByClientIds&\(query)"), port: port)
            #expect(response.status == 400, "\(response.text)")
            Self.expectErrorShape(response, code: "InvalidParameter.ClientIdList")
        }
    }

    /// A method the API does not take is 405 (with Allow) even when it carries a body, not 413.
    @Test(arguments: [
        "POST /?Action=QuerySessionByClientId&ClientId=a HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello",
        "PUT / HTTP/1.1\r\nHost: test\r\nContent-Length: 200000\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: test\r\n\r\n",
        "DELETE /v1/clients/a HTTP/1.1\r\nHost: test\r\n\r\n",
    ])
    func otherMethodsAre405EvenWithABody(request: String) throws {
        try Self.withBridgeAPI { port in
            let response = try Self.exchange(request, port: port)
            #expect(response.status == 405, "\(response.text)")
            #expect(response.headers["Allow"] == "GET, HEAD")
            Self.expectErrorShape(response, code: "MethodNotAllowed")
        }
    }

    /// Every error status the server or the routes can give, in the JSON error shape.
    @Test(arguments: [
        (get("/?Action=QuerySessionByClientId&ClientId=%zz"), 400),
        (get("/%zz"), 400),
        (get("/?ClientId=%C3%28"), 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("\u{16}\u{03}\u{01}\r\n\r\n", 400),
        (get("/?Action=QuerySessionByClientId"), 400),
        (get("/nothing-here"), 404),
        (get("/v1/clients/nobody"), 404),
        (get("/", "Transfer-Encoding: chunked\r\n"), 411),
        (get("/", "Content-Length: 5\r\n") + "hello", 413),
        (get("/" + String(repeating: "a", count: 70_000)), 414),
        (get("/", "X-Big: \(String(repeating: "a", count: 70_000))\r\n"), 431),
        (get("/", "Transfer-Encoding: br\r\n"), 501),
        (get("/healthz"), 503),
        ("GET / HTTP/2.0\r\nHost: test\r\n\r\n", 505),
    ])
    func everyErrorAnswerHasTheJSONShape(request: String, status: Int) throws {
        try Self.withBridgeAPI { port in
            let response = try Self.exchange(request, port: port)
            #expect(response.status == status, "\(response.text)")
            Self.expectErrorShape(response)
        }
    }

    /// A HEAD for an error gets the error's headers (JSON) and no body.
    @Test func headOfAnErrorHasTheJSONContentType() throws {
        try Self.withBridgeAPI { port in
            let connection = try HTTPClientConnection(host: "127.0.0.1", port: port, timeout: .seconds(5))
            defer { connection.close() }
            try connection.send("HEAD /nothing-here HTTP/1.1\r\nHost: test\r\n\r\n")
            let response = try connection.readResponse(toHEAD: true)
            #expect(response.status == 404)
            #expect(response.headers["Content-Type"] == "application/json")
            #expect(response.body.isEmpty)
        }
    }
}
