import BridgeCore
import JetStreamMapping
import TestSupport
import Testing

/// QueueMessage → subject, headers, data → QueueMessage is the identity for every message the headers can
/// carry.
@Suite struct RoundTripTests {
    static let propertyNames = [
        PropertyName.mqttSecondTopic, PropertyName.qosLevel, PropertyName.topic, PropertyName.clientId, PropertyName.mqttRetain,
        PropertyName.mqttRealTopic, PropertyName.cleanSessionFlag, PropertyName.mqtt5UserProperty, PropertyName.mqtt5ContentType,
        PropertyName.mqtt5MsgExpireInterval, "site", "x-trace", "Ünïcode", "a.b", "_",
    ]

    static func randomText(_ random: inout SplitMix64, maxLength: Int, alphabet: [Unicode.Scalar]) -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int(random.next() % UInt64(maxLength + 1)) {
            if random.next() % 4 == 0, let scalar = Unicode.Scalar(UInt32(random.next() % 0x11_0000)) {
                scalars.append(scalar)
            } else {
                scalars.append(alphabet[Int(random.next() % UInt64(alphabet.count))])
            }
        }
        return String(scalars)
    }

    static let valueAlphabet: [Unicode.Scalar] = ["a", "B", "7", " ", "\t", "\r", "\n", "\0", ":", ",", "%", "=", "é", "😀", "\u{7F}"]
    static let keyAlphabet: [Unicode.Scalar] = ["a", "B", "7", "@", "-", "_", ".", "%", "é", "😀"]

    static func randomMessage(_ random: inout SplitMix64) -> QueueMessage {
        var message = QueueMessage(topic: ["T", "SENSOR_DATA", "a%b|c-d"][Int(random.next() % 3)])
        message.tag = random.next() % 5 == 0 ? nil : randomText(&random, maxLength: 10, alphabet: valueAlphabet)
        for _ in 0..<Int(random.next() % 4) {
            var key = randomText(&random, maxLength: 8, alphabet: keyAlphabet)
            key.unicodeScalars.removeAll { $0.properties.isWhitespace || $0.properties.generalCategory == .control }
            if !key.isEmpty { message.keys.append(key) }
        }
        for _ in 0..<Int(random.next() % 6) {
            let name = propertyNames[Int(random.next() % UInt64(propertyNames.count))]
            message.properties[name] = randomText(&random, maxLength: 12, alphabet: valueAlphabet)
        }
        message.body = (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        if random.next() % 4 != 0 { message.msgId = StatusMessageID.make(clientId: "c", channelId: String(random.next()), eventType: .connect) }
        if random.next() % 4 != 0 { message.bornTimestamp = Int64(random.next() % 4_000_000_000_000) }
        return message
    }

    @Test func randomMessagesSurviveTheRoundTrip() throws {
        let seed: UInt64 = 0x0123_4567_89AB_CDEF
        var random = SplitMix64(seed: seed)
        for prefix in ["mq", "acme.prod.bridge"] {
            let codec = JetStreamCodec(subjects: try JetStreamSubjects(prefix: prefix))
            for _ in 0..<5_000 {
                let message = Self.randomMessage(&random)
                let encoded = try codec.encode(message)
                for header in encoded.headers {
                    #expect(isLineSafe(header.value), "seed \(seed): \(header)")
                }
                #expect(SubjectToken.isValidToken(Substring(encoded.subject.split(separator: ".").last!)), "seed \(seed)")
                let decoded = try codec.decode(subject: encoded.subject, headers: encoded.headers, body: encoded.body)
                #expect(decoded == message, "seed \(seed)")
            }
        }
    }

    @Test func headerOrderIsDeterministic() throws {
        let codec = JetStreamCodec(subjects: try JetStreamSubjects(prefix: "mq"))
        var random = SplitMix64(seed: 7)
        for _ in 0..<200 {
            let message = Self.randomMessage(&random)
            // A dictionary built in another order holds the same properties.
            var rebuilt = message
            rebuilt.properties = Dictionary(uniqueKeysWithValues: message.properties.reversed())
            #expect(try codec.encode(rebuilt) == codec.encode(message))
        }
    }
}

/// Whether `value` can be a header value as it is: no CR, LF or NUL, no space or tab at either end.
func isLineSafe(_ value: String) -> Bool {
    let bytes = Array(value.utf8)
    if bytes.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) { return false }
    guard let first = bytes.first, let last = bytes.last else { return true }
    return first != 0x20 && first != 0x09 && last != 0x20 && last != 0x09
}
