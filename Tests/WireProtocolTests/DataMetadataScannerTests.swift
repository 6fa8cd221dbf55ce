import BridgeCore
import TestSupport
import Testing

@testable import WireProtocol

/// The one-pass reader of `DATA` metadata against the full JSON reader: whatever it returns, the full reader
/// returns too, and it reads what the bridge and the Python peer write.
@Suite struct DataMetadataScannerTests {
    static let words = ["a", "sensors/room1/temp", "ü/ß", "日本", "x y", "", "GID_a@@@b", "quote\"d", "back\\slash", "tab\t", "😀"]

    static func randomMessage(_ random: inout SplitMix64, form: WireCodec.DataForm) -> WireMessage {
        func word() -> String { words.randomElement(using: &random)! }
        let seq = UInt64.random(in: 0...(1 << 53), using: &random)
        switch form {
        case .mqtt:
            let properties = (0..<Int.random(in: 0...3, using: &random)).map { _ in UserProperty(key: word(), value: word()) }
            return .mqttData(
                seq: seq,
                MQTTMessage(
                    topic: word(), payload: Array(word().utf8), qos: QoS(rawValue: UInt8.random(in: 0...2, using: &random))!,
                    retain: Bool.random(using: &random), userProperties: properties,
                    contentType: Bool.random(using: &random) ? word() : nil,
                    messageExpiryInterval: Bool.random(using: &random) ? UInt32.random(in: 0...UInt32.max, using: &random) : nil),
                clientId: Bool.random(using: &random) ? word() : nil)
        case .queue:
            var properties: [String: String] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &random) { properties[word()] = word() }
            return .queueData(
                seq: seq,
                QueueMessage(
                    topic: word(), tag: Bool.random(using: &random) ? word() : nil,
                    keys: (0..<Int.random(in: 0...2, using: &random)).map { _ in word() }, properties: properties,
                    body: Array(word().utf8), msgId: Bool.random(using: &random) ? word() : nil,
                    bornTimestamp: Bool.random(using: &random) ? Int64.random(in: 0...(1 << 53), using: &random) : nil))
        }
    }

    /// Python's `json.dumps` separators: ", " and ": ".
    static func spaced(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var inString = false
        var escaped = false
        for byte in bytes {
            out.append(byte)
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: ",") || byte == UInt8(ascii: ":") {
                out.append(UInt8(ascii: " "))
            }
        }
        return out
    }

    @Test(arguments: [WireCodec.DataForm.mqtt, .queue])
    func readsWhatTheBridgeWritesAsTheFullReaderDoes(form: WireCodec.DataForm) throws {
        var random = SplitMix64(seed: 7)
        var scanned = 0
        for _ in 0..<3_000 {
            let message = Self.randomMessage(&random, form: form)
            let frames = WireCodec.encode(message)
            for metadata in [frames[2], Self.spaced(frames[2])] {
                #expect(try WireCodec.decodeDataFully(metadata: metadata, body: frames[3], form: form) == message)
                if let fast = DataMetadataScanner.decode(metadata: metadata, body: frames[3], form: form) {
                    #expect(fast == message)
                    scanned += 1
                }
            }
        }
        // Strings with quotes, backslashes or tabs are escaped, and left to the full reader; the rest is scanned.
        #expect(scanned > 500, "\(scanned) of 6,000 read in one pass")
    }

    @Test func readsThePlainShapesInOnePass() {
        let plain: [(String, WireCodec.DataForm)] = [
            (#"{"seq":5,"topic":"sensors/room1/temp","qos":1,"retain":false,"clientId":"GID_a@@@b"}"#, .mqtt),
            (#"{"seq":1,"topic":"a","userProperties":[{"key":"k","value":"v"}],"contentType":"text/plain","expiry":60}"#, .mqtt),
            (#"{ "seq" : 17 , "topic" : "T", "tag": "t", "keys": ["k"], "properties": {"qoslevel": "1"}, "msgId": null }"#, .queue),
            (#"{"seq":0,"topic":"T","keys":[],"properties":{},"bornTimestamp":1795297490123}"#, .queue),
        ]
        for (text, form) in plain {
            #expect(DataMetadataScanner.decode(metadata: Array(text.utf8), body: [], form: form) != nil, "\(text)")
        }
    }

    @Test(arguments: [
        #"{"seq":1.0,"topic":"a"}"#, #"{"seq":01,"topic":"a"}"#, #"{"seq":-1,"topic":"a"}"#, #"{"seq":1e2,"topic":"a"}"#,
        #"{"seq":1,"topic":"a","seq":2}"#, #"{"seq":1,"topic":"a","future":[1]}"#, #"{"seq":1,"topic":"\u0061"}"#,
        #"{"seq":1,"topic":"a","qos":3}"#, #"{"seq":1}"#, #"{"topic":"a"}"#, #"{"seq":null,"topic":"a"}"#,
        #"{"seq":1,"topic":"a"} x"#, #"{"seq":1,"topic":"a","retain":1}"#, #"{"seq":99999999999999999,"topic":"a"}"#,
        #"{"seq":1,"topic":"a","userProperties":[{"key":"k","value":"v","x":1}]}"#,
        #"{"seq":1,"topic":"a","userProperties":[{"key":"k","key":"v"}]}"#, #"[1]"#, "", "{",
    ])
    func leavesEverythingElseToTheFullReader(text: String) {
        #expect(DataMetadataScanner.decode(metadata: Array(text.utf8), body: [], form: .mqtt) == nil)
    }

    @Test func neverDisagreesWithTheFullReaderOnDamagedMetadata() {
        var random = SplitMix64(seed: 11)
        var checked = 0
        for round in 0..<20_000 {
            let form: WireCodec.DataForm = round % 2 == 0 ? .mqtt : .queue
            let frames = WireCodec.encode(Self.randomMessage(&random, form: form))
            var metadata = frames[2]
            for _ in 0..<Int.random(in: 1...3, using: &random) where !metadata.isEmpty {
                let at = Int.random(in: 0..<metadata.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: metadata[at] = UInt8.random(in: 0...255, using: &random)
                case 1: metadata.remove(at: at)
                default: metadata.insert(Array(#"{}[]",:0 n"#.utf8).randomElement(using: &random)!, at: at)
                }
            }
            guard let fast = DataMetadataScanner.decode(metadata: metadata, body: frames[3], form: form) else { continue }
            checked += 1
            let full = try? WireCodec.decodeDataFully(metadata: metadata, body: frames[3], form: form)
            #expect(full == fast, "\(String(decoding: metadata, as: UTF8.self))")
        }
        #expect(checked > 100)
    }
}
