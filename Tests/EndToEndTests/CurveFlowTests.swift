import BridgeCore
import BridgeRuntime
import Foundation
import LoopbackHarness
import Testing
import ZeroMQ

/// CURVE on the hub's tcp:// endpoints, with real ZeroMQ sockets, a real Mosquitto and real processes.
@Suite(.serialized) struct CurveFlowTests {
    static let rules = BridgeFixture.telemetryAndCommands

    @Test func allowedConsumerReceivesOutflowOverCurve() throws {
        let curve = try FixtureCurve.generate()
        let fixture = try BridgeFixture(mode: .inProcess, rules: Self.rules, curve: curve)
        defer { fixture.stop() }
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA", curve: curve.clientKeys)
        defer { consumer.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@curve-1")
        defer { device.close() }
        try waitUntilBridgeFlows(publisher: device, topic: "sensors/probe/x", consumer: consumer, fixture: fixture)

        _ = try device.client.publish(topic: "sensors/room1/temp", payload: Array("21.5".utf8), qos: .atLeastOnce)
        #expect(consumer.waitFor(count: 1))
        #expect(consumer.messages.first?.tag == "temp")
        #expect(consumer.messages.first?.body == Array("21.5".utf8))
        #expect(fixture.curveRefusals == 0)
    }

    /// Strangers get nothing through and are counted; the hub goes on serving the allowed consumer.
    @Test func unknownConsumerAndProducerAreRefusedAndCounted() throws {
        let curve = try FixtureCurve.generate()
        let fixture = try BridgeFixture(mode: .inProcess, rules: Self.rules, curve: curve)
        defer { fixture.stop() }
        let allowed = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA", curve: curve.clientKeys)
        defer { allowed.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@curve-2")
        defer { device.close() }
        try waitUntilBridgeFlows(publisher: device, topic: "sensors/probe/x", consumer: allowed, fixture: fixture)

        let strangerKeys = CurveClientKeys(serverPublicKey: curve.hub.publicKey, clientKeys: try CurveKeyPair.generate())
        let stranger = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA", curve: strangerKeys)
        defer { stranger.stop() }
        let refusal = try #require(stranger.waitForError())
        #expect(refusal.contains("refused its CURVE public key \(strangerKeys.clientKeys.publicKey) (ZAP status 400)"), "\(refusal)")
        #expect(refusal.contains("hub.curve.allowedClients"))

        let producer = try QueueProducerClient(context: fixture.context, endpoint: fixture.acceptEndpoint, curve: strangerKeys)
        defer { producer.close() }
        let produced = #expect(throws: QueueClientError.self) {
            try producer.send(QueueMessage(topic: "DEVICE_CMD", body: Array("x".utf8)), timeoutMs: 10_000)
        }
        #expect("\(produced.map { "\($0)" } ?? "")".contains("ZAP status 400"))

        // A client without CURVE cannot talk to a CURVE endpoint either, and is told why.
        let plain = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA")
        defer { plain.stop() }
        #expect(plain.waitForError()?.contains("uses CURVE (security mechanism mismatch)") == true, "\(plain.error ?? "no error")")

        #expect((fixture.curveRefusals ?? 0) >= 2, "the consumer's and the producer's refusals are counted")
        _ = try device.client.publish(topic: "sensors/room1/hum", payload: Array("40".utf8), qos: .atLeastOnce)
        #expect(allowed.waitFor(count: 1), "the hub keeps serving the allowed consumer")
        #expect(stranger.messages.isEmpty && stranger.probesReceived == 0)
        #expect(plain.messages.isEmpty && plain.probesReceived == 0)
    }

    @Test func wrongServerKeyCannotConnect() throws {
        let curve = try FixtureCurve.generate()
        let fixture = try BridgeFixture(mode: .inProcess, rules: Self.rules, curve: curve)
        defer { fixture.stop() }
        let impostor = try CurveKeyPair.generate()
        let misled = CurveClientKeys(serverPublicKey: impostor.publicKey, clientKeys: curve.client)
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA", curve: misled)
        defer { consumer.stop() }
        let failure = try #require(consumer.waitForError())
        #expect(failure.contains("the CURVE handshake with the hub at \(fixture.publishEndpoint) failed 3 times"), "\(failure)")
        #expect(failure.contains("check the hub's public key"))
        #expect(!failure.contains(curve.client.secretKey))

        // The CLI says the same and exits 1, well before its timeout.
        let produce = try ManagedProcess(executable: BridgeFixture.executable.path, arguments: [
            "produce", "--endpoint", fixture.acceptEndpoint, "--topic", "DEVICE_CMD", "--body", "x", "--timeout", "30",
            "--curve-server-key=\(impostor.publicKey)", "--curve-secret-key-env", "CLIENT_KEY",
        ], environment: ["CLIENT_KEY": curve.client.secretKey])
        #expect(produce.waitForExit(timeout: .seconds(20)) == 1)
        #expect(produce.stderrText.contains("CURVE handshake with the hub"), "\(produce.stderrText)")
        #expect(fixture.curveRefusals == 0, "a wrong server key fails before the hub's authenticator is asked")
    }

    /// `mqbridge hub` and `mqbridge worker mqtt` as two processes over CURVE; `consume` and `produce` too.
    @Test func hubAndWorkerProcessesCarryMessagesOverCurve() throws {
        let curve = try FixtureCurve.generate()
        let fixture = try BridgeFixture(mode: .separateProcesses, rules: Self.rules, curve: curve)
        defer { fixture.stop() }
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA", curve: curve.clientKeys)
        defer { consumer.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@curve-3")
        defer { device.close() }
        try waitUntilBridgeFlows(publisher: device, topic: "sensors/probe/x", consumer: consumer, fixture: fixture)
        #expect(fixture.bridgeLog.contains(curve.hub.publicKey), "the hub logs its public key")
        #expect(!fixture.bridgeLog.contains(curve.hub.secretKey) && !fixture.bridgeLog.contains(curve.worker.secretKey))

        let cliConsumer = try ManagedProcess(executable: BridgeFixture.executable.path, arguments: [
            "consume", "--endpoint", fixture.publishEndpoint, "--topic", "SENSOR_DATA", "--tags", "temp", "--count", "1",
            "--timeout", "60", "--curve-server-key=\(curve.hub.publicKey)", "--curve-secret-key-env", "CLIENT_KEY",
        ], environment: ["CLIENT_KEY": curve.client.secretKey])
        // The CLI consumer is ready once the hub has welcomed it; publish until it has a message.
        let deadline = Deadline(timeout: .seconds(30))
        while cliConsumer.isRunning && !deadline.hasPassed {
            _ = try device.client.publish(topic: "sensors/room2/temp", payload: Array("19".utf8), qos: .atLeastOnce)
            _ = cliConsumer.waitForExit(timeout: .milliseconds(500))
        }
        #expect(cliConsumer.waitForExit(timeout: .seconds(5)) == 0, "\(cliConsumer.stderrText)")
        #expect(cliConsumer.stdoutText.contains(#""tag":"temp""#))

        try device.subscribe("devices/#")
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-client-\(UUID().uuidString).key").path
        try KeyFiles.writeSecret(curve.client.secretKey, to: keyFile)
        defer { try? FileManager.default.removeItem(atPath: keyFile) }
        let serverKeyFile = keyFile + ".hub.pub"
        try (curve.hub.publicKey + "\n").write(toFile: serverKeyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: serverKeyFile) }
        let produce = try ManagedProcess(executable: BridgeFixture.executable.path, arguments: [
            "produce", "--endpoint", fixture.acceptEndpoint, "--topic", "DEVICE_CMD", "--property", "mqttSecondTopic=/dev-9/set",
            "--body", "open", "--curve-server-key-file", serverKeyFile, "--curve-secret-key-file", keyFile,
        ])
        #expect(produce.waitForExit(timeout: .seconds(30)) == 0, "\(produce.stderrText)\n\(fixture.bridgeLog)")
        #expect(device.waitFor(count: 1))
        #expect(device.messages.first?.topic == "devices/dev-9/set")
    }
}

enum KeyFiles {
    static func writeSecret(_ key: String, to path: String) throws {
        try (key + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }
}
