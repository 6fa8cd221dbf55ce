import BridgeCore
import Foundation
import LoopbackHarness
import Mosquitto
import Testing
import WireProtocol
import ZeroMQ

/// Faults the bridge must survive without losing a message: every test publishes messages carrying unique
/// IDs, counts what arrives by ID, asserts that none is missing and reports the duplicates (at-least-once
/// delivery allows them).
@Suite(.serialized) struct FaultTests {
    /// Per-device keys (the second topic level), so per-key order can be checked.
    static let rules = """
        outflow:
          - id: telemetry
            mqtt: sensors/#
            queueTopic: SENSOR_DATA
            keys: ["${level.2}"]

        """

    /// What a run delivered, by message ID.
    struct Tally: CustomStringConvertible {
        var counts: [String: Int] = [:]
        var missing: [String] = []

        init(expected: [String], received: [QueueMessage]) {
            for message in received { counts[String(decoding: message.body, as: UTF8.self), default: 0] += 1 }
            missing = expected.filter { counts[$0] == nil }
        }

        var duplicates: Int { counts.values.reduce(0) { $0 + max(0, $1 - 1) } }
        var description: String { "\(counts.count) distinct IDs received, \(missing.count) missing, \(duplicates) duplicates" }
    }

    static func ids(_ count: Int, prefix: String) -> [String] { (0..<count).map { "\(prefix)-\($0)" } }

    /// Publishes each ID at QoS 1 on `sensors/<device>/x`, devices taking turns.
    static func publish(_ ids: some Collection<String>, from publisher: MQTTTestClient, devices: Int = 10) throws {
        for (index, id) in ids.enumerated() {
            _ = try publisher.client.publish(topic: "sensors/dev\(index % devices)/x", payload: Array(id.utf8), qos: .atLeastOnce)
        }
    }

    static func waitForAll(_ ids: [String], at consumer: TestConsumer, timeout: Duration = .seconds(90)) -> Tally {
        let wanted = Set(ids)
        _ = waitUntilBlocking(timeout: timeout) {
            wanted.isSubset(of: Set(consumer.messages.map { String(decoding: $0.body, as: UTF8.self) }))
        }
        return Tally(expected: ids, received: consumer.messages)
    }

    /// Within each key, the first deliveries of the IDs come in publish order.
    static func keysInOrder(_ messages: [QueueMessage], ids: [String]) -> Bool {
        let position = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        var lastByKey: [String: Int] = [:]
        var seen: Set<String> = []
        for message in messages {
            let id = String(decoding: message.body, as: UTF8.self)
            guard let index = position[id], seen.insert(id).inserted, let key = message.keys.first else { continue }
            if let last = lastByKey[key], last > index { return false }
            lastByKey[key] = index
        }
        return true
    }

    static func start(_ mode: BridgeFixture.Mode) throws -> (BridgeFixture, TestConsumer, MQTTTestClient) {
        let fixture = try BridgeFixture(mode: mode, rules: rules, durableGroups: ["backend"])
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA", group: "backend")
        let publisher = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@publisher")
        try waitUntilBridgeFlows(publisher: publisher, topic: "sensors/probe/x", consumer: consumer, fixture: fixture)
        return (fixture, consumer, publisher)
    }

    @Test func bridgeKilledMidStreamLosesNothing() throws {
        let (fixture, consumer, publisher) = try Self.start(.runCommand)
        defer { fixture.stop() }
        defer { consumer.stop() }
        defer { publisher.close() }
        let ids = Self.ids(3_000, prefix: "kill")
        try Self.publish(ids[..<1_500], from: publisher)
        _ = waitUntilBlocking(timeout: .seconds(20)) { consumer.messages.count >= 300 }
        fixture.killBridge()
        try Self.publish(ids[1_500...], from: publisher)
        try fixture.startBridge()
        let tally = Self.waitForAll(ids, at: consumer)
        print("kill -9 mid-stream: \(tally)")
        #expect(tally.missing.isEmpty, "\(tally); first missing \(tally.missing.prefix(5))\n\(fixture.bridgeLog.suffix(2_000))")
    }

    /// The spool's disk fills up: the worker says so and does not acknowledge to the broker what the journal
    /// could not take, so a bridge killed then loses none of it: the broker sends it again to the bridge that
    /// starts once the disk has room. The spool is a tmpfs of its own, 1 MiB.
    @Test func aFullSpoolDiskHoldsTheBrokersAcknowledgements() throws {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-fullspool-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: spool) }
        try runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", spool])
        defer { _ = try? runTool("/bin/umount", [spool]) }
        let fixture = try BridgeFixture(mode: .runCommand, rules: Self.rules, durableGroups: ["backend"], spoolDirectory: spool)
        defer { fixture.stop() }
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA", group: "backend")
        defer { consumer.stop() }
        let publisher = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@publisher")
        defer { publisher.close() }
        try waitUntilBridgeFlows(publisher: publisher, topic: "sensors/probe/x", consumer: consumer, fixture: fixture)

        // Fills the disk (dd stops at ENOSPC).
        let filler = spool + "/filler"
        _ = try? runTool("/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=4k"])
        let ids = Self.ids(1_000, prefix: "full")
        try Self.publish(ids[..<500], from: publisher)
        #expect(waitUntilBlocking(timeout: .seconds(30)) { fixture.bridgeLog.contains("cannot spool outflow messages") },
                "\(fixture.bridgeLog.suffix(2_000))")
        fixture.killBridge()
        try FileManager.default.removeItem(atPath: filler)
        try Self.publish(ids[500...], from: publisher)
        try fixture.startBridge()
        let tally = Self.waitForAll(ids, at: consumer)
        print("spool disk full, then kill -9: \(tally)")
        #expect(tally.missing.isEmpty, "\(tally); first missing \(tally.missing.prefix(5))\n\(fixture.bridgeLog.suffix(2_000))")
    }

    @Test func sigtermExitsZeroAndLosesNothing() throws {
        let (fixture, consumer, publisher) = try Self.start(.runCommand)
        defer { fixture.stop() }
        defer { consumer.stop() }
        defer { publisher.close() }
        let ids = Self.ids(2_000, prefix: "term")
        try Self.publish(ids[..<1_000], from: publisher)
        _ = waitUntilBlocking(timeout: .seconds(20)) { consumer.messages.count >= 200 }
        let codes = fixture.terminateBridge()
        #expect(codes == [0], "SIGTERM exits 0: \(codes)\n\(fixture.bridgeLog.suffix(2_000))")
        try Self.publish(ids[1_000...], from: publisher)
        try fixture.startBridge()
        let tally = Self.waitForAll(ids, at: consumer)
        print("SIGTERM mid-stream: \(tally)")
        #expect(tally.missing.isEmpty, "\(tally)")
    }

    @Test func durableGroupAwayForAWhileGetsEverythingInKeyOrder() throws {
        let (fixture, consumer, publisher) = try Self.start(.inProcess)
        defer { fixture.stop() }
        defer { publisher.close() }
        consumer.stop()
        let ids = Self.ids(1_500, prefix: "away")
        try Self.publish(ids, from: publisher)
        // Nobody of group "backend" is connected: the bridge keeps a window of messages, the broker the rest.
        #expect(waitUntilBlocking(timeout: .seconds(20)) { (fixture.hubCounters?.heldForDurableGroups ?? 0) >= 1_000 })
        let returning = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA", group: "backend")
        defer { returning.stop() }
        let tally = Self.waitForAll(ids, at: returning)
        print("durable group away: \(tally)")
        #expect(tally.missing.isEmpty, "\(tally)")
        #expect(Self.keysInOrder(returning.messages, ids: ids), "per-key order kept")
        #expect(fixture.hubCounters?.unrouted == 0)
    }

    @Test func brokerRestartLosesNothingAtQoS1() throws {
        let (fixture, consumer, publisher) = try Self.start(.inProcess)
        defer { fixture.stop() }
        defer { consumer.stop() }
        defer { publisher.close() }
        let ids = Self.ids(2_000, prefix: "broker")
        try Self.publish(ids[..<1_000], from: publisher)
        _ = waitUntilBlocking(timeout: .seconds(20)) { consumer.messages.count >= 200 }
        try fixture.broker.restart()
        // The publisher's own library reconnects and sends again what the broker did not acknowledge.
        try Self.publish(ids[1_000...], from: publisher)
        let tally = Self.waitForAll(ids, at: consumer)
        print("broker restart: \(tally)")
        #expect(tally.missing.isEmpty, "\(tally)")
    }

    /// A group member that takes messages and never acknowledges them, then dies without BYE: the hub
    /// notices its silence and hands what it held to the other member.
    @Test func crashedConsumersMessagesGoToAnotherMember() throws {
        let (fixture, consumer, publisher) = try Self.start(.inProcess)
        defer { fixture.stop() }
        defer { consumer.stop() }
        defer { publisher.close() }
        let hoarder = try ZMQSocket(context: fixture.context, type: .dealer)
        try hoarder.setLinger(milliseconds: 0)
        try hoarder.setReceiveTimeout(milliseconds: 10_000)
        try hoarder.connect(fixture.publishEndpoint)
        _ = try hoarder.send(WireCodec.encode(.hello(Hello(role: .consumer, name: "hoarder", topic: "SENSOR_DATA", group: "backend", window: 50))))
        guard case .welcome? = try hoarder.receiveMessage().flatMap({ try? WireCodec.decode($0, form: .queue) }) else {
            Issue.record("no WELCOME for the hoarder")
            return
        }
        let ids = Self.ids(400, prefix: "crash")
        try Self.publish(ids, from: publisher, devices: 40)
        var hoarded = 0
        while hoarded < 10, let frames = try hoarder.receiveMessage(), case .queueData? = try? WireCodec.decode(frames, form: .queue) {
            hoarded += 1
        }
        #expect(hoarded >= 10, "the hoarder holds unacknowledged messages")
        hoarder.close()
        let tally = Self.waitForAll(ids, at: consumer, timeout: .seconds(30))
        print("crashed consumer: \(tally); the crashed member held at least \(hoarded)")
        #expect(tally.missing.isEmpty, "\(tally)")
    }

    /// A consumer in group `backend` that takes 2 ms per message with a window of 5, and a publisher, once messages
    /// flow through the bridge.
    static func slowConsumerAndPublisher(_ fixture: BridgeFixture) throws -> (TestConsumer, MQTTTestClient) {
        let slow = TestConsumer(
            context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA", group: "backend", window: 5,
            delayPerMessage: .milliseconds(2))
        do {
            let publisher = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@publisher")
            do {
                try waitUntilBridgeFlows(publisher: publisher, topic: "sensors/probe/x", consumer: slow, fixture: fixture)
            } catch {
                publisher.close()
                throw error
            }
            return (slow, publisher)
        } catch {
            slow.stop()
            throw error
        }
    }

    /// A consumer that takes its time: the bridge holds no more than the windows in memory and the
    /// broker keeps the rest, so the bridge's memory stays flat while thousands of messages wait.
    @Test func slowConsumerKeepsBridgeMemoryBounded() throws {
        let fixture = try BridgeFixture(mode: .runCommand, rules: Self.rules, durableGroups: ["backend"])
        defer { fixture.stop() }
        let (slow, publisher) = try Self.slowConsumerAndPublisher(fixture)
        defer { slow.stop() }
        defer { publisher.close() }
        let pid = try #require(fixture.bridgePids.first)
        let before = try #require(Self.residentKiB(pid))
        let ids = Self.ids(2_500, prefix: "slow")
        let payload = String(repeating: "x", count: 1_000)
        for (index, id) in ids.enumerated() {
            _ = try publisher.client.publish(topic: "sensors/dev\(index % 10)/x", payload: Array((id + " " + payload).utf8), qos: .atLeastOnce)
        }
        var peak = before
        _ = waitUntilBlocking(timeout: .seconds(60)) {
            peak = max(peak, Self.residentKiB(pid) ?? 0)
            return slow.messages.count >= ids.count
        }
        let received = Set(slow.messages.map { String(decoding: $0.body, as: UTF8.self).split(separator: " ").first.map(String.init) ?? "" })
        print("slow consumer: bridge RSS \(before) KiB before, peak \(peak) KiB while \(ids.count) messages of 1 KB passed through a consumer with window 5 (\(received.count) received)")
        #expect(received.isSuperset(of: ids))
        #expect(peak - before < 64 * 1024, "the bridge buffers at most its windows, not the backlog")
    }

    /// Without a spool (an `MQTTWorker` made with `spool: nil`; the commands always give it one) the hub's window
    /// is the back-pressure: a worker with a window of 10 behind a slow consumer carries every message once.
    @Test func withoutASpoolTheHubsWindowHoldsTheWorkerBack() throws {
        let fixture = try BridgeFixture(
            mode: .inProcess, rules: Self.rules, durableGroups: ["backend"], inProcessWorker: (window: 10, spool: false))
        defer { fixture.stop() }
        let (slow, publisher) = try Self.slowConsumerAndPublisher(fixture)
        defer { slow.stop() }
        defer { publisher.close() }
        let ids = Self.ids(1_000, prefix: "nospool")
        try Self.publish(ids, from: publisher)
        let tally = Self.waitForAll(ids, at: slow)
        print("without a spool, window 10: \(tally)")
        #expect(tally.missing.isEmpty, "\(tally)")
        #expect(tally.duplicates == 0, "\(tally)")
    }

    /// SIGHUP while messages stream: a valid file's rules take over with no message lost; an invalid one is
    /// refused with `check`'s messages and the rules in use stay.
    @Test func reloadUnderLoadLosesNothing() throws {
        let (fixture, consumer, publisher) = try Self.start(.runCommand)
        defer { fixture.stop() }
        defer { consumer.stop() }
        defer { publisher.close() }
        let alerts = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "ALERTS")
        defer { alerts.stop() }
        #expect(alerts.waitReady())
        let ids = Self.ids(3_000, prefix: "reload")
        let original = try String(contentsOfFile: fixture.configPath, encoding: .utf8)

        try Self.publish(ids[..<1_000], from: publisher)
        try (original + "  - id: alerts\n    mqtt: alerts/#\n    queueTopic: ALERTS\n").write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        fixture.signalBridge(SIGHUP)
        try Self.publish(ids[1_000..<2_000], from: publisher)
        // The new rule takes effect: the worker subscribes to alerts/# once the hub sends the new rules.
        let reloaded = waitUntilBlocking(timeout: .seconds(20)) {
            _ = try? publisher.client.publish(topic: "alerts/a", payload: Array("\(probeMark)-alert".utf8), qos: .atLeastOnce)
            return alerts.probesReceived > 0
        }
        #expect(reloaded, "\(fixture.bridgeLog.suffix(2_000))")

        let broken = original + "  - id: broken\n    mqtt: +/x\n    queueTopic: B\n"
        try broken.write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        fixture.signalBridge(SIGHUP)
        #expect(waitUntilBlocking(timeout: .seconds(10)) { fixture.bridgeLog.contains("refused, the rules in use stay") })
        let brokenLine = broken.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("+/x") }! + 1
        #expect(fixture.bridgeLog.contains("\(fixture.configPath):\(brokenLine):"), "the refusal names file and line")
        try Self.publish(ids[2_000...], from: publisher)
        let probes = alerts.probesReceived
        let stillRouted = waitUntilBlocking(timeout: .seconds(10)) {
            _ = try? publisher.client.publish(topic: "alerts/b", payload: Array("\(probeMark)-again".utf8), qos: .atLeastOnce)
            return alerts.probesReceived > probes
        }
        #expect(stillRouted, "the reloaded rules stay after a refused reload")

        let tally = Self.waitForAll(ids, at: consumer)
        print("reload under load: \(tally)")
        #expect(tally.missing.isEmpty, "\(tally)")
    }

    /// VmRSS of a process, in KiB.
    static func residentKiB(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        }
        return nil
    }
}

/// `queue.durable`: messages for a durable subscription declared in the mapping file are kept from the
/// bridge's first start, beyond the MQTT worker's window, in the bridge's own spool: the broker's per-client
/// queue (Mosquitto's default `max_queued_messages 1000`) does not limit them.
@Suite(.serialized) struct DeclaredDurableTests {
    @Test func messagesBeforeTheFirstMemberEverConnectedAreAllDelivered() throws {
        let fixture = try BridgeFixture(
            mode: .runCommand, rules: FaultTests.rules,
            queueSettings: ["durable:", "  - group: backend", "    topic: SENSOR_DATA"],
            withAPI: true, brokerOptions: MosquittoBroker.Options())
        defer { fixture.stop() }
        let publisher = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@declared")
        defer { publisher.close() }
        // Probes until the hub holds one for the group: the bridge is subscribed and the subscription declared.
        let held = try probeUntilGauge("mqbridge_held_for_durable_groups", apiPort: fixture.apiPort!, publisher: publisher)
        #expect(held >= 1, "the hub holds messages for the declared group:\n\(fixture.bridgeLog.suffix(2_000))")
        let ids = FaultTests.ids(3_000, prefix: "declared")
        // At about 1,000 a second: the bridge keeps reading while nobody takes the messages, so the broker's
        // queue for it (1,000 by default) never fills; the hub holds a window of them, the journal the rest.
        for start in stride(from: 0, to: ids.count, by: 100) {
            try FaultTests.publish(ids[start..<start + 100], from: publisher)
            Thread.sleep(forTimeInterval: 0.1)
        }
        // All of them in the bridge's journal (the hub holds a window of them) before any member comes.
        #expect(waitUntilBlocking(timeout: .seconds(30)) {
            ((try? MetricsTests.scrape(fixture.apiPort!))?["mqbridge_spool_messages"] ?? 0) >= Double(ids.count)
        }, "the bridge journaled every message:\n\(fixture.bridgeLog.suffix(2_000))")
        // Only now does a member of the group connect, for the first time.
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA", group: "backend")
        defer { consumer.stop() }
        let tally = FaultTests.waitForAll(ids, at: consumer)
        print("declared durable subscription, 3000 messages before the first member: \(tally)")
        #expect(tally.missing.isEmpty, "\(tally); first missing \(tally.missing.prefix(5))\n\(fixture.bridgeLog.suffix(2_000))")
        #expect(FaultTests.keysInOrder(consumer.messages, ids: ids), "per-key order kept")
        #expect(tally.duplicates == 0, "nothing was sent twice:\n\(fixture.bridgeLog.suffix(3_000))")
    }
}
