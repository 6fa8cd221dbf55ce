import BridgeCore
import BridgeRuntime
import Foundation
import LoopbackHarness
import Mosquitto
import Testing
import WireProtocol

/// Messages that break the mapping rules, both ways, through a real Mosquitto and a bridge in process: each
/// is refused with its reason (back to the producer inflow; counted and logged outflow, where the device
/// has no channel for an answer) and costs no other message.
@Suite(.serialized) struct BadMQTTInputTests {
    /// `limits.maxBodyBytes` 4096 and `limits.maxUserPropertyBytes` 512.
    static let rules = BadInputTests.rules

    /// User property text that is not JSON, or breaks JSON unless escaped. (Mosquitto refuses control
    /// characters in MQTT strings, so none here.)
    static let tricky = [#""}]"#, #"\"#, #"\""#, #"{"key":"x","value":"y"}"#, "[{", "😀 ü", "", #"\u0000"#, "'", "a=b"]

    @Test func outflowOverTheLimitsIsRefusedAndCountedWhileTheRestArrive() throws {
        let fixture = try BridgeFixture(mode: .inProcess, rules: Self.rules)
        defer { fixture.stop() }
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA")
        defer { consumer.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@dev")
        defer { device.close() }
        try waitUntilBridgeFlows(publisher: device, topic: "sensors/probe/x", consumer: consumer, fixture: fixture)

        var sent: [String: [MQTTUserProperty]] = [:]
        var bodiesTooLarge = 0
        var propertiesTooLarge = 0
        let padding = String(repeating: "p", count: 4_096)
        for index in 0..<48 {
            let id = "m-\(index)"
            switch index % 4 {
            case 0:
                let properties = [
                    MQTTUserProperty("id", id),
                    MQTTUserProperty(Self.tricky[index / 4 % Self.tricky.count], Self.tricky[(index / 4 + 1) % Self.tricky.count]),
                ]
                _ = try device.client.publish(
                    topic: "sensors/good/n", payload: Array(id.utf8), qos: .exactlyOnce,
                    properties: MQTTPublishProperties(userProperties: properties))
                sent[id] = properties
            case 1:
                _ = try device.client.publish(topic: "sensors/big/n", payload: Array((id + padding).utf8), qos: .atLeastOnce)
                bodiesTooLarge += 1
            case 2:
                let properties = [MQTTUserProperty("id", id), MQTTUserProperty("pad", String(padding.prefix(600)))]
                _ = try device.client.publish(
                    topic: "sensors/wordy/n", payload: Array(id.utf8), qos: .atLeastOnce,
                    properties: MQTTPublishProperties(userProperties: properties))
                propertiesTooLarge += 1
            default:
                _ = try device.client.publish(topic: "sensors/good/n", payload: Array(id.utf8), qos: .atLeastOnce)
                sent[id] = []
            }
        }
        // Topics MQTT forbids never reach the bridge: Mosquitto disconnects a client that publishes one (it
        // checks UTF-8, NUL and wildcards). The hub's own check is in BadInputTests (a raw worker).
        let forbidden: [[UInt8]] = [
            Array("sensors/".utf8) + [0xFF, 0xFE] + Array("/x".utf8), Array("sensors/".utf8) + [0xED, 0xA0, 0x80],
            Array("sensors/a".utf8) + [0] + Array("b".utf8), Array("sensors/+/x".utf8), Array("sensors/#".utf8),
        ]
        for topic in forbidden {
            let raw = try RawMQTTConnection(port: fixture.broker.port, clientId: "GID_sensors@@@raw")
            try raw.publish(topic: topic, payload: Array("forbidden-topic".utf8))
            #expect(raw.waitForBrokerClose(), "Mosquitto keeps a client that published to \(topic)")
        }
        _ = try device.client.publish(topic: "sensors/good/n", payload: Array("last".utf8), qos: .atLeastOnce)
        sent["last"] = []

        // "last" was published last: anything extra, such as a duplicate, is in before it.
        #expect(waitUntilBlocking(timeout: .seconds(30)) { consumer.messages.contains { $0.body == Array("last".utf8) } },
                "got \(consumer.messages.count) of \(sent.count)")
        let received = consumer.messages
        let ids = received.map { String(decoding: $0.body, as: UTF8.self) }
        #expect(ids.count == sent.count && Set(ids) == Set(sent.keys), "\(ids.sorted())")
        for message in received {
            let id = String(decoding: message.body, as: UTF8.self)
            guard let properties = sent[id] else { continue }
            let json = message.properties[PropertyName.mqtt5UserProperty]
            if properties.isEmpty {
                #expect(json == nil, "\(id)")
            } else {
                // The JSON array carries every text exactly, however it looks.
                let decoded = try UserPropertyCoding.decode(try #require(json, "\(id)"))
                #expect(decoded == properties.map { UserProperty(key: $0.name, value: $0.value) }, "\(id): \(json ?? "")")
            }
        }
        let counters = try #require(fixture.hubCounters)
        #expect(counters.rejected == ["body_too_large": bodiesTooLarge, "user_properties_too_large": propertiesTooLarge])
        #expect(counters.protocolErrors == [:])
    }

    @Test func inflowBreakingTheRulesGetsItsErrorAndCounterWhileTheRestArrive() throws {
        // The 8 MiB body must reach the hub's own check: ZeroMQ's frame cap (hub.maxMessageBytes) is raised above it.
        let fixture = try BridgeFixture(mode: .inProcess, rules: Self.rules, hubSettings: ["maxMessageBytes: 16777216"])
        defer { fixture.stop() }
        let listener = try MQTTTestClient(broker: fixture.broker, id: "GID_app@@@listener")
        defer { listener.close() }
        try listener.subscribe("devices/#")
        let producer = try QueueProducerClient(context: fixture.context, endpoint: fixture.acceptEndpoint, name: "producer")
        defer { producer.close() }

        let validProperties = #"[{"key":"k","value":"v"}]"#
        let bad: [(name: String, topic: String, properties: [String: String], body: [UInt8], code: String)] = [
            ("user properties cut short", "DEVICE_CMD", ["mqtt5UserProperty": #"[{"key":"a","value":"b""#], [], "invalid_user_properties"),
            ("user properties an object", "DEVICE_CMD", ["mqtt5UserProperty": #"{"key":"a","value":"b"}"#], [], "invalid_user_properties"),
            ("user property key a number", "DEVICE_CMD", ["mqtt5UserProperty": #"[{"key":1,"value":"b"}]"#], [], "invalid_user_properties"),
            ("user property with a third member", "DEVICE_CMD", ["mqtt5UserProperty": #"[{"key":"a","value":"b","c":"d"}]"#], [],
             "invalid_user_properties"),
            ("user properties null", "DEVICE_CMD", ["mqtt5UserProperty": "null"], [], "invalid_user_properties"),
            ("user properties not JSON", "DEVICE_CMD", ["mqtt5UserProperty": "a=b"], [], "invalid_user_properties"),
            ("user properties nested too deep", "DEVICE_CMD",
             ["mqtt5UserProperty": String(repeating: "[", count: 80) + String(repeating: "]", count: 80)], [], "invalid_user_properties"),
            ("user properties over the limit", "DEVICE_CMD",
             ["mqtt5UserProperty": #"[{"key":"k","value":"\#(String(repeating: "v", count: 600))"}]"#], [], "user_properties_too_large"),
            ("sub-topic with +", "DEVICE_CMD", ["mqttSecondTopic": "/a/+/b"], [], "invalid_sub_topic"),
            ("sub-topic with #", "DEVICE_CMD", ["mqttSecondTopic": "/a/#"], [], "invalid_sub_topic"),
            ("sub-topic with NUL", "DEVICE_CMD", ["mqttSecondTopic": "/a\u{0}b"], [], "invalid_sub_topic"),
            ("sub-topic without its leading /", "DEVICE_CMD", ["mqttSecondTopic": "a/b"], [], "invalid_sub_topic"),
            ("P2P without a client", "DEVICE_CMD", ["mqttSecondTopic": "/p2p/"], [], "invalid_sub_topic"),
            ("real topic with +", "DEVICE_CMD", ["mqttRealTopic": "/x/+"], [], "invalid_real_topic"),
            ("qoslevel 3", "DEVICE_CMD", ["qoslevel": "3"], [], "invalid_qos"),
            ("qoslevel 1.0", "DEVICE_CMD", ["qoslevel": "1.0"], [], "invalid_qos"),
            ("mqttRetain yes", "DEVICE_CMD", ["mqttRetain": "yes"], [], "invalid_retain"),
            ("negative expiry", "DEVICE_CMD", ["mqtt5MsgExpireInterval": "-1"], [], "invalid_expiry_interval"),
            ("body one byte over the limit", "DEVICE_CMD", ["mqtt5UserProperty": validProperties],
             [UInt8](repeating: 0x62, count: 4_097), "body_too_large"),
            ("body of 8 MiB", "DEVICE_CMD", [:], BadInputTests.huge, "body_too_large"),
            ("queue topic with no rule", "NO_RULE", [:], [], "no_inflow_rule"),
        ]
        var expectedRejected: [String: Int] = [:]
        var sent: [String: [MQTTUserProperty]] = [:]
        for (index, message) in bad.enumerated() {
            // A good command before each bad one, with user properties that are only valid as escaped JSON.
            let id = "cmd-\(index)"
            let properties = [MQTTUserProperty("id", id), MQTTUserProperty("note", Self.tricky[index % Self.tricky.count])]
            let json = UserPropertyCoding.encode(properties.map { UserProperty(key: $0.name, value: $0.value) })
            let good = QueueMessage(
                topic: "DEVICE_CMD", properties: ["mqttSecondTopic": "/dev-\(index)/set", "mqtt5UserProperty": json],
                body: Array(id.utf8))
            #expect(try producer.send(good, timeoutMs: 20_000).count == 32, "\(id)")
            sent[id] = properties

            do {
                let msgId = try producer.send(
                    QueueMessage(topic: message.topic, properties: message.properties, body: message.body), timeoutMs: 20_000)
                Issue.record("\(message.name): accepted as \(msgId)")
            } catch QueueClientError.refused(let report) {
                #expect(report.code == message.code, "\(message.name): \(report)")
                #expect(report.seq != nil, "\(message.name): the ERROR settles the message")
                #expect(!report.message.isEmpty, "\(message.name)")
            }
            expectedRejected[message.code, default: 0] += 1
        }

        // A last command, sent once every other one was published: anything extra is in before it.
        let last = QueueMessage(topic: "DEVICE_CMD", properties: ["mqttSecondTopic": "/dev-last/set"], body: Array("last".utf8))
        #expect(try producer.send(last, timeoutMs: 20_000).count == 32)
        sent["last"] = []
        #expect(waitUntilBlocking(timeout: .seconds(30)) { listener.messages.contains { $0.payload == Array("last".utf8) } },
                "got \(listener.messages.count) of \(sent.count)")
        let received = listener.messages
        let ids = received.map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(ids.count == sent.count && Set(ids) == Set(sent.keys), "\(ids.sorted())")
        for message in received {
            let id = String(decoding: message.payload, as: UTF8.self)
            #expect(message.properties.userProperties == sent[id], "\(id)")
        }
        let counters = try #require(fixture.hubCounters)
        #expect(counters.rejected == expectedRejected)
        #expect(counters.inflowPublished == ["commands": sent.count])
        #expect(counters.protocolErrors == [:])
    }
}
