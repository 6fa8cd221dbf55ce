import Foundation
import LoopbackHarness
import Mosquitto
import Testing

/// The Python peer in tools/python, written from docs/wire-protocol.md alone, against the real bridge.
@Suite(.serialized) struct PythonPeerTests {
    static let script = BridgeFixture.repositoryRoot.appendingPathComponent("tools/python/mqbridge_peer.py").path

    static let rules = BridgeFixture.telemetryAndCommands

    @Test(arguments: [BridgeFixture.Mode.inProcess, .separateProcesses])
    func pythonConsumerAndProducerSpeakTheProtocol(mode: BridgeFixture.Mode) throws {
        let fixture = try BridgeFixture(mode: mode, rules: Self.rules)
        defer { fixture.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@py")
        defer { device.close() }
        // Make sure the bridge's subscription is live before the Python consumer starts counting.
        let primer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA")
        try waitUntilBridgeFlows(publisher: device, topic: "sensors/probe/x", consumer: primer, fixture: fixture)
        primer.stop()

        let consumer = try ManagedProcess(
            executable: "/usr/bin/python3",
            arguments: [Self.script, "consume", "--endpoint", fixture.publishEndpoint, "--topic", "SENSOR_DATA", "--tags", "temp", "--count", "3", "--timeout", "30"])
        defer { _ = consumer.terminate() }
        // The consumer is subscribed once probes on its tag reach it; publish until the first one does.
        let deadline = Deadline(timeout: .seconds(30))
        var sent = 0
        while consumer.stdoutLines.isEmpty && !deadline.hasPassed {
            _ = try device.client.publish(topic: "sensors/room/temp", payload: Array("reading-\(sent)".utf8), qos: .atLeastOnce)
            sent += 1
            _ = waitUntilBlocking(timeout: .milliseconds(300)) { !consumer.stdoutLines.isEmpty }
        }
        _ = try device.client.publish(topic: "sensors/room/hum", payload: Array("not for python".utf8), qos: .atLeastOnce)
        for index in 0..<3 {
            _ = try device.client.publish(topic: "sensors/room/temp", payload: Array("final-\(index)".utf8), qos: .atLeastOnce)
        }
        #expect(consumer.waitForExit(timeout: .seconds(40)) == 0, "\(consumer.stderrText)")
        let lines = consumer.stdoutLines
        #expect(lines.count == 3)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["topic"] as? String == "SENSOR_DATA")
            #expect(object["tag"] as? String == "temp", "the tag filter is applied by the hub")
            #expect((object["msgId"] as? String)?.count == 32)
            #expect((object["properties"] as? [String: String])?["mqttSecondTopic"] == "/room/temp")
        }

        try device.subscribe("devices/#")
        let producer = try ManagedProcess(
            executable: "/usr/bin/python3",
            arguments: [Self.script, "produce", "--endpoint", fixture.acceptEndpoint, "--topic", "DEVICE_CMD", "--tag", "cmd",
                        "--property", "mqttSecondTopic=/py/set", "--body", "from-python"])
        #expect(producer.waitForExit(timeout: .seconds(30)) == 0, "\(producer.stderrText)")
        #expect(producer.stdoutLines.first?.count == 32)
        #expect(device.waitFor(count: 1))
        #expect(device.messages.first?.topic == "devices/py/set")
        #expect(device.messages.first?.payload == Array("from-python".utf8))

        let refused = try ManagedProcess(
            executable: "/usr/bin/python3",
            arguments: [Self.script, "produce", "--endpoint", fixture.acceptEndpoint, "--topic", "DEVICE_CMD", "--tag", "cmd",
                        "--property", "qoslevel=9", "--body", "bad"])
        #expect(refused.waitForExit(timeout: .seconds(30)) == 1)
        #expect(refused.stderrText.contains("invalid_qos"))
    }
}

/// The Python peer's own unit tests (against a fake hub), run as part of `swift test`.
@Suite struct PythonPeerUnitTests {
    @Test func pythonUnitTestsPass() throws {
        let process = try ManagedProcess(
            executable: "/usr/bin/python3",
            arguments: ["-m", "unittest", "discover", "-s", "tools/python"],
            currentDirectory: BridgeFixture.repositoryRoot.path)
        let status = process.waitForExit(timeout: .seconds(120))
        #expect(status == 0, "\(process.stderrText)")
        #expect(process.stderrText.contains("OK"), "\(process.stderrText)")
    }
}
