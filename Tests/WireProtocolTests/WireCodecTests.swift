import BridgeCore
import TestSupport
import Testing

@testable import WireProtocol

@Suite struct WireCodecTests {
    static let samples: [(WireMessage, WireCodec.DataForm)] = [
        (.hello(Hello(role: .consumer, name: "c1", topic: "SENSOR_DATA", tags: "a||b", group: "backend", window: 50)), .queue),
        (.hello(Hello(role: .mqttWorker, name: "w")), .mqtt),
        (.hello(Hello(role: .mqttWorker, name: "w", window: 10, batchAck: true, journal: "00112233aabbccdd")), .mqtt),
        (.hello(Hello(role: .engineWorker, name: "jetstream-1", window: 1024, batchAck: true)), .queue),
        (.welcome(Welcome(session: "s1", heartbeatMs: 500, subscriptions: ["sensors/#"], parents: ["devices"])), .mqtt),
        (.welcome(Welcome(session: "s3", heartbeatMs: 500, subscriptions: [], parents: [], statusSubscriptions: ["$SYS/broker/log/#"])), .mqtt),
        (.welcome(Welcome(session: "s2", heartbeatMs: 1000)), .queue),
        (
            .queueData(
                seq: 17,
                QueueMessage(
                    topic: "T", tag: "temp", keys: ["k1", "k2"], properties: ["qoslevel": "1", "ü": "\"x\"\n"],
                    body: [0, 1, 255], msgId: "m-1", bornTimestamp: 1_795_297_490_123)),
            .queue
        ),
        (.queueData(seq: 0, QueueMessage(topic: "T")), .queue),
        (
            .mqttData(
                seq: 9_007_199_254_740_992,
                MQTTMessage(
                    topic: "a/b", payload: Array("hi".utf8), qos: .exactlyOnce, retain: true,
                    userProperties: [UserProperty(key: "k", value: "v"), UserProperty(key: "k", value: "w")],
                    contentType: "text/plain", messageExpiryInterval: 4_294_967_295),
                clientId: "GID_a@@@b"),
            .mqtt
        ),
        (.mqttData(seq: 1, MQTTMessage(topic: "x"), clientId: nil), .mqtt),
        (.ack(seq: 3, msgId: "m"), .queue),
        (.ack(seq: 4, msgId: nil), .mqtt),
        (.acks(seqs: [17, 18, 19]), .queue),
        (.acks(seqs: [0, 9_007_199_254_740_992]), .mqtt),
        (.hello(Hello(role: .mqttWorker, name: "w", window: 1_000, batchAck: true)), .mqtt),
        (.welcome(Welcome(session: "s4", heartbeatMs: 1000, batchAck: true)), .queue),
        (.hello(Hello(role: .consumer, name: "c", topic: "T", batchBytes: 131_072)), .queue),
        (.welcome(Welcome(session: "s5", heartbeatMs: 1000, batchAck: true, batchBytes: 65_536)), .mqtt),
        (.error(WireErrorReport(seq: 5, code: "invalid_qos", message: "qoslevel '5' must be 0, 1 or 2")), .queue),
        (.error(WireErrorReport(code: "malformed_frame", message: "bad")), .queue),
        (.credit(window: 500), .queue),
        (.credit(window: 0), .mqtt),
        (.ping, .queue), (.pong, .queue), (.bye, .queue),
    ]

    @Test(arguments: 0..<samples.count)
    func roundTrips(index: Int) throws {
        let (message, form) = Self.samples[index]
        let frames = WireCodec.encode(message)
        #expect(frames[0] == Array("MQB1".utf8))
        #expect(String(decoding: frames[1], as: UTF8.self) == message.kind.rawValue)
        #expect(frames.count == (message.kind == .data ? 4 : 3))
        #expect(try WireCodec.decode(frames, form: form) == message)
    }

    @Test func framesAreTheDocumentedText() {
        let frames = WireCodec.encode(.queueData(seq: 17, QueueMessage(topic: "T", tag: "t", keys: ["k"], body: Array("b".utf8))))
        #expect(String(decoding: frames[2], as: UTF8.self) == #"{"seq":17,"topic":"T","tag":"t","keys":["k"],"properties":{}}"#)
        #expect(frames[3] == Array("b".utf8))
    }

    func code(_ frames: [[UInt8]], form: WireCodec.DataForm = .queue) -> String? {
        do {
            _ = try WireCodec.decode(frames, form: form)
            return nil
        } catch {
            return error.code
        }
    }

    func text(_ parts: String...) -> [[UInt8]] { parts.map { Array($0.utf8) } }

    @Test func malformedInputGetsTheDocumentedCode() {
        #expect(code(text("MQB1", "PING")) == "malformed_frame")
        #expect(code(text("MQB2", "PING", "{}")) == "unsupported_version")
        #expect(code(text("MQB1", "SHOUT", "{}")) == "unknown_kind")
        #expect(code(text("MQB1", "PING", "[]")) == "malformed_frame")
        #expect(code(text("MQB1", "PING", "{")) == "malformed_frame")
        #expect(code(text("MQB1", "PING", "{}", "extra")) == "malformed_frame")
        #expect(code(text("MQB1", "DATA", "{\"seq\":1,\"topic\":\"T\"}")) == "malformed_frame", "DATA needs its body frame")
        #expect(code(text("MQB1", "DATA", "{\"topic\":\"T\"}", "")) == "malformed_message")
        #expect(code(text("MQB1", "DATA", "{\"seq\":-1,\"topic\":\"T\"}", "")) == "malformed_message")
        #expect(code(text("MQB1", "DATA", "{\"seq\":1.5,\"topic\":\"T\"}", "")) == "malformed_message")
        #expect(code(text("MQB1", "DATA", "{\"seq\":1}", "")) == "malformed_message")
        #expect(code(text("MQB1", "DATA", "{\"seq\":1,\"topic\":\"T\",\"properties\":{\"a\":1}}", "")) == "malformed_message")
        #expect(code(text("MQB1", "DATA", "{\"seq\":1,\"topic\":\"t\",\"qos\":3}", ""), form: .mqtt) == "malformed_message")
        #expect(code(text("MQB1", "HELLO", "{\"role\":\"admin\"}")) == "bad_hello")
        #expect(code(text("MQB1", "HELLO", "{\"role\":\"consumer\"}")) == "bad_hello")
        #expect(code(text("MQB1", "HELLO", "{\"role\":\"producer\",\"window\":0}")) == "bad_hello")
        #expect(code(text("MQB1", "CREDIT", "{}")) == "malformed_message")
        #expect(code([]) == "unsupported_version", "no frame 0: no protocol tag")
    }

    /// docs/wire-protocol.md: "A receiver checks, in this order: the protocol tag, the kind, the number of
    /// frames …". A frame that is missing reads as empty for the first two checks, so a short message gets the
    /// code of the first check it fails, whatever its length.
    static let checkOrderCases: [(frames: [String], code: String)] = [
        // 0 frames: no tag.
        ([], "unsupported_version"),
        // 1 frame.
        (["garbage"], "unsupported_version"),
        ([""], "unsupported_version"),
        (["MQB2"], "unsupported_version"),
        (["MQB1"], "unknown_kind"),
        // 2 frames.
        (["garbage", "PING"], "unsupported_version"),
        (["garbage", "NOPE"], "unsupported_version"),
        (["MQB1", "NOPE"], "unknown_kind"),
        (["MQB1", ""], "unknown_kind"),
        (["MQB1", "PING"], "malformed_frame"),
        (["MQB1", "DATA"], "malformed_frame"),
        // 3 frames.
        (["garbage", "NOPE", "{}"], "unsupported_version"),
        (["MQB1", "NOPE", "{}"], "unknown_kind"),
        (["MQB1", "DATA", "{}"], "malformed_frame"),
        (["MQB1", "PING", "not json"], "malformed_frame"),
        // 5 frames.
        (["garbage", "NOPE", "{}", "", ""], "unsupported_version"),
        (["MQB1", "NOPE", "{}", "", ""], "unknown_kind"),
        (["MQB1", "DATA", "{}", "", ""], "malformed_frame"),
    ]

    @Test(arguments: checkOrderCases)
    func checksFollowTheDocumentedOrder(frames: [String], expected: String) {
        let report = refusal(frames.map { Array($0.utf8) })
        #expect(report?.code == expected, "\(frames) -> \(String(describing: report))")
        #expect(report?.message.isEmpty == false)
    }

    func refusal(_ frames: [[UInt8]], form: WireCodec.DataForm = .queue) -> WireErrorReport? {
        do {
            _ = try WireCodec.decode(frames, form: form)
            return nil
        } catch {
            return error
        }
    }

    /// A DATA refused for its members names its seq when the seq can be read, so the ERROR settles it.
    @Test func aJournalThatIsNotSixteenHexCharactersIsRefused() {
        for journal in ["", "0011", "00112233AABBCCDD", "00112233aabbccdd0", "0011223344556g77"] {
            let frames = [Array("MQB1".utf8), Array("HELLO".utf8), Array(#"{"role":"mqtt-worker","journal":"\#(journal)"}"#.utf8)]
            #expect(throws: WireErrorReport.self) { try WireCodec.decode(frames, form: .mqtt) }
        }
    }

    @Test func refusedDataCarriesItsSeq() {
        #expect(refusal(text("MQB1", "DATA", #"{"seq":7,"topic":5}"#, ""))?.seq == 7)
        #expect(refusal(text("MQB1", "DATA", #"{"seq":8,"topic":"T","keys":"k"}"#, ""))?.seq == 8)
        #expect(refusal(text("MQB1", "DATA", #"{"seq":9,"topic":"a","qos":3}"#, ""), form: .mqtt)?.seq == 9)
        #expect(refusal(text("MQB1", "DATA", #"{"seq":10,"topic":"a","userProperties":[1]}"#, ""), form: .mqtt)?.seq == 10)
        #expect(refusal(text("MQB1", "DATA", #"{"seq":"11","topic":"T"}"#, "")).map { $0.seq == nil } == true)
        #expect(refusal(text("MQB1", "DATA", #"{"seq":12,"topic":"T"}"#)).map { $0.seq == nil } == true, "no body frame: malformed_frame")
        #expect(refusal(text("MQB1", "ACK", #"{"seq":"x"}"#)).map { $0.seq == nil } == true)
    }

    /// Invalid UTF-8 in a member (an MQTT topic from a worker that does not check it) is a malformed frame.
    @Test func invalidUTF8InMetadataIsAMalformedFrame() {
        let metadata = Array(#"{"seq":1,"topic":"sensors/"#.utf8) + [0xFF, 0xFE] + Array(#"/x"}"#.utf8)
        let report = refusal([Array("MQB1".utf8), Array("DATA".utf8), metadata, []], form: .mqtt)
        #expect(report?.code == WireErrorCode.malformedFrame)
        #expect(report?.message.contains("invalid UTF-8") == true, "\(String(describing: report))")
        #expect(refusal(text("MQB1", "DATA", #"{"seq":1,"topic":"sensors/\udc80"}"#, ""), form: .mqtt)?.code == WireErrorCode.malformedFrame)
    }

    @Test func kindOfUndecodableFrames() {
        #expect(WireCodec.kind(of: text("MQB1", "ERROR", "{")) == .error)
        #expect(WireCodec.kind(of: text("MQB1", "DATA")) == .data)
        #expect(WireCodec.kind(of: text("MQB2", "ERROR", "{}")) == nil)
        #expect(WireCodec.kind(of: text("MQB1", "NOPE", "{}")) == nil)
        #expect(WireCodec.kind(of: text("MQB1")) == nil)
    }

    /// The batched ACK is the documented text; the single form is still read as it was.
    @Test func batchedAcknowledgements() throws {
        #expect(String(decoding: WireCodec.encode(.acks(seqs: [17, 18, 19]))[2], as: UTF8.self) == #"{"seqs":[17,18,19]}"#)
        #expect(try WireCodec.decode(text("MQB1", "ACK", #"{"seq":17}"#), form: .queue) == .ack(seq: 17, msgId: nil))
        #expect(try WireCodec.decode(text("MQB1", "ACK", #"{"seqs":[17,18]}"#), form: .queue) == .acks(seqs: [17, 18]))
        #expect(try WireCodec.decode(text("MQB1", "ACK", #"{"seqs":[5]}"#), form: .mqtt) == .acks(seqs: [5]))
        #expect(try WireCodec.decode(text("MQB1", "ACK", #"{"seqs":[2,3],"seq":1}"#), form: .queue) == .acks(seqs: [2, 3, 1]))
        #expect(try WireCodec.decode(text("MQB1", "ACK", #"{"seqs":null,"seq":4}"#), form: .queue) == .ack(seq: 4, msgId: nil))
        #expect(code(text("MQB1", "ACK", #"{"seqs":[]}"#)) == "malformed_message")
        #expect(code(text("MQB1", "ACK", #"{"seqs":17}"#)) == "malformed_message")
        #expect(code(text("MQB1", "ACK", #"{"seqs":[1,"2"]}"#)) == "malformed_message")
        #expect(code(text("MQB1", "ACK", #"{"seqs":[1,-2]}"#)) == "malformed_message")
        #expect(code(text("MQB1", "ACK", #"{"seqs":[1.5]}"#)) == "malformed_message")
        #expect(code(text("MQB1", "ACK", #"{"seqs":[9007199254740994]}"#)) == "malformed_message")
        #expect(code(text("MQB1", "ACK", #"{"seqs":[1],"seq":"x"}"#)) == "malformed_message")
    }

    /// `batchAck` is written only when set, so a HELLO or WELCOME without it is byte for byte what it was;
    /// absent, null or false all read as false.
    @Test func batchAckAnnouncement() throws {
        let plain = String(decoding: WireCodec.encode(.hello(Hello(role: .producer, name: "p")))[2], as: UTF8.self)
        #expect(!plain.contains("batchAck"))
        let announced = String(decoding: WireCodec.encode(.hello(Hello(role: .mqttWorker, name: "w", batchAck: true)))[2], as: UTF8.self)
        #expect(announced.hasSuffix(#","batchAck":true}"#))
        #expect(!String(decoding: WireCodec.encode(.welcome(Welcome(session: "s", heartbeatMs: 1)))[2], as: UTF8.self).contains("batchAck"))
        let welcome = try WireCodec.decode(text("MQB1", "WELCOME", #"{"session":"s","heartbeatMs":5,"batchAck":null}"#), form: .queue)
        #expect(welcome == .welcome(Welcome(session: "s", heartbeatMs: 5)))
        #expect(code(text("MQB1", "HELLO", #"{"role":"mqtt-worker","batchAck":"yes"}"#)) == "bad_hello")
        #expect(code(text("MQB1", "WELCOME", #"{"session":"s","batchAck":1}"#)) == "malformed_message")
    }

    @Test func unknownMembersAreIgnored() throws {
        let decoded = try WireCodec.decode(text("MQB1", "ACK", "{\"seq\":2,\"future\":[1,2]}"), form: .queue)
        #expect(decoded == .ack(seq: 2, msgId: nil))
    }

    /// Random bytes and random mutations of valid messages never crash the decoder; they decode, or are
    /// refused with one of the documented codes.
    @Test func randomInputIsDecodedOrRefusedWithADocumentedCode() {
        let documented: Set<String> = ["unsupported_version", "unknown_kind", "malformed_frame", "malformed_message", "bad_hello"]
        let seed: UInt64 = 0x5EED_3000
        print("WireCodecTests.randomInputIsDecodedOrRefusedWithADocumentedCode: seed \(seed)")
        var random = SplitMix64(seed: seed)
        var refused = 0
        for round in 0..<3_000 {
            var frames: [[UInt8]]
            if round % 2 == 0 {
                frames = WireCodec.encode(Self.samples[round % Self.samples.count].0)
                let frame = Int.random(in: 0..<frames.count, using: &random)
                if !frames[frame].isEmpty {
                    let position = Int.random(in: 0..<frames[frame].count, using: &random)
                    frames[frame][position] = UInt8.random(in: 0...255, using: &random)
                }
                if Bool.random(using: &random) { frames[frame] = Array(frames[frame].prefix(Int.random(in: 0...frames[frame].count))) }
            } else {
                frames = (0..<Int.random(in: 0...5, using: &random)).map { _ in
                    (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                }
            }
            do {
                _ = try WireCodec.decode(frames, form: Bool.random(using: &random) ? .queue : .mqtt)
            } catch {
                #expect(documented.contains(error.code), "seed \(seed) round \(round): \(error)")
                refused += 1
            }
        }
        #expect(refused > 1_000, "most random input is refused")
    }
}
