import Foundation
import LoopbackHarness
import NATS
import Testing

/// Two bridges sharing one broker's outflow (`mqtt.sharedGroup`) into a 3-node nats-server cluster with
/// streams at `replicas: 3`; the bridges list all three URLs. Each fault runs over 5,000 QoS 1 messages with
/// unique IDs: missing IDs fail the test, duplicates in the stream are reported (the goal is none).
@Suite(.serialized) struct JetStreamClusterTests {
    static let count = 5_000

    /// A cluster fixture with a second bridge, flowing.
    static func start(client: String) throws -> (JetStreamFixture, MQTTTestClient) {
        let fixture = try JetStreamFixture(jetstream: ["replicas: 3"], mqtt: ["sharedGroup: bridges"], natsNodes: 3)
        do {
            try fixture.addBridge()
            let publisher = try JetStreamFaultTests.start(fixture, client: client)
            let info = try #require(try fixture.jetStream().streamInfo(name: "mq_SENSOR_DATA"))
            #expect(info.config.replicas == 3, "the bridge creates the stream with 3 replicas")
            return (fixture, publisher)
        } catch {
            fixture.stop()
            throw error
        }
    }

    /// Sends the second half of `ids` once a fault happened after part of the first half was stored.
    static func run(_ name: String, fixture: JetStreamFixture, publisher: MQTTTestClient, fault: () throws -> Void,
                    afterSending: () throws -> Void = {}) throws -> JetStreamFixture.Tally {
        let ids = JetStreamFaultTests.ids(count, prefix: name)
        let half = count / 2
        try JetStreamFaultTests.publish(ids[..<half], from: publisher)
        _ = waitUntilBlocking(timeout: .seconds(60)) { JetStreamFaultTests.storedCount(fixture) >= 500 }
        try fault()
        try JetStreamFaultTests.publish(ids[half...], from: publisher)
        try afterSending()
        let tally = try fixture.waitForAll(ids, in: "mq_SENSOR_DATA", timeout: .seconds(180))
        print("cluster, \(name): \(tally)")
        #expect(tally.missing.isEmpty, "\(tally); first missing \(tally.missing.prefix(5))\n\(fixture.bridgeLog.suffix(3_000))")
        return tally
    }

    @Test func aBridgeKilledAndRestartedLosesNothing() throws {
        let (fixture, publisher) = try Self.start(client: "GID_sensors@@@cluster-bridge")
        defer { fixture.stop() }
        defer { publisher.close() }
        _ = try Self.run("bridgekill", fixture: fixture, publisher: publisher, fault: {
            fixture.killSibling(0)
        }, afterSending: {
            try fixture.restartSibling(0)
        })
    }

    @Test func theStreamLeaderKilledLosesNothing() throws {
        let (fixture, publisher) = try Self.start(client: "GID_sensors@@@cluster-leader")
        defer { fixture.stop() }
        defer { publisher.close() }
        let cluster = try #require(fixture.cluster)
        var killed: NATSServer?
        _ = try Self.run("leaderkill", fixture: fixture, publisher: publisher, fault: {
            let leader = try #require(try fixture.jetStream().streamInfo(name: "mq_SENSOR_DATA")?.leader)
            killed = try #require(cluster.node(named: leader), "the leader \(leader) is a node of the cluster")
            killed?.kill()
        })
        let after = try fixture.jetStream().streamInfo(name: "mq_SENSOR_DATA")
        #expect(after?.leader != nil && after?.leader != killed?.options.serverName, "another node leads: \(String(describing: after?.leader))")
        try killed?.start()
        #expect(fixture.processes.allSatisfy { $0.isRunning } && fixture.siblings.allSatisfy { $0.process.isRunning })
    }

    /// Mosquitto restarted while the bridges hold messages it delivered and they have not acknowledged.
    ///
    /// Mosquitto 2.0 restores the bridges' sessions without their `$share/` subscriptions (the bridges
    /// subscribe again when they reconnect): a message published before they have is matched by no
    /// subscription and dropped by the broker. So the first half has reached the bridges before the restart
    /// (the publisher holds none of it), and the second half is published once a probe shows the bridges
    /// subscribed again. README ("Scaling out") says so.
    @Test func theBrokerRestartedLosesNothing() throws {
        let (fixture, publisher) = try Self.start(client: "GID_sensors@@@cluster-broker")
        defer { fixture.stop() }
        defer { publisher.close() }
        let apis = [fixture.apiPort] + fixture.siblings.map(\.apiPort)
        func received() -> Double { apis.reduce(0) { $0 + ((try? MetricsTests.scrape($1))?["mqbridge_outflow_received_total"] ?? 0) } }
        _ = try Self.run("brokerrestart", fixture: fixture, publisher: publisher, fault: {
            _ = waitUntilBlocking(timeout: .seconds(60)) { received() >= Double(Self.count / 2) }
            try fixture.broker.restart()
            try Self.waitForProbe(fixture, publisher: publisher)
        })
    }

    /// Publishes probes with unique bodies until one of them is stored: a bridge is subscribed.
    static func waitForProbe(_ fixture: JetStreamFixture, publisher: MQTTTestClient) throws {
        let jetStream = try fixture.jetStream()
        var sent = 0
        let stored = waitUntilBlocking(timeout: .seconds(60), pollInterval: .milliseconds(300)) {
            _ = try? publisher.client.publish(topic: "sensors/probe/probe", payload: Array("probe-\(sent)".utf8), qos: .atLeastOnce)
            sent += 1
            guard let last = try? jetStream.streamInfo(name: "mq_SENSOR_DATA")?.state.lastSequence, last > 0 else { return false }
            return ((last > 200 ? last - 200 : 1)...last).contains { sequence in
                (try? jetStream.getMessage(stream: "mq_SENSOR_DATA", sequence: sequence)).map {
                    String(decoding: $0.body, as: UTF8.self).hasPrefix("probe-")
                } ?? false
            }
        }
        if stored { return }
        throw FixtureError("no probe stored within 60 s of the broker's restart:\n\(fixture.bridgeLog.suffix(3_000))")
    }
}
