import BridgeCore
import TestSupport
import Testing

@testable import WireProtocol

/// Structured mutations of valid messages of every kind, seeded so that a failure replays from the printed
/// seed. The decoder must decode, or refuse with the code the protocol document gives for the first check
/// that fails (tag, kind, frame count and JSON object, members), and what it decodes must encode back to
/// the same message.
@Suite struct WireFuzzTests {
    /// A valid message as frames: metadata members as raw JSON text, so that mutations can swap values.
    struct Sample {
        var kind: String
        var members: [(String, String)]
        var body: [UInt8]?
        var form: WireCodec.DataForm

        func frames(tag: String = "MQB1") -> [[UInt8]] {
            let metadata = "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
            return [Array(tag.utf8), Array(kind.utf8), Array(metadata.utf8)] + (body.map { [$0] } ?? [])
        }
    }

    static let samples: [Sample] = [
        Sample(kind: "HELLO", members: [("role", #""consumer""#), ("name", #""c1""#), ("topic", #""SENSOR_DATA""#),
                                        ("tags", #""a||b""#), ("group", #""backend""#), ("window", "50")], form: .queue),
        Sample(kind: "HELLO", members: [("role", #""producer""#), ("name", #""p""#), ("window", "100")], form: .queue),
        Sample(kind: "HELLO", members: [("role", #""mqtt-worker""#), ("name", #""w""#), ("window", "1000")], form: .mqtt),
        Sample(kind: "WELCOME", members: [("session", #""s1""#), ("heartbeatMs", "500"), ("subscriptions", #"["sensors/#"]"#),
                                          ("parents", #"["devices"]"#), ("statusSubscriptions", #"["$SYS/broker/log/#"]"#)], form: .mqtt),
        Sample(kind: "DATA", members: [("seq", "17"), ("topic", #""SENSOR_DATA""#), ("tag", #""temp""#), ("keys", #"["k1","k2"]"#),
                                       ("properties", #"{"qoslevel":"1","mqttSecondTopic":"/a/b"}"#),
                                       ("msgId", #""0123456789abcdef0123456789abcdef""#), ("bornTimestamp", "1795297490123")],
               body: [0, 1, 255], form: .queue),
        Sample(kind: "DATA", members: [("seq", "5"), ("topic", #""sensors/room1/temp""#), ("qos", "1"), ("retain", "false"),
                                       ("userProperties", #"[{"key":"unit","value":"C"}]"#), ("contentType", #""text/plain""#),
                                       ("expiry", "60"), ("clientId", #""GID_a@@@b""#)],
               body: Array("21.5".utf8), form: .mqtt),
        Sample(kind: "ACK", members: [("seq", "3"), ("msgId", #""m""#)], form: .queue),
        Sample(kind: "ERROR", members: [("seq", "18"), ("code", #""invalid_qos""#), ("message", #""qoslevel '5'""#)], form: .queue),
        Sample(kind: "CREDIT", members: [("window", "500")], form: .queue),
        Sample(kind: "PING", members: [], form: .queue),
        Sample(kind: "PONG", members: [], form: .mqtt),
        Sample(kind: "BYE", members: [], form: .queue),
    ]

    /// Syntactically valid JSON values of every type and edge: swapped in for members' values.
    static let alienValues = [
        #""""#, #""x""#, #""\u0000""#, #""\ud83d\ude00""#, #""+""#, "0", "-1", "-0", "1.5", "1e3", "1e400", "-1e400",
        "9007199254740992", "9007199254740993", "100000", "100001", "4294967296", "3", "2", "true", "false", "null",
        "[]", "{}", #"["a",1]"#, #"[{"key":"k"}]"#, #"[{"key":"k","value":1}]"#, #"{"a":1}"#, #"{"a":"b"}"#, "[[[[]]]]",
    ]

    static let documented: Set<String> = [
        WireErrorCode.unsupportedVersion, WireErrorCode.unknownKind, WireErrorCode.malformedFrame,
        WireErrorCode.malformedMessage, WireErrorCode.badHello,
    ]

    enum Mutation: CaseIterable {
        case dropMember, alienValue, unknownMember, duplicateMember, shuffleMembers, wrongTag, wrongKind, dropBody, extraFrame,
            corruptMetadataByte, truncateMetadata
    }

    @Test func structuredMutationsOfEveryKind() {
        let seed: UInt64 = 0x5EED_3001
        print("WireFuzzTests.structuredMutationsOfEveryKind: seed \(seed)")
        var random = SplitMix64(seed: seed)
        var outcomes: [String: Int] = [:]
        for round in 0..<12_000 {
            var sample = Self.samples[round % Self.samples.count]
            let mutation = Mutation.allCases.randomElement(using: &random)!
            var tag = "MQB1"
            var frames: [[UInt8]]
            switch mutation {
            case .dropMember where !sample.members.isEmpty:
                sample.members.remove(at: Int.random(in: 0..<sample.members.count, using: &random))
            case .alienValue where !sample.members.isEmpty:
                let index = Int.random(in: 0..<sample.members.count, using: &random)
                sample.members[index].1 = Self.alienValues.randomElement(using: &random)!
            case .unknownMember:
                sample.members.insert(
                    ("future\(round % 3)", Self.alienValues.randomElement(using: &random)!),
                    at: Int.random(in: 0...sample.members.count, using: &random))
            case .duplicateMember where !sample.members.isEmpty:
                // The first of two members with one name counts; a later duplicate is ignored.
                let index = Int.random(in: 0..<sample.members.count, using: &random)
                sample.members.append((sample.members[index].0, Self.alienValues.randomElement(using: &random)!))
            case .shuffleMembers:
                sample.members.shuffle(using: &random)
            case .wrongTag:
                tag = ["MQB2", "MQB0", "mqb1", "MQB", "MQB11", "", "\u{0}QB1", "MQTT"].randomElement(using: &random)!
            default:
                break
            }
            frames = sample.frames(tag: tag)
            switch mutation {
            case .wrongKind:
                frames[1] = Array(["data", "DATA ", "HELO", "", "ACKS", "WELCOME\u{0}", "ÉRROR", "PINGPONG"].randomElement(using: &random)!.utf8)
            case .dropBody where sample.body != nil:
                frames.removeLast()
            case .extraFrame:
                frames.append(Array("extra".utf8))
            case .corruptMetadataByte:
                let position = Int.random(in: 0..<frames[2].count, using: &random)
                frames[2][position] = UInt8.random(in: 0...255, using: &random)
            case .truncateMetadata:
                frames[2] = Array(frames[2].prefix(Int.random(in: 0..<frames[2].count, using: &random)))
            default:
                break
            }
            let context = "seed \(seed) round \(round) \(mutation): \(frames.map { String(decoding: $0, as: UTF8.self) })"
            do {
                let message = try WireCodec.decode(frames, form: sample.form)
                outcomes["decoded", default: 0] += 1
                #expect(message.kind.rawValue == sample.kind, "\(context)")
                #expect(try WireCodec.decode(WireCodec.encode(message), form: sample.form) == message, "re-encodes: \(context)")
                #expect(![.wrongTag, .wrongKind, .extraFrame].contains(mutation), "\(context)")
            } catch {
                outcomes[error.code, default: 0] += 1
                #expect(Self.documented.contains(error.code), "\(context) -> \(error)")
                #expect(!error.message.isEmpty, "\(context)")
                if let expected = Self.expectedCode(mutation, sample: sample) {
                    #expect(error.code == expected, "\(context) -> \(error)")
                } else {
                    #expect(![WireErrorCode.unsupportedVersion, WireErrorCode.unknownKind].contains(error.code), "\(context) -> \(error)")
                }
                if [.corruptMetadataByte, .truncateMetadata].contains(mutation) {
                    continue
                }
                if sample.kind == "DATA", error.code == WireErrorCode.malformedMessage {
                    // A refused DATA names its seq whenever the seq itself can be read.
                    let seqText = sample.members.first { $0.0 == "seq" }?.1
                    let readable = seqText.flatMap(Double.init).map(Self.isReadableSeq) ?? false
                    #expect((error.seq != nil) == readable, "\(context) -> seq \(String(describing: error.seq))")
                } else {
                    #expect(error.seq == nil, "\(context)")
                }
            }
        }
        print("WireFuzzTests outcomes: \(outcomes.sorted { $0.key < $1.key })")
        for code in [WireErrorCode.unsupportedVersion, WireErrorCode.unknownKind, WireErrorCode.malformedFrame,
                     WireErrorCode.malformedMessage, WireErrorCode.badHello, "decoded"] {
            #expect(outcomes[code, default: 0] > 100, "seed \(seed): \(code) seen \(outcomes[code, default: 0]) times")
        }
    }

    static func isReadableSeq(_ number: Double) -> Bool {
        let limit: Double = 9_007_199_254_740_992
        return number >= 0 && number <= limit && number.rounded() == number
    }

    /// The protocol document's order of checks: tag, kind, frame count and JSON object, then members.
    static func expectedCode(_ mutation: Mutation, sample: Sample) -> String? {
        switch mutation {
        case .wrongTag: return WireErrorCode.unsupportedVersion
        case .wrongKind: return WireErrorCode.unknownKind
        case .extraFrame, .dropBody: return WireErrorCode.malformedFrame
        case .corruptMetadataByte, .truncateMetadata:
            return nil  // a damaged JSON text may still parse (a changed digit or letter); any later check may fail
        case .dropMember, .alienValue, .unknownMember, .duplicateMember, .shuffleMembers:
            return sample.kind == "HELLO" ? WireErrorCode.badHello : WireErrorCode.malformedMessage
        }
    }
}
