import Foundation
import LoopbackHarness
import Mosquitto
import Testing

/// The bridge to Mosquitto over TLS with a user name and password, through a throwaway CA made with openssl.
@Suite(.serialized) struct TLSFlowTests {
    static let rules = BridgeFixture.telemetryAndCommands
    static let users = ["bridge": "s3cret-pass"]

    static func brokerOptions() -> MosquittoBroker.Options {
        MosquittoBroker.Options(users: users, extraConfig: BridgeFixture.brokerQueueConfig, tlsListener: true)
    }

    @Test(arguments: [BridgeFixture.Mode.inProcess, .runCommand])
    func bridgeCarriesMessagesOverTLSWithPassword(mode: BridgeFixture.Mode) throws {
        let fixture = try BridgeFixture(
            mode: mode, rules: Self.rules, mqttSettings: ["username: bridge", "password: s3cret-pass"],
            brokerOptions: Self.brokerOptions(), access: .tls())
        defer { fixture.stop() }
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA")
        defer { consumer.stop() }
        // Devices use the broker's plain listener; only the bridge speaks TLS.
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@tls-1")
        defer { device.close() }
        try waitUntilBridgeFlows(publisher: device, topic: "sensors/probe/x", consumer: consumer, fixture: fixture)
        _ = try device.client.publish(topic: "sensors/room1/temp", payload: Array("22".utf8), qos: .atLeastOnce)
        #expect(consumer.waitFor(count: 1))
        #expect(consumer.messages.first?.body == Array("22".utf8))

        try device.subscribe("devices/#")
        let produce = try ManagedProcess(executable: BridgeFixture.executable.path, arguments: [
            "produce", "--endpoint", fixture.acceptEndpoint, "--topic", "DEVICE_CMD", "--property", "mqttSecondTopic=/tls/set", "--body", "on",
        ])
        #expect(produce.waitForExit(timeout: .seconds(30)) == 0, "\(produce.stderrText)")
        #expect(device.waitFor(count: 1))
        // The broker saw the bridge log in as 'bridge' on its TLS port.
        let tlsPort = try #require(fixture.broker.tlsPort)
        #expect(waitUntilBlocking(timeout: .seconds(10)) {
            fixture.broker.logText.contains("u'bridge'") && fixture.broker.logText.contains("on port \(tlsPort)")
        }, "\(fixture.broker.logText)")
    }

    @Test func wrongPasswordIsLoggedClearlyAndTheBridgeKeepsTrying() throws {
        let fixture = try BridgeFixture(
            mode: .runCommand, rules: Self.rules, mqttSettings: ["username: bridge", "password: wrong"],
            brokerOptions: Self.brokerOptions(), access: .tls())
        defer { fixture.stop() }
        let refused = waitUntilBlocking(timeout: .seconds(20)) { fixture.bridgeLog.contains("refused the connection") }
        #expect(refused, "\(fixture.bridgeLog)")
        let log = fixture.bridgeLog
        #expect(log.contains("Bad user name or password") || log.contains("Not authorized"), "\(log)")
        #expect(log.contains("check mqtt.username ('bridge') and the password"), "\(log)")
        #expect(!log.contains("wrong"), "the password itself is never logged")
        // libmosquitto gives up after a refused MQTT 5 CONNACK; the worker connects again with back-off.
        let retried = waitUntilBlocking(timeout: .seconds(20)) {
            fixture.broker.logText.components(separatedBy: "not authorised").count - 1 >= 2
        }
        #expect(retried, "\(fixture.broker.logText)")
        #expect(fixture.isRunning, "no crash: \(log)")
    }

    @Test func untrustedCAIsRefused() throws {
        let otherCA = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-other-ca-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: otherCA) }
        let untrusted = try TLSCertificates.generate(in: otherCA, caName: "someone else's CA")
        let fixture = try BridgeFixture(
            mode: .runCommand, rules: Self.rules, mqttSettings: ["username: bridge", "password: s3cret-pass"],
            brokerOptions: Self.brokerOptions(), access: .tls(caFile: untrusted.caFile))
        defer { fixture.stop() }
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA")
        defer { consumer.stop() }
        let failed = waitUntilBlocking(timeout: .seconds(20)) { fixture.bridgeLog.contains("certificate verify failed") }
        #expect(failed, "\(fixture.bridgeLog)")
        #expect(fixture.bridgeLog.contains("is not signed by a CA in mqtt.caFile (\(untrusted.caFile))"), "\(fixture.bridgeLog)")
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@tls-2")
        defer { device.close() }
        _ = try device.client.publish(topic: "sensors/room1/temp", payload: Array("x".utf8), qos: .atLeastOnce)
        #expect(!consumer.waitFor(count: 1, timeout: .seconds(2)), "nothing passes an untrusted broker")
        #expect(!fixture.broker.logText.contains("u'bridge'"), "the bridge never logged in")
        #expect(fixture.isRunning)
    }
}
