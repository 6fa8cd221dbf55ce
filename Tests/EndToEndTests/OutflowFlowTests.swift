import BridgeCore
import Foundation
import LoopbackHarness
import Mosquitto
import Testing
import WireProtocol

/// MQTT -> queue through a real Mosquitto and a real bridge, in each of its three shapes.
@Suite(.serialized) struct OutflowFlowTests {
    static let rules = """
        outflow:
          - id: telemetry
            mqtt: sensors/#
            queueTopic: SENSOR_DATA
            tag: "${level.3}"
            keys: ["${clientId}"]
            properties: {room: "${level.2}"}
          - id: p2p-audit
            mqtt: devices/p2p/+
            queueTopic: P2P_AUDIT
            keys: ["${level.3}"]

        """

    @Test(arguments: BridgeFixture.Mode.allCases)
    func mqtt5PublishReachesConsumerWithEveryProperty(mode: BridgeFixture.Mode) throws {
        let fixture = try BridgeFixture(mode: mode, rules: Self.rules)
        defer { fixture.stop() }
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA")
        defer { consumer.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@dev-001")
        defer { device.close() }
        try waitUntilBridgeFlows(publisher: device, topic: "sensors/probe/x", consumer: consumer, fixture: fixture)

        let properties = MQTTPublishProperties(
            userProperties: [
                MQTTUserProperty("clientId", "GID_sensors@@@dev-001"), MQTTUserProperty("unit", "C"),
                MQTTUserProperty("unit", "°F"),
            ],
            contentType: "application/json", messageExpiryInterval: 3_600)
        _ = try device.client.publish(
            topic: "sensors/room1/temp", payload: Array(#"{"t":21.5}"#.utf8), qos: .atLeastOnce, retain: true,
            properties: properties)
        #expect(consumer.waitFor(count: 1), "\(fixture.bridgeLog)")
        let message = try #require(consumer.messages.first)
        #expect(message.topic == "SENSOR_DATA")
        #expect(message.tag == "temp")
        #expect(message.keys == ["GID_sensors@@@dev-001"])
        #expect(message.body == Array(#"{"t":21.5}"#.utf8))
        #expect(message.msgId?.count == 32)
        #expect(message.bornTimestamp.map { abs($0 - Int64(Date().timeIntervalSince1970 * 1_000)) < 60_000 } == true)
        let p = message.properties
        #expect(p["mqttSecondTopic"] == "/room1/temp")
        #expect(p["qoslevel"] == "1")
        #expect(p["topic"] == "sensors/room1/temp")
        #expect(p["clientId"] == "GID_sensors@@@dev-001")
        #expect(p["mqttRetain"] == "true")
        #expect(p["mqtt5UserProperty"] == #"[{"key":"clientId","value":"GID_sensors@@@dev-001"},{"key":"unit","value":"C"},{"key":"unit","value":"°F"}]"#)
        #expect(p["mqtt5ContentType"] == "application/json")
        // The broker passes on the remaining lifetime, which may have dropped a second.
        #expect(p["mqtt5MsgExpireInterval"].flatMap(Int.init).map { (3_590...3_600).contains($0) } == true)
        #expect(p["room"] == "room1")
    }

    @Test(arguments: [BridgeFixture.Mode.inProcess, .separateProcesses])
    func tagFiltersChooseWhatEachConsumerGets(mode: BridgeFixture.Mode) throws {
        let fixture = try BridgeFixture(mode: mode, rules: Self.rules)
        defer { fixture.stop() }
        let all = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA")
        let temps = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA", tags: "temp")
        let climate = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA", tags: "hum||pressure")
        defer { [all, temps, climate].forEach { $0.stop() } }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@dev-2")
        defer { device.close() }
        try waitUntilBridgeFlows(publisher: device, topic: "sensors/probe/x", consumer: all, fixture: fixture)
        #expect(temps.waitReady() && climate.waitReady())
        for metric in ["temp", "hum", "pressure", "co2", "temp"] {
            _ = try device.client.publish(topic: "sensors/r/\(metric)", payload: Array(metric.utf8), qos: .atLeastOnce)
        }
        #expect(all.waitFor(count: 5))
        #expect(temps.waitFor(count: 2))
        #expect(climate.waitFor(count: 2))
        #expect(all.messages.map(\.tag) == ["temp", "hum", "pressure", "co2", "temp"])
        #expect(temps.messages.map(\.tag) == ["temp", "temp"])
        #expect(climate.messages.map(\.tag) == ["hum", "pressure"])
    }

    @Test(arguments: [BridgeFixture.Mode.inProcess, .separateProcesses])
    func groupMembersSplitMessagesAndEachKeyStaysOnOneMember(mode: BridgeFixture.Mode) throws {
        let fixture = try BridgeFixture(mode: mode, rules: Self.rules)
        defer { fixture.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@gateway")
        defer { device.close() }
        let primer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA")
        try waitUntilBridgeFlows(publisher: device, topic: "sensors/probe/x", consumer: primer, fixture: fixture)
        primer.stop()
        let members = (0..<2).map { _ in
            TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA", group: "backend", window: 5)
        }
        defer { members.forEach { $0.stop() } }
        #expect(members.allSatisfy { $0.waitReady() })
        let total = 200
        for index in 0..<total {
            let key = "GID_sensors@@@dev-\(index % 10)"
            let properties = MQTTPublishProperties(userProperties: [MQTTUserProperty("clientId", key)])
            _ = try device.client.publish(
                topic: "sensors/r/temp", payload: Array("\(index)".utf8), qos: .atLeastOnce, properties: properties)
        }
        #expect(waitUntilBlocking(timeout: .seconds(30)) { members.map(\.messages.count).reduce(0, +) >= total })
        let received = members.map(\.messages)
        #expect(received.map(\.count).reduce(0, +) == total, "each message goes to exactly one member")
        #expect(received.allSatisfy { !$0.isEmpty }, "both members get a share: \(received.map(\.count))")
        let keysPerMember = received.map { Set($0.compactMap(\.keys.first)) }
        #expect(keysPerMember[0].isDisjoint(with: keysPerMember[1]), "a key never goes to both members")
        for messages in received {
            for key in Set(messages.compactMap(\.keys.first)) {
                let order = messages.filter { $0.keys.first == key }.compactMap { Int(String(decoding: $0.body, as: UTF8.self)) }
                #expect(order == order.sorted(), "per-key order is kept for \(key)")
            }
        }
    }

    @Test func p2pMessagesFromDevicesReachTheQueue() throws {
        let fixture = try BridgeFixture(mode: .inProcess, rules: Self.rules)
        defer { fixture.stop() }
        let audit = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "P2P_AUDIT")
        defer { audit.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@dev-9")
        defer { device.close() }
        try waitUntilBridgeFlows(publisher: device, topic: "devices/p2p/\(probeMark)", consumer: audit, fixture: fixture)
        _ = try device.client.publish(topic: "devices/p2p/GID_app@@@phone7", payload: Array("ok".utf8), qos: .atLeastOnce)
        #expect(audit.waitFor(count: 1))
        #expect(audit.messages.first?.properties["mqttSecondTopic"] == "/p2p/GID_app@@@phone7")
        #expect(audit.messages.first?.keys == ["GID_app@@@phone7"])
    }

    @Test(arguments: [BridgeFixture.Mode.inProcess, .separateProcesses])
    func burstOfTenThousandQoS1MessagesAllArrive(mode: BridgeFixture.Mode) throws {
        let fixture = try BridgeFixture(mode: mode, rules: Self.rules)
        defer { fixture.stop() }
        try Self.expectBurstArrivesOnce(through: fixture, device: "GID_sensors@@@burst", total: 10_000, qos: .atLeastOnce)
    }

    /// Publishes `total` messages as fast as the device can and expects each at the consumer, once. With
    /// `mosquittoPub`, Mosquitto's own `mosquitto_pub` publishes them instead of our libmosquitto client, one per
    /// line it reads.
    static func expectBurstArrivesOnce(through fixture: BridgeFixture, device id: String, total: Int, qos: MQTTQoS,
                                       mosquittoPub: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA", window: 1_000)
        defer { consumer.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: id)
        defer { device.close() }
        try waitUntilBridgeFlows(publisher: device, topic: "sensors/probe/x", consumer: consumer, fixture: fixture)
        if mosquittoPub {
            let tool = try ManagedProcess(executable: "/bin/sh", arguments: [
                "-c", "seq -f 'm%.0f' 0 \(total - 1) | mosquitto_pub -h \(fixture.broker.host) -p \(fixture.broker.port) -V 5 "
                    + "-q \(qos.rawValue) -t sensors/burst/n -i \(id)-cli -l",
            ])
            let status = tool.waitForExit(timeout: .seconds(120))
            if status == nil { tool.terminate() }
            #expect(status == 0, "mosquitto_pub: \(tool.stderrText)", sourceLocation: sourceLocation)
        } else {
            for index in 0..<total {
                _ = try device.client.publish(topic: "sensors/burst/n", payload: Array("m\(index)".utf8), qos: qos)
            }
        }
        #expect(consumer.waitFor(count: total, timeout: .seconds(120)), "got \(consumer.messages.count) of \(total)",
                sourceLocation: sourceLocation)
        let bodies = consumer.messages.map { String(decoding: $0.body, as: UTF8.self) }.filter { $0.hasPrefix("m") }
        #expect(bodies.count == total, "none twice: \(bodies.count) for \(total)", sourceLocation: sourceLocation)
        let missing = Set((0..<total).map { "m\($0)" }).subtracting(bodies)
        #expect(missing.isEmpty, "\(missing.count) of \(total) missing, e.g. \(missing.sorted().prefix(5))", sourceLocation: sourceLocation)
    }

    /// QoS 2 messages published as fast as the device can: Mosquitto 2.0 sends the next QoS 2 message once the
    /// last one's PUBREC is in, before its PUBCOMP, so a subscriber counting its receive maximum to PUBCOMP (as
    /// libmosquitto does, 20 by default) would see more in flight than it allowed and drop the connection. The
    /// worker allows the most MQTT 5 can say; every message arrives once, over one connection.
    @Test func burstOfQoS2MessagesArrivesOverOneConnection() throws {
        let fixture = try BridgeFixture(mode: .inProcess, rules: Self.rules)
        defer { fixture.stop() }
        try Self.expectBurstArrivesOnce(through: fixture, device: "GID_sensors@@@qos2", total: 3_000, qos: .exactlyOnce)
        #expect(fixture.workerStats?.brokerConnections == 1, "the worker kept its first connection")
    }

    /// The same burst from Mosquitto's own `mosquitto_pub`, a publisher the bridge has no part in.
    @Test func burstOfQoS2MessagesFromMosquittoPubArrivesOverOneConnection() throws {
        let fixture = try BridgeFixture(mode: .inProcess, rules: Self.rules)
        defer { fixture.stop() }
        try Self.expectBurstArrivesOnce(
            through: fixture, device: "GID_sensors@@@qos2cli", total: 3_000, qos: .exactlyOnce, mosquittoPub: true)
        #expect(fixture.workerStats?.brokerConnections == 1, "the worker kept its first connection")
    }

    /// A consumer that acknowledges each message on its own (it never read about batched ACKs) and one
    /// that batches them (`QueueConsumerClient`) take the same messages side by side; every message reaches
    /// both, and the worker, acknowledged only once both have, gets through more than its window.
    @Test func singleAndBatchedAcknowledgementsTogether() throws {
        let fixture = try BridgeFixture(mode: .inProcess, rules: Self.rules)
        defer { fixture.stop() }
        let batched = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA", window: 200)
        defer { batched.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@both")
        defer { device.close() }
        try waitUntilBridgeFlows(publisher: device, topic: "sensors/probe/x", consumer: batched, fixture: fixture)
        // Joins once the bridge flows: it sends no PING, so it must not wait long in silence.
        let single = try RawHubPeer(context: fixture.context, endpoint: fixture.publishEndpoint, form: .queue, name: "single-acks")
        defer { single.close() }
        try single.hello(Hello(role: .consumer, name: "single-acks", topic: "SENSOR_DATA", window: 50))
        let total = 3_000
        var singleBodies: Set<String> = []
        /// Reads what the hub sent the single-ACK consumer until nothing more comes for 50 ms, acknowledging
        /// each message with an ACK of its own.
        func drainSingle() throws {
            while let message = try single.receive(timeout: .milliseconds(50)) {
                guard case .queueData(let seq, let delivered) = message else { continue }
                singleBodies.insert(String(decoding: delivered.body, as: UTF8.self))
                try single.send(.ack(seq: seq, msgId: nil))
            }
        }
        for index in 0..<total {
            _ = try device.client.publish(topic: "sensors/both/n", payload: Array("m\(index)".utf8), qos: .atLeastOnce)
            if index % 500 == 499 { try drainSingle() }
        }
        let deadline = Deadline(timeout: .seconds(60))
        while singleBodies.filter({ $0.hasPrefix("m") }).count < total, !deadline.hasPassed {
            try drainSingle()
        }
        let expected = Set((0..<total).map { "m\($0)" })
        #expect(singleBodies.filter { $0.hasPrefix("m") } == expected, "single: \(singleBodies.count) received")
        #expect(batched.waitFor(count: total, timeout: .seconds(60)), "batched: \(batched.messages.count)")
        #expect(Set(batched.messages.map { String(decoding: $0.body, as: UTF8.self) }.filter { $0.hasPrefix("m") }) == expected)
    }
}
