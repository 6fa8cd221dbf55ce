@testable import HTTPServer
import Testing

@Suite struct ResponseTests {
    private func wire(_ response: HTTPResponse, head: Bool = false, keepAlive: Bool = true, version: HTTPVersion = .http1_1) -> String {
        String(decoding: response.sanitized().response.wireBytes(headOnly: head, keepAlive: keepAlive, requestVersion: version, date: nil), as: UTF8.self)
    }

    @Test func convenienceResponses() {
        let json = HTTPResponse.json(body: #"{"online":true}"#)
        #expect(json.status == 200)
        #expect(json.reason == "OK")
        #expect(json.headers["content-type"] == "application/json")
        #expect(json.body == Array(#"{"online":true}"#.utf8))
        let text = HTTPResponse.text(status: 404, body: "no")
        #expect(text.reason == "Not Found")
        #expect(text.headers["Content-Type"] == "text/plain; charset=utf-8")
        #expect(HTTPResponse.text(body: "", contentType: "text/plain; version=0.0.4").headers["Content-Type"] == "text/plain; version=0.0.4")
    }

    @Test(arguments: [(200, "OK"), (405, "Method Not Allowed"), (431, "Request Header Fields Too Large"), (505, "HTTP Version Not Supported"), (299, "Success"), (599, "Server Error")])
    func reasonPhrases(status: Int, phrase: String) {
        #expect(HTTPResponse.reasonPhrase(for: status) == phrase)
    }

    @Test func serverFieldsReplaceTheHandlers() {
        var response = HTTPResponse.text(body: "hello")
        response.headers.add(name: "content-length", value: "99")
        response.headers.add(name: "Server", value: "other")
        response.headers.add(name: "X-Id", value: "7")
        #expect(wire(response) == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nX-Id: 7\r\nContent-Length: 5\r\nServer: mqbridge\r\n\r\nhello")
    }

    @Test func headGetsTheLengthButNoBody() {
        #expect(wire(.text(body: "hello"), head: true).hasSuffix("Content-Length: 5\r\nServer: mqbridge\r\n\r\n"))
    }

    @Test func connectionFieldFollowsTheDecision() {
        #expect(wire(.text(body: ""), keepAlive: false).contains("Connection: close\r\n"))
        #expect(wire(.text(body: ""), version: .http1_0).contains("Connection: keep-alive\r\n"))
        #expect(!wire(.text(body: "")).contains("Connection:"))
    }

    @Test func noContentHasNoBodyAndNoLength() {
        let bytes = wire(HTTPResponse(status: 204, body: Array("dropped".utf8)))
        #expect(bytes == "HTTP/1.1 204 No Content\r\nServer: mqbridge\r\n\r\n")
    }

    @Test func aHandlerCannotSplitTheResponse() {
        var response = HTTPResponse(status: 200, reason: "OK\r\nX-Evil: 1", body: [])
        response.headers.add(name: "X-Bad", value: "a\r\nSet-Cookie: x")
        response.headers.add(name: "Bad Name", value: "x")
        response.headers.add(name: "X-Good", value: "fine")
        let (sanitized, problems) = response.sanitized()
        #expect(sanitized.reason == "OK")
        #expect(sanitized.headers.map(\.name) == ["X-Good"])
        #expect(problems.count == 2)
        #expect(HTTPResponse(status: 42).sanitized().response.status == 500)
        #expect(HTTPResponse(status: 101).sanitized().response.status == 500)
    }

    @Test func datesAreIMFFixdate() {
        #expect(HTTPDate.format(secondsSinceEpoch: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(secondsSinceEpoch: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }
}
