import BridgeCore
import Foundation
import LoopbackHarness
import Mosquitto
import Testing

/// Queue -> MQTT through a real bridge and Mosquitto, driven by the `produce` command.
@Suite(.serialized) struct InflowFlowTests {
    static let rules = """
        inflow:
          - id: commands
            queueTopic: DEVICE_CMD
            tags: "cmd||ota"
            mqttParent: devices
            qos: 1
        outflow:
          - id: p2p-audit
            mqtt: devices/p2p/+
            queueTopic: P2P_AUDIT

        """

    func produce(_ fixture: BridgeFixture, _ arguments: [String]) throws -> ManagedProcess {
        let process = try ManagedProcess(
            executable: BridgeFixture.executable.path,
            arguments: ["produce", "--endpoint", fixture.acceptEndpoint, "--topic", "DEVICE_CMD", "--timeout", "20"] + arguments)
        _ = process.waitForExit(timeout: .seconds(30))
        return process
    }

    @Test(arguments: BridgeFixture.Mode.allCases)
    func producedMessageReachesTheSubscriberWithTopicQoSRetainAndProperties(mode: BridgeFixture.Mode) throws {
        let fixture = try BridgeFixture(mode: mode, rules: Self.rules)
        defer { fixture.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@dev-1")
        defer { device.close() }
        try device.subscribe("devices/#")
        let process = try produce(fixture, [
            "--tag", "cmd", "--key", "dev-1", "--property", "mqttSecondTopic=/dev-1/set", "--property", "qoslevel=2",
            "--property", "mqttRetain=true", "--property", #"mqtt5UserProperty=[{"key":"op","value":"set"},{"key":"op","value":"again"}]"#,
            "--property", "mqtt5ContentType=application/json", "--body", #"{"target":22}"#,
        ])
        #expect(process.exitCode == 0, "\(process.stderrText)\n\(fixture.bridgeLog)")
        #expect(process.stdoutLines.first?.count == 32, "prints the msgId")
        #expect(device.waitFor(count: 1))
        let message = try #require(device.messages.first)
        #expect(message.topic == "devices/dev-1/set")
        #expect(message.qos == .exactlyOnce)
        #expect(message.payload == Array(#"{"target":22}"#.utf8))
        #expect(message.properties.userProperties == [MQTTUserProperty("op", "set"), MQTTUserProperty("op", "again")])
        #expect(message.properties.contentType == "application/json")
        // The retain flag: a client that subscribes afterwards gets the retained command.
        let late = try MQTTTestClient(broker: fixture.broker, id: "late")
        defer { late.close() }
        try late.subscribe("devices/dev-1/set")
        #expect(late.waitFor(count: 1))
        #expect(late.messages.first?.retain == true)
    }

    @Test(arguments: [BridgeFixture.Mode.inProcess, .separateProcesses])
    func p2pBothWays(mode: BridgeFixture.Mode) throws {
        let fixture = try BridgeFixture(mode: mode, rules: Self.rules)
        defer { fixture.stop() }
        let phone = try MQTTTestClient(broker: fixture.broker, id: "GID_app@@@phone7")
        let other = try MQTTTestClient(broker: fixture.broker, id: "GID_app@@@phone8")
        defer { phone.close(); other.close() }
        try phone.subscribe("devices/p2p/GID_app@@@phone7")
        try other.subscribe("devices/p2p/GID_app@@@phone8")
        let process = try produce(fixture, [
            "--tag", "cmd", "--property", "mqttSecondTopic=/p2p/GID_app@@@phone7", "--property", "mqttRealTopic=/alerts/fire",
            "--body", "evacuate",
        ])
        #expect(process.exitCode == 0, "\(process.stderrText)")
        #expect(phone.waitFor(count: 1))
        #expect(phone.messages.first?.topic == "devices/p2p/GID_app@@@phone7")
        #expect(phone.messages.first?.properties.userProperties == [MQTTUserProperty("mqttRealTopic", "/alerts/fire")])
        #expect(other.messages.isEmpty, "a P2P message reaches only its client")

        // The other way: what the phone publishes to another client's P2P topic reaches the queue.
        let audit = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "P2P_AUDIT")
        defer { audit.stop() }
        try waitUntilBridgeFlows(publisher: phone, topic: "devices/p2p/\(probeMark)", consumer: audit, fixture: fixture)
        _ = try phone.client.publish(topic: "devices/p2p/GID_app@@@phone8", payload: Array("hi".utf8), qos: .atLeastOnce)
        #expect(audit.waitFor(count: 1))
        #expect(audit.messages.first?.properties["mqttSecondTopic"] == "/p2p/GID_app@@@phone8")
        #expect(other.waitFor(count: 1), "and the broker delivers it to its target too")
    }

    @Test(arguments: BridgeFixture.Mode.allCases)
    func rejectedMessageReturnsItsErrorAndTheBridgeCarriesOn(mode: BridgeFixture.Mode) throws {
        let fixture = try BridgeFixture(mode: mode, rules: Self.rules)
        defer { fixture.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@dev-3")
        defer { device.close() }
        try device.subscribe("devices/#")
        let cases: [([String], String)] = [
            (["--tag", "cmd", "--property", "qoslevel=5"], "invalid_qos: qoslevel '5' must be 0, 1 or 2"),
            (["--tag", "cmd", "--property", "mqttSecondTopic=/a/+"], "invalid_sub_topic"),
            (["--tag", "other"], "tag_not_accepted"),
        ]
        for (arguments, expected) in cases {
            let rejected = try produce(fixture, arguments + ["--body", "x"])
            #expect(rejected.exitCode == 1)
            #expect(rejected.stderrText.contains(expected), "\(rejected.stderrText)")
        }
        let unknown = try ManagedProcess(
            executable: BridgeFixture.executable.path,
            arguments: ["produce", "--endpoint", fixture.acceptEndpoint, "--topic", "NO_RULE", "--body", "x"])
        #expect(unknown.waitForExit(timeout: .seconds(30)) == 1)
        #expect(unknown.stderrText.contains("no_inflow_rule"))
        let accepted = try produce(fixture, ["--tag", "ota", "--property", "mqttSecondTopic=/dev-3/ota", "--body", "fw-2"])
        #expect(accepted.exitCode == 0, "\(accepted.stderrText)")
        #expect(device.waitFor(count: 1))
        #expect(device.messages.map(\.topic) == ["devices/dev-3/ota"], "only the accepted message was published")
        if let counters = fixture.hubCounters {
            #expect(counters.rejected["invalid_qos"] == 1)
            #expect(counters.rejected["no_inflow_rule"] == 1)
            #expect(counters.inflowPublished["commands"] == 1)
        }
    }
}
