import Foundation
import Testing

/// The README's run command: a private Mosquitto, the bridge on mappings/example.yaml, traffic both ways.
@Suite struct DemoCommandTests {
    @Test func demoShowsTrafficInBothDirections() throws {
        let result = try CLIRunner.run(["demo"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdoutLines
        #expect(lines.contains { $0.hasPrefix("queue <- {\"topic\":\"SENSOR_DATA\",\"tag\":\"temp\"") })
        #expect(lines.contains { $0.hasPrefix("queue <- {\"topic\":\"FACTORY_EVENTS\"") && $0.contains("\"clientId\":\"GID_factory@@@press-7\"") })
        #expect(lines.contains { $0.hasPrefix("queue <- {\"topic\":\"P2P_AUDIT\"") })
        #expect(lines.contains { $0.contains("acknowledged, msgId ") })
        #expect(lines.contains { $0.contains("refused: invalid_qos") })
        #expect(lines.contains { $0.hasPrefix("MQTT  <- devices/dev-001/set  QoS 1  {\"target\":22}") })
        #expect(!result.stdout.contains("JetStream"), "without --jetstream the demo starts no nats-server")
    }

    /// `demo --jetstream`: the same traffic also lands in streams of a private nats-server, read back with their
    /// headers, and commands published to JetStream reach the device.
    @Test func demoWithJetStreamShowsTheStreamsAndCommandsComingBack() throws {
        let result = try CLIRunner.run(["demo", "--jetstream"])
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
        let lines = result.stdoutLines
        #expect(lines.contains { $0.hasPrefix("== nats-server -js on nats://127.0.0.1:") })
        // The ZeroMQ side still works as before.
        #expect(lines.contains { $0.hasPrefix("queue <- {\"topic\":\"SENSOR_DATA\",\"tag\":\"temp\"") })
        // Stored messages, read back from JetStream: stream, subject, headers, body.
        #expect(lines.contains { $0.hasPrefix("stream mq_SENSOR_DATA (subjects mq.SENSOR_DATA.>)") })
        #expect(lines.contains { $0.hasPrefix("JS    <- mq.SENSOR_DATA.temp  {\"celsius\":21.5}") })
        #expect(lines.contains { $0.hasPrefix("JS    <- mq.FACTORY_EVENTS.") && $0.contains("{\"event\":\"jam\"}") })
        let sensor = try #require(lines.firstIndex { $0.hasPrefix("JS    <- mq.SENSOR_DATA.temp") }, "\(result.stdout)")
        let headers = lines[(sensor + 1)...].prefix { $0.hasPrefix("      ") }
        #expect(headers.first?.range(of: #"^      Nats-Msg-Id: [0-9a-f]{32}$"#, options: .regularExpression) != nil, "\(headers)")
        #expect(headers.contains("      mqttSecondTopic: /room1/temp"))
        #expect(headers.contains("      qoslevel: 1"))
        #expect(headers.contains("      Mq-Keys: GID_sensors@@@dev-001"))
        // Client status events in their stream.
        #expect(lines.contains { $0.hasPrefix("JS    <- mq.CLIENT_STATUS.connect  ") && $0.contains("GID_sensors@@@dev-042") })
        // Commands published to JetStream come back to the device over MQTT.
        #expect(lines.contains { $0.hasPrefix("JS    -> mq.DEVICE_CMD.cmd  ") && $0.contains("mqttSecondTopic=/dev-001/set") })
        #expect(lines.contains { $0.hasPrefix("      stored in mq_DEVICE_CMD, seq ") })
        #expect(lines.contains { $0.hasPrefix("MQTT  <- devices/dev-001/set  QoS 1  {\"target\":23}") })
        #expect(lines.contains { $0.hasPrefix("MQTT  <- devices/p2p/GID_sensors@@@dev-001  ") && $0.contains("hello dev-001") })
        #expect(lines.contains { $0.hasPrefix("-- JetStream: ") && $0.contains(" messages in ") })
        #expect(lines.last == "== done: stopping the bridge, nats-server and Mosquitto")
    }

    @Test func demoWithJetStreamSaysHowToInstallAMissingNATSServer() throws {
        let result = try CLIRunner.run(["demo", "--jetstream", "--nats-server", "/nonexistent/nats-server"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("bash scripts/install-deps.sh"), "\(result.stderr)")
        #expect(!result.stdout.contains("== bridge on"))
    }
}
