import BridgeCore
import BridgeRuntime
import Foundation
import LoopbackHarness
import Testing
import WireProtocol

/// A producer told that a message failed can rely on it never being published: while the broker is down
/// the bridge answers `broker_unavailable` at once, and nothing it refused turns up when the broker is back.
@Suite(.serialized) struct InflowBrokerDownTests {
    @Test(arguments: [BridgeFixture.Mode.inProcess, .runCommand])
    func aProducerIsToldAndARefusedMessageIsNeverPublished(mode: BridgeFixture.Mode) throws {
        let fixture = try BridgeFixture(mode: mode, rules: InflowFlowTests.rules)
        defer { fixture.stop() }
        let producer = try QueueProducerClient(context: fixture.context, endpoint: fixture.acceptEndpoint, name: "ops")
        defer { producer.close() }
        func command(_ body: String) -> QueueMessage {
            QueueMessage(topic: "DEVICE_CMD", tag: "cmd", properties: ["mqttSecondTopic": "/dev-1/set", "qoslevel": "1"], body: Array(body.utf8))
        }
        // The bridge works end to end first.
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@dev-1", cleanStart: false)
        try device.subscribe("devices/#", qos: .atLeastOnce)
        _ = try producer.send(command("before"), timeoutMs: 20_000)
        #expect(device.waitFor(count: 1))
        device.close()

        fixture.broker.stopProcess()
        var refusals: [WireErrorReport] = []
        var refusedBodies: Set<String> = []
        /// Sends one command; true when it was published, false when the bridge said it was not.
        func send(_ body: String) throws -> Bool {
            do {
                _ = try producer.send(command(body), timeoutMs: 15_000)
                return true
            } catch QueueClientError.refused(let report) {
                refusals.append(report)
                refusedBodies.insert(body)
                return false
            }
        }
        // While the broker is down: each is refused (not left to the producer's timeout). One sent before the
        // worker noticed the broker was gone may still be taken, and is then published when it is back.
        for index in 0..<3 { _ = try send("down-\(index)") }
        #expect(refusals.count >= 2, "refused while the broker is down: \(refusals)")
        #expect(refusals.allSatisfy { $0.code == WireErrorCode.brokerUnavailable }, "\(refusals)")
        #expect(refusals.allSatisfy { $0.message.contains("was not published") }, "\(refusals)")

        try fixture.broker.start()
        let back = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@dev-1", cleanStart: false)
        defer { back.close() }
        // A producer that was told to try again does so until the bridge has the broker back.
        var attempts = 0
        while try !send("after-\(attempts)") {
            attempts += 1
            #expect(attempts < 30, "the bridge never published again")
            if attempts >= 30 { break }
        }
        // The last command sent: what the bridge published before it (a refused command, wrongly) is in by then.
        #expect(waitUntilBlocking(timeout: .seconds(30)) {
            back.messages.contains { $0.payload == Array("after-\(attempts)".utf8) }
        })
        let bodies = back.messages.map { String(decoding: $0.payload, as: UTF8.self) }
        print("broker down: \(refusals.count) commands refused with broker_unavailable; published afterwards: \(bodies)")
        // No command the producer was told failed is ever published.
        #expect(Set(bodies).isDisjoint(with: refusedBodies), "\(bodies)")
    }
}
