import Foundation
import LoopbackHarness
import Mosquitto
import NATS
import Testing

/// A retained message reaches the queue side once: a bridge whose persistent session kept its
/// subscriptions is not sent the retained state again when it restarts (MQTT 5: Retain Handling) or
/// reconnects (MQTT 3.1.1: it does not subscribe again while the broker kept its session).
@Suite(.serialized) struct RetainedMessageTests {
    static func copies(of body: String, in fixture: JetStreamFixture) throws -> Int {
        try JetStreamFixture.messages(in: "mq_SENSOR_DATA", via: fixture.jetStream()).filter { $0.body == Array(body.utf8) }.count
    }

    /// Sends probes until a new one is in the stream: everything before it has been forwarded.
    static func drain(_ fixture: JetStreamFixture, publisher: MQTTTestClient, probe: String) throws {
        let deadline = Deadline(timeout: .seconds(60))
        while try copies(of: probe, in: fixture) == 0 {
            guard !deadline.hasPassed else { throw FixtureError("probe \(probe) never reached the stream:\n\(fixture.bridgeLog.suffix(2_000))") }
            _ = try publisher.client.publish(topic: "sensors/probe/\(probe)", payload: Array(probe.utf8), qos: .atLeastOnce)
            Thread.sleep(forTimeInterval: 0.3)
        }
    }

    @Test func aRestartedBridgeIsNotSentTheRetainedStateAgain() throws {
        let fixture = try JetStreamFixture()
        defer { fixture.stop() }
        let publisher = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@retainer")
        defer { publisher.close() }
        try Self.drain(fixture, publisher: publisher, probe: "first")
        _ = try publisher.client.publish(topic: "sensors/room1/state", payload: Array("retained-1".utf8), qos: .atLeastOnce, retain: true)
        try Self.drain(fixture, publisher: publisher, probe: "second")
        #expect(try Self.copies(of: "retained-1", in: fixture) == 1)

        #expect(fixture.terminateBridge() == [0])
        try fixture.startBridge()
        try Self.drain(fixture, publisher: publisher, probe: "third")
        #expect(try Self.copies(of: "retained-1", in: fixture) == 1, "the retained message came again:\n\(fixture.bridgeLog.suffix(2_000))")

        // A deployment that wants the retained state at its first start gets it: a new bridge (new session).
        let stored = try JetStreamFixture.messages(in: "mq_SENSOR_DATA", via: fixture.jetStream()).first { $0.body == Array("retained-1".utf8) }
        #expect(stored?.headerValues("mqttRetain") == ["true"])
    }

    @Test func anMQTT311BridgeIsNotSentTheRetainedStateAgainWhenItReconnects() throws {
        let fixture = try JetStreamFixture(mqtt: [#"protocol: "3.1.1""#])
        defer { fixture.stop() }
        let publisher = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@retainer311")
        try Self.drain(fixture, publisher: publisher, probe: "first")
        _ = try publisher.client.publish(topic: "sensors/room1/state", payload: Array("retained-311".utf8), qos: .atLeastOnce, retain: true)
        try Self.drain(fixture, publisher: publisher, probe: "second")
        publisher.close()

        // The broker restarts with its persistence: the bridge reconnects to the session it kept.
        try fixture.broker.restart()
        let again = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@retainer311")
        defer { again.close() }
        try Self.drain(fixture, publisher: again, probe: "third")
        #expect(try Self.copies(of: "retained-311", in: fixture) == 1, "the retained message came again:\n\(fixture.bridgeLog.suffix(2_000))")
        #expect(fixture.bridgeLog.contains("sessionPresent=true"))
    }
}
