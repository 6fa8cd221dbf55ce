import Foundation
import TestSupport
import LoopbackHarness
import NATS
import Testing

/// Inflow with two bridges: both read the one durable pull consumer of the inflow rule, so JetStream gives
/// each command to one of them. A bridge killed with kill -9 in the middle of a stream of commands loses
/// none: what it had fetched and not acknowledged is delivered again after the ack wait. The device is an
/// independent MQTT client (`mosquitto_sub`); commands it receives twice are counted and reported.
@Suite(.serialized) struct SharedInflowTests {
    static let device = "GID_dev@@@shared-inflow"

    /// Payload lines `mosquitto_sub` printed.
    static func received(_ subscriber: ManagedProcess) -> [String] {
        subscriber.stdoutText.split(separator: "\n").map(String.init)
    }

    static func command(_ id: String) -> NATSOutgoingMessage {
        NATSOutgoingMessage(subject: "mq.DEVICE_CMD.set", headers: [("mqttSecondTopic", "/d1/cmd"), ("qoslevel", "1")], body: Array(id.utf8))
    }

    @Test func bridgesShareOneDurableConsumerAndAKilledOneLosesNothing() throws {
        let fixture = try JetStreamFixture(jetstream: ["ackWait: 3s"], mqtt: ["sharedGroup: bridges"])
        defer { fixture.stop() }
        let sibling = try fixture.addBridge()
        let subscriber = try ManagedProcess(
            executable: try ManagedProcess.resolve("mosquitto_sub"),
            arguments: ["-h", "127.0.0.1", "-p", "\(fixture.broker.port)", "-i", Self.device, "-q", "1", "-t", "devices/d1/cmd"])
        defer { _ = subscriber.terminate(timeout: .seconds(5)) }
        let jetStream = try fixture.jetStream()

        // Probes until one reaches the device: the stream and the consumer exist and both bridges run.
        var probes = 0
        _ = waitUntilBlocking(timeout: .seconds(60), pollInterval: .milliseconds(200)) {
            _ = try? jetStream.publish(Self.command("probe-\(probes)"), msgId: "probe-\(probes)", timeoutMs: 2_000)
            probes += 1
            return Self.received(subscriber).contains { $0.hasPrefix("probe-") }
        }
        #expect(Self.received(subscriber).contains { $0.hasPrefix("probe-") }, "commands reach the device:\n\(fixture.bridgeLog.suffix(3_000))")

        let ids = (0..<3_000).map { "shared-cmd-\($0)" }
        for id in ids[..<1_500] { _ = try jetStream.publish(Self.command(id), msgId: id, timeoutMs: 5_000) }
        _ = waitUntilBlocking(timeout: .seconds(60)) { Self.received(subscriber).count >= 500 }
        fixture.killBridge()
        for id in ids[1_500...] { _ = try jetStream.publish(Self.command(id), msgId: id, timeoutMs: 5_000) }
        try fixture.startBridge()

        let wanted = Set(ids)
        _ = waitUntilBlocking(timeout: .seconds(120), pollInterval: .milliseconds(200)) { wanted.isSubset(of: Set(Self.received(subscriber))) }
        Thread.sleep(forTimeInterval: 2)  // duplicates still in flight are counted too
        let tally = JetStreamFixture.Tally(expected: ids, bodies: Self.received(subscriber).filter { wanted.contains($0) })
        print("two bridges on one consumer, one killed with kill -9 mid-stream: \(tally) at the device")
        #expect(tally.missing.isEmpty, "\(tally); first missing \(tally.missing.prefix(5))\n\(fixture.bridgeLog.suffix(3_000))")

        // One durable consumer for the rule, read by both bridges.
        #expect(try jetStream.consumerNames(stream: "mq_DEVICE_CMD") == ["mqbridge_commands"])
        let survivor = try MetricsTests.scrape(sibling.apiPort)
        #expect((survivor["mqbridge_jetstream_inflow_acked_total"] ?? 0) > 0, "the other bridge took commands: \(survivor.filter { $0.key.contains("inflow") })")
        // Redeliveries of what the killed bridge held are acknowledged last: wait for the ack floor to catch up.
        func consumerInfo() throws -> ConsumerInfo? { try jetStream.consumerInfo(stream: "mq_DEVICE_CMD", name: "mqbridge_commands") }
        _ = waitUntilBlocking(timeout: .seconds(60)) {
            guard let info = try? consumerInfo() else { return false }
            return info.ackFloorStreamSequence == info.deliveredStreamSequence && info.ackPending == 0
        }
        let consumer = try #require(try consumerInfo())
        #expect(consumer.ackFloorStreamSequence == consumer.deliveredStreamSequence && consumer.ackPending == 0, "every command acknowledged: \(consumer)")
    }
}
