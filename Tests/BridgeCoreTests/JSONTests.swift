import TestSupport
import Testing

@testable import BridgeCore

@Suite struct JSONTests {
    @Test func writerEscapesPerRFC8259() {
        var text = ""
        JSONWriter.appendQuoted("a\"b\\c\nd\u{1}é😀", to: &text)
        #expect(text == #""a\"b\\c\nd\u0001é😀""#)
    }

    /// Strings are scanned eight bytes at a time; random strings with escapes at every offset (in and across
    /// words, and in the tail) come out as a byte-by-byte escaper writes them.
    @Test func writerAgreesWithAByteByByteEscaperAtEveryOffset() {
        var random = SplitMix64(seed: 21)
        let pieces = ["a", "b", "c", "d", "e", "f", "g", " ", "~", "\"", "\\", "\n", "\u{1}", "\u{1F}", "\u{7F}", "é", "😀"]
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...40, using: &random)
            let plainChance = Int.random(in: 0...3, using: &random)
            var value = ""
            for _ in 0..<length {
                value += Int.random(in: 0...3, using: &random) < plainChance ? "x" : pieces.randomElement(using: &random)!
            }
            var expected: [UInt8] = [UInt8(ascii: "\"")]
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): expected += [UInt8(ascii: "\\"), byte]
                case 0x0A: expected += Array("\\n".utf8)
                case 0x0D: expected += Array("\\r".utf8)
                case 0x09: expected += Array("\\t".utf8)
                case ..<0x20: expected += Array("\\u00".utf8) + Array("0123456789abcdef".utf8)[Int(byte >> 4)...Int(byte >> 4)]
                    + Array("0123456789abcdef".utf8)[Int(byte & 0xF)...Int(byte & 0xF)]
                default: expected.append(byte)
                }
            }
            expected.append(UInt8(ascii: "\""))
            var written: [UInt8] = []
            JSONWriter.appendQuoted(value, to: &written)
            #expect(written == expected, "\(value.debugDescription)")
        }
    }

    /// Names and strings are written with their comma and colon in one piece when they need no escape and
    /// are short, through the escaper otherwise: random objects and arrays of both kinds read back as written.
    @Test func writerObjectsAndArraysReadBackThroughTheParser() throws {
        var random = SplitMix64(seed: 22)
        let pieces = ["a", "b", "z", " ", "\"", "\\", "\n", "\u{1}", "é", "😀"]
        func randomString() -> String {
            let length = Int.random(in: 0...(Bool.random(using: &random) ? 8 : 70), using: &random)
            let plain = Bool.random(using: &random)
            return String((0..<length).map { _ in plain ? "x" : pieces.randomElement(using: &random)! }.joined())
        }
        for round in 0..<2_000 {
            var members: [(String, JSONValue)] = []
            var writer = JSONWriter()
            writer.beginObject()
            for index in 0..<Int.random(in: 0...6, using: &random) {
                let name = "\(index)" + randomString()
                let strings = (0..<Int.random(in: 0...3, using: &random)).map { _ in randomString() }
                writer.key(name)
                if Bool.random(using: &random) {
                    let value = randomString()
                    writer.string(value)
                    members.append((name, .string(value)))
                } else {
                    writer.beginArray()
                    for string in strings { writer.string(string) }
                    writer.endArray()
                    members.append((name, .array(strings.map { .string($0) })))
                }
            }
            writer.endObject()
            #expect(try JSONValue.parse(bytes: writer.bytes) == .object(members), "round \(round): \(writer.text)")
        }
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
