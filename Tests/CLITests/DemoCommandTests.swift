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
    }
}
