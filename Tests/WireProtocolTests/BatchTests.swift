import BridgeCore
import TestSupport
import Testing

@testable import WireProtocol

@Suite struct BatchTests {
    static func mqtt(_ seq: UInt64, _ topic: String = "a/b", payload: String = "p") -> WireMessage {
        .mqttData(seq: seq, MQTTMessage(topic: topic, payload: Array(payload.utf8), qos: .atLeastOnce), clientId: "c-\(seq)")
    }

    static func batch(_ messages: [WireMessage], limit: Int = 1 << 20) -> [[UInt8]] {
        var writer = BatchWriter(limit: limit)
        for message in messages {
            let frames = WireCodec.encode(message)
            let added = writer.append(metadata: frames[2], body: frames[3])
            #expect(added)
        }
        return writer.take()
    }

    static func text(_ frames: String...) -> [[UInt8]] { frames.map { Array($0.utf8) } }

    /// A records frame written by hand, as the protocol document describes it.
    static func records(_ pairs: [(String, String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (meta, body) in pairs {
            for field in [Array(meta.utf8), Array(body.utf8)] {
                bytes += [UInt8(field.count >> 24 & 0xff), UInt8(field.count >> 16 & 0xff), UInt8(field.count >> 8 & 0xff), UInt8(field.count & 0xff)]
                bytes += field
            }
        }
        return bytes
    }

    @Test func manyMessagesRoundTripInOrder() throws {
        let messages = (1...50).map { Self.mqtt(UInt64($0), "t/\($0)", payload: String(repeating: "x", count: $0)) }
        let frames = Self.batch(messages)
        #expect(frames.count == 4)
        #expect(String(decoding: frames[1], as: UTF8.self) == "BATCH")
        #expect(frames[2] == Array("{}".utf8))
        let decoded = WireCodec.decodeAll(frames, form: .mqtt).map { try? $0.get() }
        #expect(decoded == messages)
    }

    @Test func queueFormRoundTrips() {
        let messages: [WireMessage] = [
            .queueData(seq: 1, QueueMessage(topic: "T", tag: "t", keys: ["k"], properties: ["qoslevel": "1"], body: [0, 255], msgId: "m")),
            .queueData(seq: 2, QueueMessage(topic: "U")),
        ]
        let decoded = WireCodec.decodeAll(Self.batch(messages), form: .queue).map { try? $0.get() }
        #expect(decoded == messages)
    }

    @Test func oneMessageGoesAsAPlainData() throws {
        let message = Self.mqtt(7)
        let frames = Self.batch([message])
        #expect(frames == WireCodec.encode(message))
    }

    @Test func theWriterKeepsWithinItsLimit() {
        let frames = WireCodec.encode(Self.mqtt(1, payload: String(repeating: "x", count: 100)))
        let recordBytes = 8 + frames[2].count + frames[3].count
        var writer = BatchWriter(limit: recordBytes * 3)
        for _ in 0..<3 {
            let added = writer.append(metadata: frames[2], body: frames[3])
            #expect(added)
        }
        let fourth = writer.append(metadata: frames[2], body: frames[3])
        #expect(!fourth, "a fourth record is over the limit")
        #expect(writer.count == 3)
        #expect(writer.take()[3].count == recordBytes * 3)
        #expect(writer.isEmpty)
        #expect(!BatchWriter(limit: recordBytes - 1).fitsAlone(metadata: frames[2].count, body: frames[3].count))
    }

    @Test func handWrittenRecordsAreRead() throws {
        let frames = [Array("MQB1".utf8), Array("BATCH".utf8), Array(#"{"future":1}"#.utf8),
                      Self.records([(#"{"seq":1,"topic":"T"}"#, "a"), (#"{"seq":2,"topic":"U","tag":"t"}"#, ""),
                                    (#"{"seq":3,"topic":"W\"x"}"#, "e")])]
        let decoded = WireCodec.decodeAll(frames, form: .queue).map { try? $0.get() }
        // The third record's escape is left by the one-pass reader to the full one.
        #expect(decoded == [
            .queueData(seq: 1, QueueMessage(topic: "T", body: Array("a".utf8))),
            .queueData(seq: 2, QueueMessage(topic: "U", tag: "t")),
            .queueData(seq: 3, QueueMessage(topic: "W\"x", body: Array("e".utf8))),
        ])
    }

    @Test func aBadRecordCostsNoOther() {
        let frames = [Array("MQB1".utf8), Array("BATCH".utf8), Array("{}".utf8),
                      Self.records([(#"{"seq":1,"topic":"T"}"#, "a"), (#"{"seq":2}"#, "b"), ("not json", "c"), (#"{"seq":4,"topic":"V"}"#, "d")])]
        let results = WireCodec.decodeAll(frames, form: .queue)
        #expect(results.count == 4)
        #expect((try? results[0].get()) == .queueData(seq: 1, QueueMessage(topic: "T", body: Array("a".utf8))))
        guard case .failure(let missingTopic) = results[1], case .failure(let notJSON) = results[2] else {
            Issue.record("records 2 and 3 must fail: \(results)")
            return
        }
        #expect(missingTopic.code == WireErrorCode.malformedMessage)
        #expect(missingTopic.seq == 2, "the ERROR settles the record it can name")
        #expect(notJSON.code == WireErrorCode.malformedFrame)
        #expect(notJSON.seq == nil)
        #expect((try? results[3].get()) == .queueData(seq: 4, QueueMessage(topic: "V", body: Array("d".utf8))))
    }

    @Test func aRecordsFrameCutShortEndsTheBatchAfterTheGoodRecords() {
        var records = Self.records([(#"{"seq":1,"topic":"T"}"#, "a"), (#"{"seq":2,"topic":"T"}"#, "bbbb")])
        records.removeLast(2)
        let results = WireCodec.decodeAll([Array("MQB1".utf8), Array("BATCH".utf8), Array("{}".utf8), records], form: .queue)
        #expect(results.count == 2)
        #expect((try? results[0].get()) == .queueData(seq: 1, QueueMessage(topic: "T", body: Array("a".utf8))))
        guard case .failure(let cut) = results[1] else {
            Issue.record("the cut record must fail")
            return
        }
        #expect(cut.code == WireErrorCode.malformedFrame)
        #expect(cut.message.contains("record 2"))
    }

    @Test(arguments: [
        BatchTests.text("MQB1", "BATCH", "{}"),
        BatchTests.text("MQB1", "BATCH", "{}", "", "extra"),
        BatchTests.text("MQB1", "BATCH", "[1]", ""),
        BatchTests.text("MQB1", "BATCH", "{}", ""),
    ])
    func aMalformedBatchIsOneMalformedFrame(frames: [[UInt8]]) {
        let results = WireCodec.decodeAll(frames, form: .mqtt)
        #expect(results.count == 1)
        guard case .failure(let report) = results[0] else {
            Issue.record("must fail")
            return
        }
        #expect(report.code == WireErrorCode.malformedFrame)
    }

    /// The hub writes a `DATA`'s metadata straight into the records: the same bytes as a record made from the
    /// frames `WireCodec.encode` writes.
    @Test func appendingAMessageWritesWhatItsEncodedFramesWrite() {
        let queue = QueueMessage(
            topic: "T", tag: "t\"1", keys: ["k1", "k\n2"], properties: ["topic": "a/b", "qoslevel": "1", "é": "😀"],
            body: Array("body".utf8), msgId: String(repeating: "a", count: 32), bornTimestamp: 1_795_297_490_123)
        let messages: [WireMessage] = [
            Self.mqtt(1), .queueData(seq: 2, queue), .queueData(seq: 3, QueueMessage(topic: "U")),
            .mqttData(
                seq: 4, MQTTMessage(topic: "x/" + String(repeating: "y", count: 200), payload: [], qos: .atMostOnce, retain: true,
                                    userProperties: [UserProperty(key: "k", value: "v")], contentType: "text/plain",
                                    messageExpiryInterval: 60), clientId: nil),
        ]
        var direct = BatchWriter(limit: 1 << 20)
        var fromFrames = BatchWriter(limit: 1 << 20)
        for message in messages {
            let frames = WireCodec.encode(message)
            let addedDirectly = direct.append(message)
            let addedFromFrames = fromFrames.append(metadata: frames[2], body: frames[3])
            #expect(addedDirectly && addedFromFrames)
        }
        #expect(direct.records == fromFrames.records)
        #expect(direct.count == messages.count)
        let decoded = WireCodec.decodeAll(direct.take(), form: .queue).prefix(3)
        #expect(decoded.count == 3)
    }

    /// A message that does not fit in what is left, or that is not a `DATA`, leaves the batch as it was.
    @Test func aMessageThatDoesNotFitLeavesTheBatchAsItWas() {
        let first = Self.mqtt(1, payload: String(repeating: "p", count: 100))
        let frames = WireCodec.encode(first)
        let oneRecord = 8 + frames[2].count + frames[3].count
        var writer = BatchWriter(limit: oneRecord + 20)
        let addedFirst = writer.append(first)
        #expect(addedFirst)
        let records = writer.records
        let addedSecond = writer.append(Self.mqtt(2, payload: String(repeating: "q", count: 100)))
        let addedPing = writer.append(.ping)
        let addedAck = writer.append(.ack(seq: 1, msgId: nil))
        #expect(!addedSecond && !addedPing && !addedAck)
        #expect(writer.records == records)
        #expect(writer.count == 1)
        var empty = BatchWriter(limit: oneRecord - 1)
        let addedAlone = empty.append(first)
        #expect(!addedAlone)
        #expect(empty.isEmpty && empty.records.isEmpty)
    }

    @Test func singleMessagesStillDecodeThroughDecodeAll() {
        let results = WireCodec.decodeAll(WireCodec.encode(.ping), form: .queue)
        #expect(results.map { try? $0.get() } == [.ping])
        let bad = WireCodec.decodeAll(Self.text("MQB2", "PING", "{}"), form: .queue)
        guard case .failure(let report) = bad.first else {
            Issue.record("must fail")
            return
        }
        #expect(report.code == WireErrorCode.unsupportedVersion)
    }

    @Test func decodeRefusesABatch() {
        #expect(throws: WireErrorReport.self) { try WireCodec.decode(Self.batch([Self.mqtt(1), Self.mqtt(2)]), form: .mqtt) }
    }

    @Test func randomBytesNeverTrap() {
        var random = SplitMix64(seed: 42)
        for _ in 0..<2_000 {
            let length = Int.random(in: 0..<64, using: &random)
            let records = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let results = WireCodec.decodeAll([Array("MQB1".utf8), Array("BATCH".utf8), Array("{}".utf8), records], form: .mqtt)
            #expect(!results.isEmpty)
        }
    }
}
