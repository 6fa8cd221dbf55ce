@testable import HTTPServer
import Testing

/// The per-connection state machine, driven without sockets.
@Suite struct ConnectionTests {
    private let start = ContinuousClock.now

    private func connection() -> HTTPConnection {
        HTTPConnection(limits: .init(), now: start)
    }

    private func drain(_ connection: inout HTTPConnection) -> String {
        let text = String(decoding: connection.unsentOutput, as: UTF8.self)
        connection.sent(connection.unsentCount, now: start)
        return text
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() {
        var connection = connection()
        connection.receive(Array((get("/a") + get("/b") + get("/c")).utf8), now: start)
        let outcome = connection.answerBuffered(date: nil) { .text(body: $0.path) }
        #expect(outcome.served == 3)
        let output = drain(&connection)
        #expect(output.components(separatedBy: "HTTP/1.1 200 OK").count == 4)
        #expect(output.hasSuffix("\r\n\r\n/c"))
        #expect(connection.nextStep == .wait)
        #expect(connection.wantsInput)
    }

    @Test func aBadRequestIsAnsweredThenTheConnectionDrains() {
        var connection = connection()
        connection.receive(Array((get("/ok") + "NOT HTTP\r\n\r\n" + get("/never")).utf8), now: start)
        let outcome = connection.answerBuffered(date: nil) { .text(body: $0.path) }
        #expect(outcome.served == 1)
        #expect(outcome.refused.map(\.status) == [400])
        #expect(!connection.wantsInput)
        #expect(connection.nextStep == .wait)
        let output = drain(&connection)
        #expect(output.contains("HTTP/1.1 400 Bad Request\r\n"))
        #expect(!output.contains("/never"))
        #expect(connection.nextStep == .shutdownAndDrain)
        connection.startDraining(now: start)
        #expect(connection.wantsInput)
        #expect(connection.deadline(idleTimeout: .seconds(30), linger: .seconds(2)) == start.advanced(by: .seconds(2)))
    }

    @Test func theEndOfInputClosesOnceAnswered() {
        var connection = connection()
        connection.receive(Array(get("/a").utf8), now: start)
        connection.endOfInput()
        _ = connection.answerBuffered(date: nil) { .text(body: $0.path) }
        #expect(connection.nextStep == .wait)
        _ = drain(&connection)
        #expect(connection.nextStep == .close)
    }

    @Test func unreadOutputHoldsBackFurtherRequests() {
        var connection = connection()
        let requests = String(repeating: get("/big"), count: 10)
        connection.receive(Array(requests.utf8), now: start)
        let big = HTTPResponse(status: 200, body: [UInt8](repeating: 0, count: 100_000))
        #expect(connection.answerBuffered(date: nil) { _ in big }.served == 3)
        #expect(!connection.wantsInput)
        #expect(connection.answerBuffered(date: nil) { _ in big }.served == 0)
        connection.sent(connection.unsentCount, now: start)
        #expect(connection.answerBuffered(date: nil) { _ in big }.served == 3)
    }

    @Test func aHalfReceivedRequestTimesOutWith408() {
        var connection = connection()
        connection.receive(Array("GET / HT".utf8), now: start)
        #expect(connection.deadline(idleTimeout: .seconds(30), linger: .seconds(2)) == start.advanced(by: .seconds(30)))
        let queued = connection.timeOut(now: start.advanced(by: .seconds(30)), date: nil)
        #expect(queued)
        #expect(drain(&connection).hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(connection.nextStep == .shutdownAndDrain)
    }

    @Test func anIdleConnectionJustCloses() {
        var connection = connection()
        connection.receive(Array("\r\n".utf8), now: start)
        let queued = connection.timeOut(now: start.advanced(by: .seconds(30)), date: nil)
        #expect(!queued)
        #expect(connection.unsentCount == 0)
    }

    @Test func theHandlerMayCloseTheConnection() {
        var connection = connection()
        connection.receive(Array((get("/a") + get("/b")).utf8), now: start)
        let outcome = connection.answerBuffered(date: "Sun, 06 Nov 1994 08:49:37 GMT") { _ in
            HTTPResponse(status: 200, headers: ["Connection": "close"])
        }
        #expect(outcome.served == 1)
        let output = drain(&connection)
        #expect(output.contains("Connection: close\r\n"))
        #expect(output.contains("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"))
        #expect(connection.nextStep == .shutdownAndDrain)
    }
}
