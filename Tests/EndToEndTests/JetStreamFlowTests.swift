import BridgeCore
import Foundation
import LoopbackHarness
import Mosquitto
import NATS
import Testing

/// The queue side on a real nats-server: what lands in the streams (subjects, headers, body), read back by
/// our own client and by an independent one (nats-py), inflow from JetStream publishes to MQTT subscribers,
/// P2P, and rejections in the DLQ.
@Suite(.serialized) struct JetStreamFlowTests {
    /// Publishes probes until one is in the stream: the bridge is up end to end.
    static func waitUntilFlowing(_ fixture: JetStreamFixture, publisher: MQTTTestClient) throws {
        let jetStream = try fixture.jetStream()
        let deadline = Deadline(timeout: .seconds(60))
        var sent = 0
        while !deadline.hasPassed {
            if sent % 10 == 0 { _ = try publisher.client.publish(topic: "sensors/probe/probe", payload: Array("probe".utf8), qos: .atLeastOnce) }
            sent += 1
            if let info = try? jetStream.streamInfo(name: "mq_SENSOR_DATA"), info.state.messages > 0 { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw FixtureError("nothing reached JetStream within 60 s; log:\n\(fixture.bridgeLog.suffix(3_000))")
    }

    @Test(arguments: [JetStreamFixture.Mode.runCommand, .separateProcesses])
    func everyPropertyLandsAsAHeader(mode: JetStreamFixture.Mode) throws {
        let fixture = try JetStreamFixture(mode: mode)
        defer { fixture.stop() }
        let publisher = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@dev-7")
        defer { publisher.close() }
        try Self.waitUntilFlowing(fixture, publisher: publisher)

        let properties = MQTTPublishProperties(
            userProperties: [MQTTUserProperty("unit", "C"), MQTTUserProperty("clientId", "GID_sensors@@@dev-7"), MQTTUserProperty("unit", "F")],
            contentType: "text/plain", messageExpiryInterval: 300)
        _ = try publisher.client.publish(
            topic: "sensors/room1/temp", payload: [0x32, 0x31, 0x00, 0xFF], qos: .atLeastOnce, retain: true, properties: properties)

        let jetStream = try fixture.jetStream()
        var found: StoredMessage?
        _ = waitUntilBlocking(timeout: .seconds(30)) {
            found = ((try? JetStreamFixture.messages(in: "mq_SENSOR_DATA", via: jetStream)) ?? []).first { $0.subject == "mq.SENSOR_DATA.temp" }
            return found != nil
        }
        let message = try #require(found, "no message on mq.SENSOR_DATA.temp; log:\n\(fixture.bridgeLog.suffix(3_000))")
        func header(_ name: String) -> String? { message.headerValues(name).first }
        #expect(message.body == [0x32, 0x31, 0x00, 0xFF])
        #expect(header("mqttSecondTopic") == "/room1/temp")
        #expect(header("qoslevel") == "1")
        #expect(header("topic") == "sensors/room1/temp")
        #expect(header("clientId") == "GID_sensors@@@dev-7")
        #expect(header("mqttRetain") == "true")
        #expect(header("mqtt5UserProperty") == #"[{"key":"unit","value":"C"},{"key":"clientId","value":"GID_sensors@@@dev-7"},{"key":"unit","value":"F"}]"#)
        #expect(header("mqtt5ContentType") == "text/plain")
        #expect(header("mqtt5MsgExpireInterval") != nil)
        #expect(header("site") == "room1")
        #expect(header("Mq-Keys") == "room1")
        let msgId = try #require(header("Nats-Msg-Id"))
        #expect(msgId.utf8.count == 32 && msgId.allSatisfy { $0.isHexDigit })
        let born = try #require(header("Mq-Born-Timestamp").flatMap { Int64($0) })
        #expect(abs(born - Int64(Date().timeIntervalSince1970 * 1_000)) < 120_000)

        // The same message, read by an independent client from the documents alone.
        let dumped = try PythonJetStream.dump(server: fixture.nats.url, stream: "mq_SENSOR_DATA")
        let independent = try #require(dumped.first { $0.subject == "mq.SENSOR_DATA.temp" })
        #expect(independent.body == message.body)
        for name in ["Nats-Msg-Id", "mqttSecondTopic", "qoslevel", "topic", "clientId", "mqttRetain", "mqtt5UserProperty", "site",
                     "Mq-Keys", "Mq-Born-Timestamp"] {
            #expect(independent.headers[name] == message.headerValues(name), "header \(name) as nats-py reads it")
        }
    }

    @Test func statusEventsLandUnderTheirEventType() throws {
        let rules = JetStreamFixture.rules + """
            statusRules:
              - id: sensor-status
                groupId: GID_sensors
                queueTopic: CLIENT_STATUS

            """
        let fixture = try JetStreamFixture(rules: rules, statusSource: "mosquitto-log")
        defer { fixture.stop() }
        let probe = try MQTTTestClient(broker: fixture.broker, id: "probe-client")
        try Self.waitUntilFlowing(fixture, publisher: probe)
        probe.close()

        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@dev-9")
        device.close()
        let jetStream = try fixture.jetStream()
        var events: [StoredMessage] = []
        _ = waitUntilBlocking(timeout: .seconds(30)) {
            events = (try? JetStreamFixture.messages(in: "mq_CLIENT_STATUS", via: jetStream)) ?? []
            return events.count >= 3
        }
        #expect(events.map(\.subject) == ["mq.CLIENT_STATUS.connect", "mq.CLIENT_STATUS.disconnect", "mq.CLIENT_STATUS.tcpclean"],
                "\(fixture.bridgeLog.suffix(2_000))")
        for event in events {
            let body = try #require(try JSONSerialization.jsonObject(with: Data(event.body)) as? [String: Any])
            #expect(body["clientId"] as? String == "GID_sensors@@@dev-9")
            #expect((body["channelId"] as? String)?.utf8.count == 32)
            #expect(event.headerValues("Nats-Msg-Id").first?.utf8.count == 32)
            #expect(event.subject.hasSuffix("." + (body["eventType"] as? String ?? "?")))
        }
        #expect(Set(events.compactMap { $0.headerValues("Nats-Msg-Id").first }).count == 3)
    }

    @Test func aJetStreamPublishReachesAnMQTTSubscriberAndP2PAndARejectionLandsInTheDLQ() throws {
        let fixture = try JetStreamFixture()
        defer { fixture.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_dev@@@d1")
        defer { device.close() }
        try device.subscribe("devices/#")
        try Self.waitUntilFlowing(fixture, publisher: device)

        let jetStream = try fixture.jetStream()
        _ = try jetStream.publish(
            NATSOutgoingMessage(subject: "mq.DEVICE_CMD.reboot", headers: [("mqttSecondTopic", "/d1/cmd"), ("qoslevel", "1")], body: Array("go".utf8)),
            msgId: "cmd-1", timeoutMs: 5_000)
        // P2P, from the independent client.
        _ = try PythonJetStream.publish(
            server: fixture.nats.url, subject: "mq.DEVICE_CMD.p2p", headers: ["mqttSecondTopic": "/p2p/GID_dev@@@d1"], msgId: "cmd-2", body: "hello d1")
        // Rejected: qoslevel 7.
        _ = try jetStream.publish(
            NATSOutgoingMessage(subject: "mq.DEVICE_CMD.bad", headers: [("mqttSecondTopic", "/d1/cmd"), ("qoslevel", "7")], body: Array("no".utf8)),
            msgId: "cmd-3", timeoutMs: 5_000)

        #expect(device.waitFor(count: 2, timeout: .seconds(30)), "\(fixture.bridgeLog.suffix(3_000))")
        let received = device.messages.filter { $0.topic.hasPrefix("devices/") }
        #expect(received.contains { $0.topic == "devices/d1/cmd" && $0.payload == Array("go".utf8) && $0.qos == .atLeastOnce })
        #expect(received.contains { $0.topic == "devices/p2p/GID_dev@@@d1" && $0.payload == Array("hello d1".utf8) })

        var dead: [StoredMessage] = []
        _ = waitUntilBlocking(timeout: .seconds(30)) {
            dead = (try? JetStreamFixture.messages(in: "mq_DLQ", via: jetStream)) ?? []
            return !dead.isEmpty
        }
        let rejected = try #require(dead.first, "nothing in the DLQ; log:\n\(fixture.bridgeLog.suffix(3_000))")
        #expect(rejected.subject == "mq.DLQ.DEVICE_CMD")
        #expect(rejected.body == Array("no".utf8))
        #expect(rejected.headerValues("Mq-Error").first?.hasPrefix("invalid_qos") == true)
        #expect(rejected.headerValues("qoslevel") == ["7"])
        // Nothing was published for it, and the accepted ones once each.
        Thread.sleep(forTimeInterval: 1)
        #expect(device.messages.filter { $0.payload == Array("no".utf8) }.isEmpty)
        #expect(device.messages.filter { $0.payload == Array("go".utf8) }.count == 1)
    }

    /// `worker jetstream` as a process of its own reaches a CURVE hub over tcp with `worker.curve`.
    @Test func aSeparateJetStreamWorkerOverCurve() throws {
        let fixture = try JetStreamFixture(mode: .separateProcesses, curve: try FixtureCurve.generate())
        defer { fixture.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_dev@@@curve")
        defer { device.close() }
        try device.subscribe("devices/#")
        try Self.waitUntilFlowing(fixture, publisher: device)
        _ = try fixture.jetStream().publish(
            NATSOutgoingMessage(subject: "mq.DEVICE_CMD.go", headers: [("mqttSecondTopic", "/d9/cmd")], body: Array("over curve".utf8)),
            msgId: "curve-1", timeoutMs: 5_000)
        #expect(device.waitFor(count: 1, timeout: .seconds(30)), "\(fixture.bridgeLog.suffix(3_000))")
        #expect(device.messages.contains { $0.topic == "devices/d9/cmd" && $0.payload == Array("over curve".utf8) })
        #expect(fixture.bridgeLog.contains("CURVE to the hub"))
    }

    @Test func messagesPublishedBeforeAnyBackendConsumerAreAllInTheStream() throws {
        let fixture = try JetStreamFixture()
        defer { fixture.stop() }
        let publisher = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@early")
        defer { publisher.close() }
        // The bridge is up (its subscription exists); no backend consumer has ever connected to anything.
        try Self.waitUntilFlowing(fixture, publisher: publisher)
        let ids = (0..<500).map { "early-\($0)" }
        for (index, id) in ids.enumerated() {
            _ = try publisher.client.publish(topic: "sensors/dev\(index % 10)/x", payload: Array(id.utf8), qos: .atLeastOnce)
        }
        let tally = try fixture.waitForAll(ids, in: "mq_SENSOR_DATA")
        print("published before any consumer: \(tally)")
        #expect(tally.missing.isEmpty, "\(tally); first missing \(tally.missing.prefix(5))\n\(fixture.bridgeLog.suffix(2_000))")
        #expect(tally.duplicates == 0)
    }
}
