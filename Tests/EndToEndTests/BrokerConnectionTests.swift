import Foundation
import LoopbackHarness
import Mosquitto
import Testing

/// The MQTT worker's connection to the broker: protocol versions and recovery.
@Suite(.serialized) struct BrokerConnectionTests {
    static let rules = BridgeFixture.telemetryAndCommands

    @Test func mqtt311BridgeCarriesMessagesBothWays() throws {
        let fixture = try BridgeFixture(mode: .inProcess, rules: Self.rules, mqttSettings: [#"protocol: "3.1.1""#])
        defer { fixture.stop() }
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA")
        defer { consumer.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@old", version: .v311)
        defer { device.close() }
        try waitUntilBridgeFlows(publisher: device, topic: "sensors/probe/x", consumer: consumer, fixture: fixture)
        _ = try device.client.publish(topic: "sensors/r/temp", payload: Array("21".utf8), qos: .exactlyOnce)
        #expect(consumer.waitFor(count: 1))
        #expect(consumer.messages.first?.properties["qoslevel"] == "2")
        #expect(consumer.messages.first?.properties["mqtt5UserProperty"] == nil)

        try device.subscribe("devices/#")
        let produce = try ManagedProcess(
            executable: BridgeFixture.executable.path,
            arguments: ["produce", "--endpoint", fixture.acceptEndpoint, "--topic", "DEVICE_CMD", "--property", "mqttSecondTopic=/old/set", "--body", "go"])
        #expect(produce.waitForExit(timeout: .seconds(30)) == 0, "\(produce.stderrText)")
        #expect(device.waitFor(count: 1))
        #expect(device.messages.first?.topic == "devices/old/set")
    }

    /// A hub killed with SIGKILL and started again: the worker and the consumer answer its `no_hello` with a
    /// new HELLO (docs/wire-protocol.md) and messages flow again, in both directions.
    @Test func workerAndConsumerFindARestartedHub() throws {
        let fixture = try BridgeFixture(mode: .separateProcesses, rules: Self.rules)
        defer { fixture.stop() }
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA")
        defer { consumer.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@hub-restart")
        defer { device.close() }
        try waitUntilBridgeFlows(publisher: device, topic: "sensors/probe/x", consumer: consumer, fixture: fixture)

        try fixture.restartHub()
        let probesBefore = consumer.probesReceived
        let deadline = Deadline(timeout: .seconds(60))
        while consumer.probesReceived == probesBefore && !deadline.hasPassed {
            _ = try device.client.publish(topic: "sensors/probe/y", payload: Array("\(probeMark)-again".utf8), qos: .atLeastOnce)
            _ = waitUntilBlocking(timeout: .milliseconds(500)) { consumer.probesReceived > probesBefore }
        }
        #expect(consumer.probesReceived > probesBefore, "outflow resumes through the new hub\n\(fixture.bridgeLog)")
        #expect(consumer.error == nil)

        try device.subscribe("devices/#")
        let produce = try ManagedProcess(
            executable: BridgeFixture.executable.path,
            arguments: ["produce", "--endpoint", fixture.acceptEndpoint, "--topic", "DEVICE_CMD", "--property", "mqttSecondTopic=/again", "--body", "x"])
        #expect(produce.waitForExit(timeout: .seconds(30)) == 0, "\(produce.stderrText)")
        #expect(device.waitFor(count: 1))
    }

    @Test(arguments: [BridgeFixture.Mode.inProcess, .runCommand])
    func bridgeReconnectsAndSubscribesAgainAfterABrokerRestart(mode: BridgeFixture.Mode) throws {
        let fixture = try BridgeFixture(mode: mode, rules: Self.rules)
        defer { fixture.stop() }
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA")
        defer { consumer.stop() }
        let before = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@before")
        try waitUntilBridgeFlows(publisher: before, topic: "sensors/probe/x", consumer: consumer, fixture: fixture)
        before.close()

        try fixture.broker.restart()
        let after = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@after")
        defer { after.close() }
        // Probes published before the bridge is back are not delivered to it; keep probing until one is.
        let probesBefore = consumer.probesReceived
        let deadline = Deadline(timeout: .seconds(60))
        while consumer.probesReceived == probesBefore && !deadline.hasPassed {
            _ = try after.client.publish(topic: "sensors/probe/y", payload: Array("\(probeMark)-after".utf8), qos: .atLeastOnce)
            _ = waitUntilBlocking(timeout: .milliseconds(500)) { consumer.probesReceived > probesBefore }
        }
        #expect(consumer.probesReceived > probesBefore, "the bridge is back after the restart\n\(fixture.bridgeLog)")
        _ = try after.client.publish(topic: "sensors/r/temp", payload: Array("after-restart".utf8), qos: .atLeastOnce)
        #expect(consumer.waitFor(count: 1))
        #expect(consumer.messages.map { String(decoding: $0.body, as: UTF8.self) } == ["after-restart"])
    }
}
