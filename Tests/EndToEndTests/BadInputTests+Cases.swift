import BridgeCore
import WireProtocol

/// The bad messages `BadInputTests` sends, with the answer and the counters each must get.
extension BadInputTests {
    /// Far beyond every limit of the bridge (`limits.maxBodyBytes` here is 4 KiB).
    static let huge = [UInt8](repeating: UInt8(ascii: "a"), count: 8 << 20)

    enum Expectation {
        /// `ERROR` with this code, naming this seq (nil: none).
        case error(String, seq: UInt64?)
        /// No answer: nobody answers an `ERROR` with an `ERROR`, and unknown ACKs are only counted.
        case silence
        case ack(UInt64)
    }

    struct Case {
        var name: String
        var peer: RawHubPeer
        var frames: [[UInt8]]
        var expect: Expectation
        /// Hub counters this message adds to, as `protocolErrors` keys, or `rejected:` + a `rejected` key.
        var counters: [String]
    }

    static func frames(_ kind: String, _ metadata: String, body: [UInt8]? = nil, tag: String = "MQB1") -> [[UInt8]] {
        [Array(tag.utf8), Array(kind.utf8), Array(metadata.utf8)] + (body.map { [$0] } ?? [])
    }

    static func frames(_ kind: String, metadataBytes: [UInt8], body: [UInt8]? = nil) -> [[UInt8]] {
        [Array("MQB1".utf8), Array(kind.utf8), metadataBytes] + (body.map { [$0] } ?? [])
    }

    /// The bad messages, in the order they are sent. Codes come from docs/wire-protocol.md; translation
    /// refusals (counted under `rejected`) from the engine.
    static func cases(
        strangerProducer: RawHubPeer, strangerConsumer: RawHubPeer, strangerWorker: RawHubPeer, producer: RawHubPeer,
        consumer: RawHubPeer, worker: RawHubPeer
    ) -> [Case] {
        func error(_ code: String, seq: UInt64? = nil) -> Expectation { .error(code, seq: seq) }
        let x = Array("x".utf8)
        let notUTF8 = Array(#"{"seq":1,"topic":"sensors/"#.utf8) + [0xFF, 0xFE] + Array(#"/x","qos":1}"#.utf8)
        let subTopicNotUTF8 = Array(#"{"seq":1,"topic":"DEVICE_CMD","properties":{"mqttSecondTopic":"/"#.utf8) + [0xC0, 0xAF]
            + Array(#""}}"#.utf8)
        let longSubTopic = "/" + String(repeating: "a", count: 1 << 20)
        let bigProperty = String(repeating: "v", count: 600)
        let tooDeep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        return [
            // Before HELLO, and frames that cannot be decoded at all.
            Case(name: "DATA before HELLO", peer: strangerProducer, frames: frames("DATA", #"{"seq":1,"topic":"DEVICE_CMD"}"#, body: x),
                 expect: error("no_hello"), counters: ["no_hello"]),
            Case(name: "PING before HELLO", peer: strangerProducer, frames: frames("PING", "{}"), expect: error("no_hello"), counters: ["no_hello"]),
            Case(name: "CREDIT before HELLO", peer: strangerProducer, frames: frames("CREDIT", #"{"window":5}"#),
                 expect: error("no_hello"), counters: ["no_hello"]),
            Case(name: "ERROR before HELLO", peer: strangerProducer, frames: frames("ERROR", #"{"code":"oops"}"#), expect: .silence,
                 counters: ["peer_oops"]),
            Case(name: "ACK before HELLO", peer: strangerConsumer, frames: frames("ACK", #"{"seq":1}"#), expect: error("no_hello"),
                 counters: ["no_hello"]),
            Case(name: "worker DATA before HELLO", peer: strangerWorker,
                 frames: frames("DATA", #"{"seq":1,"topic":"sensors/a/b","qos":1}"#, body: x), expect: error("no_hello"), counters: ["no_hello"]),
            // The documented check order holds whatever the number of frames: tag, kind, then the frame count.
            Case(name: "one frame", peer: strangerProducer, frames: [Array("MQB1".utf8)], expect: error("unknown_kind"),
                 counters: ["unknown_kind"]),
            Case(name: "one frame of garbage", peer: strangerProducer, frames: [Array("garbage\u{0}\u{1}".utf8)],
                 expect: error("unsupported_version"), counters: ["unsupported_version"]),
            Case(name: "two frames", peer: strangerProducer, frames: [Array("MQB1".utf8), Array("DATA".utf8)],
                 expect: error("malformed_frame"), counters: ["malformed_frame"]),
            Case(name: "one empty frame", peer: strangerConsumer, frames: [[]], expect: error("unsupported_version"),
                 counters: ["unsupported_version"]),
            Case(name: "five frames", peer: strangerWorker, frames: frames("DATA", "{}", body: x) + [x],
                 expect: error("malformed_frame"), counters: ["malformed_frame"]),
            Case(name: "protocol tag MQB2", peer: strangerProducer, frames: frames("HELLO", #"{"role":"producer"}"#, tag: "MQB2"),
                 expect: error("unsupported_version"), counters: ["unsupported_version"]),
            Case(name: "protocol tag MQTT", peer: strangerConsumer, frames: frames("PING", "{}", tag: "MQTT"),
                 expect: error("unsupported_version"), counters: ["unsupported_version"]),
            Case(name: "empty protocol tag", peer: strangerWorker, frames: frames("PING", "{}", tag: ""),
                 expect: error("unsupported_version"), counters: ["unsupported_version"]),
            Case(name: "kind HELO", peer: strangerProducer, frames: frames("HELO", #"{"role":"producer"}"#),
                 expect: error("unknown_kind"), counters: ["unknown_kind"]),
            Case(name: "lower-case kind", peer: strangerConsumer, frames: frames("hello", #"{"role":"consumer","topic":"T"}"#),
                 expect: error("unknown_kind"), counters: ["unknown_kind"]),
            Case(name: "kind not UTF-8", peer: strangerWorker, frames: [Array("MQB1".utf8), [0xFF, 0xFE], Array("{}".utf8)],
                 expect: error("unknown_kind"), counters: ["unknown_kind"]),
            Case(name: "metadata not JSON", peer: strangerProducer, frames: frames("HELLO", "{role: producer}"),
                 expect: error("malformed_frame"), counters: ["malformed_frame"]),
            Case(name: "metadata a list", peer: strangerProducer, frames: frames("HELLO", #"["producer"]"#),
                 expect: error("malformed_frame"), counters: ["malformed_frame"]),
            Case(name: "metadata empty", peer: strangerConsumer, frames: frames("PING", ""), expect: error("malformed_frame"),
                 counters: ["malformed_frame"]),
            Case(name: "metadata nested 100 deep", peer: strangerProducer, frames: frames("PING", tooDeep),
                 expect: error("malformed_frame"), counters: ["malformed_frame"]),
            Case(name: "metadata not UTF-8", peer: strangerProducer,
                 frames: frames("HELLO", metadataBytes: Array(#"{"role":"producer","name":""#.utf8) + [0xFF] + Array(#""}"#.utf8)),
                 expect: error("malformed_frame"), counters: ["malformed_frame"]),
            Case(name: "HELLO with the consumer role on the producer endpoint", peer: strangerProducer,
                 frames: frames("HELLO", #"{"role":"consumer","topic":"T"}"#), expect: error("bad_hello"), counters: ["bad_hello"]),
            Case(name: "HELLO with an unknown role", peer: strangerProducer, frames: frames("HELLO", #"{"role":"admin"}"#),
                 expect: error("bad_hello"), counters: ["bad_hello"]),
            Case(name: "HELLO with a window of the wrong type", peer: strangerProducer,
                 frames: frames("HELLO", #"{"role":"producer","window":"many"}"#), expect: error("bad_hello"), counters: ["bad_hello"]),
            Case(name: "HELLO with too large a window", peer: strangerWorker,
                 frames: frames("HELLO", #"{"role":"mqtt-worker","window":100001}"#), expect: error("bad_hello"), counters: ["bad_hello"]),
            Case(name: "ERROR without a code", peer: strangerProducer, frames: frames("ERROR", "{}"), expect: .silence,
                 counters: ["malformed_message"]),
            Case(name: "ERROR that is not JSON", peer: strangerConsumer, frames: frames("ERROR", "{"), expect: .silence,
                 counters: ["malformed_frame"]),

            // A producer that said HELLO: bad members, bad frames, and messages over the limits.
            Case(name: "seq a string", peer: producer, frames: frames("DATA", #"{"seq":"1","topic":"DEVICE_CMD"}"#, body: x),
                 expect: error("malformed_message"), counters: ["malformed_message"]),
            Case(name: "seq negative", peer: producer, frames: frames("DATA", #"{"seq":-1,"topic":"DEVICE_CMD"}"#, body: x),
                 expect: error("malformed_message"), counters: ["malformed_message"]),
            Case(name: "topic a number", peer: producer, frames: frames("DATA", #"{"seq":2,"topic":5}"#, body: x),
                 expect: error("malformed_message", seq: 2), counters: ["malformed_message"]),
            Case(name: "no topic", peer: producer, frames: frames("DATA", #"{"seq":3}"#, body: x),
                 expect: error("malformed_message", seq: 3), counters: ["malformed_message"]),
            Case(name: "keys not a list", peer: producer, frames: frames("DATA", #"{"seq":4,"topic":"DEVICE_CMD","keys":"k"}"#, body: x),
                 expect: error("malformed_message", seq: 4), counters: ["malformed_message"]),
            Case(name: "property not a string", peer: producer,
                 frames: frames("DATA", #"{"seq":5,"topic":"DEVICE_CMD","properties":{"qoslevel":1}}"#, body: x),
                 expect: error("malformed_message", seq: 5), counters: ["malformed_message"]),
            Case(name: "properties a list", peer: producer,
                 frames: frames("DATA", #"{"seq":6,"topic":"DEVICE_CMD","properties":[]}"#, body: x),
                 expect: error("malformed_message", seq: 6), counters: ["malformed_message"]),
            Case(name: "tag a number", peer: producer, frames: frames("DATA", #"{"seq":7,"topic":"DEVICE_CMD","tag":7}"#, body: x),
                 expect: error("malformed_message", seq: 7), counters: ["malformed_message"]),
            Case(name: "DATA without its body frame", peer: producer, frames: frames("DATA", #"{"seq":8,"topic":"DEVICE_CMD"}"#),
                 expect: error("malformed_frame"), counters: ["malformed_frame"]),
            Case(name: "sub-topic not UTF-8", peer: producer, frames: frames("DATA", metadataBytes: subTopicNotUTF8, body: x),
                 expect: error("malformed_frame"), counters: ["malformed_frame"]),
            Case(name: "8 MiB body", peer: producer, frames: frames("DATA", #"{"seq":9,"topic":"DEVICE_CMD"}"#, body: huge),
                 expect: error("body_too_large", seq: 9), counters: ["rejected:body_too_large"]),
            Case(name: "1 MiB sub-topic", peer: producer,
                 frames: frames("DATA", #"{"seq":10,"topic":"DEVICE_CMD","properties":{"mqttSecondTopic":"\#(longSubTopic)"}}"#, body: x),
                 expect: error("invalid_topic", seq: 10), counters: ["rejected:invalid_topic"]),
            Case(name: "ACK from a producer", peer: producer, frames: frames("ACK", #"{"seq":1,"msgId":"m"}"#),
                 expect: error("malformed_message"), counters: ["malformed_message"]),
            // A window of 0 is valid (take nothing for now; MQTT workers say it while the broker is away).
            Case(name: "CREDIT of zero", peer: producer, frames: frames("CREDIT", #"{"window":0}"#), expect: .silence, counters: []),
            Case(name: "ERROR without seq from a producer", peer: producer, frames: frames("ERROR", #"{"code":"whatever"}"#),
                 expect: .silence, counters: ["peer_whatever"]),
            Case(name: "unknown kind after HELLO", peer: producer, frames: frames("SHOUT", "{}"), expect: error("unknown_kind"),
                 counters: ["unknown_kind"]),

            // A consumer that said HELLO.
            Case(name: "DATA from a consumer", peer: consumer, frames: frames("DATA", #"{"seq":1,"topic":"SENSOR_DATA"}"#, body: x),
                 expect: error("malformed_message"), counters: ["malformed_message"]),
            Case(name: "ACK of a seq never sent", peer: consumer, frames: frames("ACK", #"{"seq":999}"#), expect: .silence,
                 counters: ["unknown_ack"]),
            Case(name: "CREDIT negative", peer: consumer, frames: frames("CREDIT", #"{"window":-5}"#),
                 expect: error("malformed_message"), counters: ["malformed_message"]),
            Case(name: "CREDIT a fraction", peer: consumer, frames: frames("CREDIT", #"{"window":1.5}"#),
                 expect: error("malformed_message"), counters: ["malformed_message"]),
            Case(name: "HELLO again without a topic", peer: consumer, frames: frames("HELLO", #"{"role":"consumer"}"#),
                 expect: error("bad_hello"), counters: ["bad_hello"]),
            Case(name: "HELLO again with a bad tag expression", peer: consumer,
                 frames: frames("HELLO", #"{"role":"consumer","topic":"NOTHING_HERE","tags":"a||"}"#), expect: error("bad_hello"),
                 counters: ["bad_hello"]),
            Case(name: "8 MiB metadata frame", peer: consumer, frames: [Array("MQB1".utf8), Array("ACK".utf8), huge],
                 expect: error("malformed_frame"), counters: ["malformed_frame"]),

            // An MQTT worker that said HELLO (window 1): MQTT messages no broker would pass on.
            Case(name: "topic not UTF-8", peer: worker, frames: frames("DATA", metadataBytes: notUTF8, body: x),
                 expect: error("malformed_frame"), counters: ["malformed_frame"]),
            Case(name: "topic with +", peer: worker, frames: frames("DATA", #"{"seq":2,"topic":"sensors/+/x","qos":1}"#, body: x),
                 expect: error("invalid_topic", seq: 2), counters: ["rejected:invalid_topic"]),
            Case(name: "topic with #", peer: worker, frames: frames("DATA", #"{"seq":3,"topic":"sensors/a/#","qos":1}"#, body: x),
                 expect: error("invalid_topic", seq: 3), counters: ["rejected:invalid_topic"]),
            Case(name: "topic with NUL", peer: worker, frames: frames("DATA", #"{"seq":4,"topic":"sensors/a\u0000b","qos":1}"#, body: x),
                 expect: error("invalid_topic", seq: 4), counters: ["rejected:invalid_topic"]),
            Case(name: "empty topic", peer: worker, frames: frames("DATA", #"{"seq":5,"topic":"","qos":1}"#, body: x),
                 expect: error("invalid_topic", seq: 5), counters: ["rejected:invalid_topic"]),
            Case(name: "8 MiB payload", peer: worker, frames: frames("DATA", #"{"seq":6,"topic":"sensors/big/x","qos":1}"#, body: huge),
                 expect: error("body_too_large", seq: 6), counters: ["rejected:body_too_large"]),
            Case(name: "QoS 7", peer: worker, frames: frames("DATA", #"{"seq":7,"topic":"sensors/a/b","qos":7}"#, body: x),
                 expect: error("malformed_message", seq: 7), counters: ["malformed_message"]),
            Case(name: "user property without a value", peer: worker,
                 frames: frames("DATA", #"{"seq":8,"topic":"sensors/a/b","userProperties":[{"key":1}]}"#, body: x),
                 expect: error("malformed_message", seq: 8), counters: ["malformed_message"]),
            Case(name: "retain a string", peer: worker, frames: frames("DATA", #"{"seq":9,"topic":"sensors/a/b","retain":"yes"}"#, body: x),
                 expect: error("malformed_message", seq: 9), counters: ["malformed_message"]),
            Case(name: "user properties over the limit", peer: worker,
                 frames: frames("DATA", #"{"seq":10,"topic":"sensors/a/b","userProperties":[{"key":"k","value":"\#(bigProperty)"}]}"#, body: x),
                 expect: error("user_properties_too_large", seq: 10), counters: ["rejected:user_properties_too_large"]),
            Case(name: "worker DATA without its body frame", peer: worker, frames: frames("DATA", #"{"seq":11,"topic":"sensors/a/b"}"#),
                 expect: error("malformed_frame"), counters: ["malformed_frame"]),
            Case(name: "negative expiry", peer: worker, frames: frames("DATA", #"{"seq":12,"topic":"sensors/a/b","expiry":-1}"#, body: x),
                 expect: error("malformed_message", seq: 12), counters: ["malformed_message"]),
            Case(name: "ACK of an inflow seq never sent", peer: worker, frames: frames("ACK", #"{"seq":4242}"#), expect: .silence,
                 counters: ["unknown_ack"]),
            Case(name: "a good message after all that", peer: worker,
                 frames: frames("DATA", #"{"seq":13,"topic":"sensors/raw/ok","qos":1}"#, body: Array("raw-good".utf8)),
                 expect: .ack(13), counters: []),
        ]
    }
}
