import Testing

@testable import BridgeCore

@Suite struct JSONTests {
    @Test func writerEscapesPerRFC8259() {
        var text = ""
        JSONWriter.appendQuoted("a\"b\\c\nd\u{1}é😀", to: &text)
        #expect(text == #""a\"b\\c\nd\u0001é😀""#)
    }

    @Test func parserRoundTripsWhatTheWriterWrites() throws {
        let properties = [UserProperty(key: "k\"", value: "\u{0}\t😀"), UserProperty(key: "k\"", value: "")]
        #expect(try UserPropertyCoding.decode(UserPropertyCoding.encode(properties)) == properties)
    }

    @Test func parsesNestedDocuments() throws {
        let value = try JSONValue.parse(#" {"a":[1,-2.5e3,true,false,null,"\ud83d\ude00"],"b":{}} "#)
        #expect(value["a"] == .array([.number(1), .number(-2500), .bool(true), .bool(false), .null, .string("😀")]))
        #expect(value["b"] == .object([]))
    }

    @Test(arguments: [
        "", "[", "[1,]", "{\"a\"}", "{\"a\":1,}", "01", "1.", "\"abc", "\"\\x\"", "\"\\ud800\"", "[1] x", "tru",
        "\"a\u{1}\"", String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ])
    func rejectsMalformedJSON(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsInvalidUTF8InStrings() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes: [0x22, 0xFF, 0x22]) }
    }

    @Test(arguments: [
        ([UInt8](), ""), (Array("f".utf8), "Zg=="), (Array("fo".utf8), "Zm8="), (Array("foo".utf8), "Zm9v"),
        ([0xFF, 0x00, 0x01], "/wAB"),
    ])
    func base64(bytes: [UInt8], text: String) {
        #expect(Base64.encode(bytes) == text)
        #expect(Base64.decode(text) == bytes)
    }

    @Test func base64RejectsGarbage() {
        #expect(Base64.decode("Zg=") == nil)
        #expect(Base64.decode("Z!==") == nil)
        #expect(Base64.decode("=Zg=") == nil)
    }

    @Test func queueMessageJSONHasTheTranslateShape() {
        let message = QueueMessage(topic: "T", tag: "t", keys: ["k"], properties: ["b": "2", "a": "1"], body: Array("hi".utf8))
        #expect(MessageJSON.render(message) == #"{"topic":"T","tag":"t","keys":["k"],"properties":{"a":"1","b":"2"},"body":"hi"}"#)
        let binary = QueueMessage(topic: "T", body: [0xFF], msgId: "m1", bornTimestamp: 5)
        #expect(MessageJSON.render(binary) == #"{"topic":"T","keys":[],"properties":{},"bodyBase64":"/w==","msgId":"m1","bornTimestamp":5}"#)
    }

    @Test func mqttMessageJSONHasTheTranslateShape() {
        let message = MQTTMessage(
            topic: "a/b", payload: [0xC3], qos: .atLeastOnce, retain: true, userProperties: [UserProperty(key: "k", value: "v")])
        #expect(
            MessageJSON.render(message)
                == #"{"topic":"a/b","qos":1,"retain":true,"userProperties":[{"key":"k","value":"v"}],"payloadBase64":"ww=="}"#)
    }
}
