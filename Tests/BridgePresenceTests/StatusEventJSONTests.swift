import BridgeCore
import Testing

@testable import BridgePresence

@Suite struct StatusEventJSONTests {
    @Test func decodesWhatJsonBodyWrites() throws {
        let events = [
            StatusEvent(
                clientId: "GID_sensors@@@dev-001", time: 1_795_297_490_123, eventType: .connect,
                channelId: "2b9b1281046046faafe5e0b458e4aa01", clientIp: "127.0.0.1:33350"),
            StatusEvent(
                clientId: "we\"ird\\ id\n\u{1}é", time: -5, eventType: .disconnect, channelId: "not-hex",
                clientIp: "::1:1"),
            StatusEvent(clientId: "", time: 0, eventType: .tcpclean, channelId: "", clientIp: ""),
        ]
        for original in events {
            #expect(try StatusEvent(json: original.jsonBody) == original)
        }
    }

    @Test func memberOrderDoesNotMatter() throws {
        let event = try StatusEvent(
            json: #" {"clientIp":"1.2.3.4:5","channelId":"c","eventType":"tcpclean","time":7,"clientId":"a","x":[]} "#)
        #expect(event == StatusEvent(clientId: "a", time: 7, eventType: .tcpclean, channelId: "c", clientIp: "1.2.3.4:5"))
    }

    @Test(arguments: [
        "", "{", "[]", #"{"clientId":"a","time":1,"eventType":"connect","channelId":"c"}"#,
        #"{"clientId":"a","time":1.5,"eventType":"connect","channelId":"c","clientIp":""}"#,
        #"{"clientId":"a","time":"1","eventType":"connect","channelId":"c","clientIp":""}"#,
        #"{"clientId":"a","time":1,"eventType":"online","channelId":"c","clientIp":""}"#,
        #"{"clientId":1,"time":1,"eventType":"connect","channelId":"c","clientIp":""}"#,
    ])
    func rejectsInvalidEvents(text: String) {
        #expect(throws: StatusProblem.self) { try StatusEvent(json: text) }
        do {
            _ = try StatusEvent(json: text)
        } catch {
            #expect(error.kind == .malformedStatusEvent)
        }
    }
}
