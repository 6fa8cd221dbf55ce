import Foundation
import TestSupport
import LoopbackHarness
import Mosquitto
import NATS
import Testing

/// Faults on the JetStream queue side, each counting unique message IDs in the stream: missing ones fail
/// the test, duplicates are reported (the goal is none: a resend keeps its msgId, so JetStream's duplicate
/// window drops the copy).
@Suite(.serialized) struct JetStreamFaultTests {
    static func ids(_ count: Int, prefix: String) -> [String] { (0..<count).map { "\(prefix)-\($0)" } }

    /// Publishes each ID at QoS 1 on `sensors/<device>/x`, devices taking turns.
    static func publish(_ ids: some Collection<String>, from publisher: MQTTTestClient) throws {
        for (index, id) in ids.enumerated() {
            _ = try publisher.client.publish(topic: "sensors/dev\(index % 10)/x", payload: Array(id.utf8), qos: .atLeastOnce)
        }
    }

    static func start(_ fixture: JetStreamFixture, client: String) throws -> MQTTTestClient {
        let publisher = try MQTTTestClient(broker: fixture.broker, id: client)
        try JetStreamFlowTests.waitUntilFlowing(fixture, publisher: publisher)
        return publisher
    }

    static func storedCount(_ fixture: JetStreamFixture) -> UInt64 {
        ((try? fixture.jetStream().streamInfo(name: "mq_SENSOR_DATA"))??.state.messages) ?? 0
    }

    @Test func natsServerKilledAndRestartedMidStreamLosesNothing() throws {
        let fixture = try JetStreamFixture()
        defer { fixture.stop() }
        let publisher = try Self.start(fixture, client: "GID_sensors@@@nats-kill")
        defer { publisher.close() }
        let ids = Self.ids(3_000, prefix: "natskill")
        try Self.publish(ids[..<1_000], from: publisher)
        _ = waitUntilBlocking(timeout: .seconds(30)) { Self.storedCount(fixture) >= 300 }
        fixture.nats.kill()
        try Self.publish(ids[1_000...], from: publisher)
        Thread.sleep(forTimeInterval: 2)
        try fixture.nats.start()
        let tally = try fixture.waitForAll(ids, in: "mq_SENSOR_DATA")
        print("nats-server killed and restarted mid-stream: \(tally)")
        #expect(tally.missing.isEmpty, "\(tally); first missing \(tally.missing.prefix(5))\n\(fixture.bridgeLog.suffix(3_000))")
    }

    @Test func bridgeKilledMidStreamLosesNothing() throws {
        let fixture = try JetStreamFixture()
        defer { fixture.stop() }
        let publisher = try Self.start(fixture, client: "GID_sensors@@@bridge-kill")
        defer { publisher.close() }
        let ids = Self.ids(3_000, prefix: "bridgekill")
        try Self.publish(ids[..<1_500], from: publisher)
        _ = waitUntilBlocking(timeout: .seconds(30)) { Self.storedCount(fixture) >= 300 }
        fixture.killBridge()
        try Self.publish(ids[1_500...], from: publisher)
        try fixture.startBridge()
        let tally = try fixture.waitForAll(ids, in: "mq_SENSOR_DATA")
        print("bridge killed with kill -9 mid-stream: \(tally)")
        #expect(tally.missing.isEmpty, "\(tally); first missing \(tally.missing.prefix(5))\n\(fixture.bridgeLog.suffix(3_000))")
    }

    @Test func jetStreamDownAtStartIsWaitedFor() throws {
        let fixture = try JetStreamFixture(startNATS: false)
        defer { fixture.stop() }
        let publisher = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@early-bird")
        defer { publisher.close() }
        // Probes until the bridge's subscription takes them: the hub holds them for the engine.
        let held = try probeUntilGauge("mqbridge_held_for_engine", apiPort: fixture.apiPort, publisher: publisher)
        #expect(held >= 1, "the hub holds messages while JetStream is down:\n\(fixture.bridgeLog.suffix(2_000))")
        let ids = Self.ids(500, prefix: "down")
        try Self.publish(ids, from: publisher)
        // Every message is in the bridge's journal, held (the hub has a window of them) while JetStream is down.
        #expect(waitUntilBlocking(timeout: .seconds(30)) {
            ((try? MetricsTests.scrape(fixture.apiPort))?["mqbridge_spool_messages"] ?? 0) >= Double(ids.count)
        }, "the bridge keeps every message while JetStream is down:\n\(fixture.bridgeLog.suffix(2_000))")
        #expect(fixture.processes.allSatisfy { $0.isRunning }, "the bridge waits for JetStream:\n\(fixture.bridgeLog.suffix(2_000))")
        #expect(fixture.bridgeLog.contains("waiting for JetStream"), "\(fixture.bridgeLog.suffix(2_000))")
        let health = try HTTPClient.get(host: "127.0.0.1", port: fixture.apiPort, path: "/healthz")
        #expect(health.status == 503, "healthz says the engine is missing: \(String(decoding: health.body, as: UTF8.self))")
        #expect(String(decoding: health.body, as: UTF8.self).contains("jetstream"))
        #expect(try MetricsTests.scrape(fixture.apiPort)["mqbridge_jetstream_connected"] == 0)
        try fixture.nats.start()
        let tally = try fixture.waitForAll(ids, in: "mq_SENSOR_DATA")
        print("JetStream down when the bridge started: \(tally)")
        #expect(tally.missing.isEmpty, "\(tally); first missing \(tally.missing.prefix(5))\n\(fixture.bridgeLog.suffix(3_000))")
        _ = waitUntilBlocking(timeout: .seconds(10)) { (try? HTTPClient.get(host: "127.0.0.1", port: fixture.apiPort, path: "/healthz"))?.status == 200 }
        let metrics = try MetricsTests.scrape(fixture.apiPort)
        #expect(metrics["mqbridge_jetstream_connected"] == 1)
        #expect(metrics["mqbridge_jetstream_streams_ready"] == 1)
        #expect((metrics["mqbridge_jetstream_acked_total"] ?? 0) >= 500)
        #expect(metrics["mqbridge_held_for_engine"] == 0)
        #expect(metrics["mqbridge_unrouted_total"] == 0)
    }

    /// A stream at its byte cap with discard-new refuses new messages: the bridge holds them (back-pressure
    /// to the broker, nothing dropped) and stores every one once the stream has room again.
    @Test func aFullStreamMeansBackPressureNotLoss() throws {
        let fixture = try JetStreamFixture(jetstream: ["maxBytes: 65536", "discard: new"])
        defer { fixture.stop() }
        let publisher = try Self.start(fixture, client: "GID_sensors@@@full")
        defer { publisher.close() }
        let jetStream = try fixture.jetStream()
        let ids = Self.ids(1_500, prefix: "full")
        try Self.publish(ids, from: publisher)

        // The stream fills up and refuses the rest: the bridge keeps them and keeps trying.
        var metrics: [String: Double] = [:]
        let full = waitUntilBlocking(timeout: .seconds(60), pollInterval: .milliseconds(200)) {
            metrics = (try? MetricsTests.scrape(fixture.apiPort)) ?? [:]
            return (metrics["mqbridge_jetstream_publish_failures_total"] ?? 0) > 0 && (metrics["mqbridge_jetstream_pending"] ?? 0) > 0
        }
        #expect(full, "the stream filled and the bridge held the rest: \(metrics.filter { $0.key.contains("jetstream") })")
        Thread.sleep(forTimeInterval: 2)
        let first = try JetStreamFixture.messages(in: "mq_SENSOR_DATA", via: jetStream)
        let stillPending = (try? MetricsTests.scrape(fixture.apiPort))?["mqbridge_jetstream_pending"] ?? 0
        #expect(first.count < ids.count && stillPending > 0, "a full stream holds \(first.count); the bridge holds \(stillPending)")

        // Room: the stream is replaced by one without the cap (nats-server 2.9 cannot raise it in place here).
        // While it is gone the bridge's publishes fail and are sent again.
        try jetStream.deleteStream(name: "mq_SENSOR_DATA")
        _ = try jetStream.addStream(StreamConfig(name: "mq_SENSOR_DATA", subjects: ["mq.SENSOR_DATA.>"], duplicateWindow: .seconds(600)))
        let wanted = Set(ids)
        var second: [StoredMessage] = []
        _ = waitUntilBlocking(timeout: .seconds(120), pollInterval: .milliseconds(500)) {
            second = (try? JetStreamFixture.messages(in: "mq_SENSOR_DATA", via: jetStream)) ?? []
            let seen = Set((first + second).map { String(decoding: $0.body, as: UTF8.self) })
            return wanted.isSubset(of: seen)
        }
        var counts: [String: Int] = [:]
        for message in first + second { counts[String(decoding: message.body, as: UTF8.self), default: 0] += 1 }
        let missing = ids.filter { counts[$0] == nil }
        let duplicates = ids.reduce(0) { $0 + max(0, (counts[$1] ?? 0) - 1) }
        print("stream at maxBytes with discard new: \(first.count) stored while full, the rest held and stored later; \(missing.count) missing, \(duplicates) duplicates")
        #expect(missing.isEmpty, "first missing \(missing.prefix(5))\n\(fixture.bridgeLog.suffix(3_000))")
        #expect(fixture.processes.allSatisfy { $0.isRunning })
    }
}

/// Inflow from JetStream when the MQTT side is away, and a stream the bridge must not change.
@Suite(.serialized) struct JetStreamInflowFaultTests {
    static let device = "GID_dev@@@keeps-session"

    /// Commands published to JetStream while the broker is down wait in the stream and are each published
    /// once when it is back: none lost, none published twice because of a timeout.
    @Test func commandsWaitInTheStreamWhileTheBrokerIsDown() throws {
        let fixture = try JetStreamFixture(jetstream: ["ackWait: 3s"])
        defer { fixture.stop() }
        let first = try MQTTTestClient(broker: fixture.broker, id: Self.device, cleanStart: false)
        try first.subscribe("devices/#", qos: .atLeastOnce)
        try JetStreamFlowTests.waitUntilFlowing(fixture, publisher: first)
        first.close()
        fixture.broker.stopProcess()

        let jetStream = try fixture.jetStream()
        let ids = (0..<200).map { "cmd-\($0)" }
        for id in ids {
            _ = try jetStream.publish(
                NATSOutgoingMessage(subject: "mq.DEVICE_CMD.set", headers: [("mqttSecondTopic", "/d1/cmd"), ("qoslevel", "1")], body: Array(id.utf8)),
                msgId: id, timeoutMs: 5_000)
        }
        // Longer than the consumers' ack wait (3 s): the bridge keeps the messages from being redelivered
        // behind its back while it cannot publish them.
        Thread.sleep(forTimeInterval: 7)
        try fixture.broker.start()
        let device = try MQTTTestClient(broker: fixture.broker, id: Self.device, cleanStart: false)
        defer { device.close() }
        let wanted = Set(ids)
        _ = waitUntilBlocking(timeout: .seconds(90), pollInterval: .milliseconds(200)) {
            wanted.isSubset(of: Set(device.messages.map { String(decoding: $0.payload, as: UTF8.self) }))
        }
        Thread.sleep(forTimeInterval: 2)
        var counts: [String: Int] = [:]
        for message in device.messages where message.topic == "devices/d1/cmd" { counts[String(decoding: message.payload, as: UTF8.self), default: 0] += 1 }
        let missing = ids.filter { counts[$0] == nil }
        let duplicates = counts.values.reduce(0) { $0 + max(0, $1 - 1) }
        print("commands while the broker was down: \(ids.count - missing.count) of \(ids.count) published, \(missing.count) missing, \(duplicates) duplicates")
        let metrics = try MetricsTests.scrape(fixture.apiPort)
        #expect(missing.isEmpty, "first missing \(missing.prefix(5)); \(metrics.filter { $0.key.contains("inflow") || $0.key.contains("rejected") })\n\(fixture.bridgeLog.suffix(3_000))")
        #expect(duplicates == 0)
        #expect(metrics["mqbridge_jetstream_inflow_acked_total"] == Double(ids.count))
    }

    /// A stream that exists with other subjects is never changed: the bridge stops with a clear error.
    @Test func aConflictingStreamIsAClearStartUpError() throws {
        let fixture = try JetStreamFixture(startBridge: false)
        defer { fixture.stop() }
        _ = try fixture.jetStream().addStream(StreamConfig(name: "mq_SENSOR_DATA", subjects: ["elsewhere.>"]))
        try fixture.startBridge()
        let bridge = try #require(fixture.processes.first)
        let code = bridge.waitForExit(timeout: .seconds(30))
        #expect(code == 1, "exit code \(String(describing: code)); log:\n\(fixture.bridgeLog.suffix(2_000))")
        #expect(bridge.stderrText.contains("JetStream stream mq_SENSOR_DATA exists with other settings"))
        #expect(bridge.stderrText.contains("without mq.SENSOR_DATA.>"))
        let info = try #require(try fixture.jetStream().streamInfo(name: "mq_SENSOR_DATA"))
        #expect(info.config.subjects == ["elsewhere.>"], "the stream was left as it was")
    }
}
