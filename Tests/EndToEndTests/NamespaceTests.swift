import Foundation
import LoopbackHarness
import NATS
import Testing

/// The hub, the MQTT worker and the JetStream worker on three "hosts": network namespaces joined by veth
/// links, made by the test and torn down after it. The workers reach the hub over tcp with CURVE; Mosquitto
/// and nats-server stay in the test's namespace, each reached by its worker over a link of its own:
///
///     root (Mosquitto) ── mqtt ── hub ── js ── root (nats-server)
///
/// A link taken down for 5 s in the middle of a stream of 3,000 QoS 1 messages loses none of them.
@Suite(.serialized) struct NamespaceTests {
    /// The pieces on their hosts, with everything it made stopped or deleted by `stop()`.
    final class Hosts: @unchecked Sendable {
        // Safe: used by one test's thread.
        let network = NamespaceNetwork()
        let broker: MosquittoBroker
        let nats: NATSServer
        let directory: String
        var processes: [ManagedProcess] = []
        var hubToMQTT: NamespaceNetwork.Link!
        var hubToJetStream: NamespaceNetwork.Link!

        init() throws {
            var brokerOptions = MosquittoBroker.Options(extraConfig: ["max_queued_messages 1000000"])
            brokerOptions.listenAddress = "0.0.0.0"
            broker = try MosquittoBroker(options: brokerOptions)
            var natsOptions = NATSServer.Options()
            natsOptions.listenAddress = "0.0.0.0"
            nats = try NATSServer(options: natsOptions)
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-netns-\(UUID().uuidString)").path
            do {
                try start()
            } catch {
                stop()
                throw error
            }
        }

        private func start() throws {
            let hub = try network.addNamespace("hub")
            let mqtt = try network.addNamespace("mqtt")
            let js = try network.addNamespace("js")
            hubToMQTT = try network.link(hub, mqtt)
            hubToJetStream = try network.link(hub, js)
            let brokerLink = try network.link(nil, mqtt)
            let natsLink = try network.link(nil, js)
            // The JetStream worker reaches the hub's address on the MQTT worker's link through its own link.
            try network.route(in: js, to: hubToMQTT.addressA, via: hubToJetStream.addressA)

            let curve = try FixtureCurve.generate()
            let keys = directory + "/keys"
            try curve.writeKeys(to: keys)
            let hubEndpoint = "tcp://\(hubToMQTT.addressA):\(try FreePort.allocate())"
            let config = directory + "/bridge.yaml"
            let yaml = """
                mqtt:
                  url: mqtt://\(brokerLink.addressA):\(broker.port)
                  clientId: bridge-netns-\(network.id)
                hub:
                  endpoint: \(hubEndpoint)
                  heartbeatMs: 500
                \(FixtureCurve.sections(keyDirectory: keys))api:
                  listen: 127.0.0.1:\(try FreePort.allocate())
                spool:
                  dir: \(directory)/spool
                jetstream:
                  url: nats://\(natsLink.addressA):\(nats.port)
                  duplicateWindow: 10m

                """ + JetStreamFixture.rules
            try yaml.write(toFile: config, atomically: true, encoding: .utf8)
            let binary = BridgeFixture.executable.path
            let environment = [FixtureCurve.workerKeyVariable: curve.worker.secretKey]
            for (namespace, arguments) in [(hub, ["hub", "--config", config, "--progress", "0"]), (mqtt, ["worker", "mqtt", "--config", config]),
                                           (js, ["worker", "jetstream", "--config", config])] {
                let command = try network.command(in: namespace, binary, arguments)
                processes.append(try ManagedProcess(executable: command.executable, arguments: command.arguments, environment: environment))
            }
        }

        var log: String { processes.map(\.stderrText).joined(separator: "\n") }

        func stop() {
            for process in processes { _ = process.terminate(timeout: .seconds(10)) }
            processes.removeAll()
            network.tearDown()
            broker.stop()
            nats.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }

        deinit { stop() }
    }

    @Test(arguments: ["hub-mqtt", "hub-js"])
    func aLinkDownForFiveSecondsLosesNothing(link: String) throws {
        let hosts = try Hosts()
        defer { hosts.stop() }
        let publisher = try MQTTTestClient(broker: hosts.broker, id: "GID_sensors@@@netns-\(link)")
        defer { publisher.close() }
        let connection = try NATSConnection(options: NATSConnectionOptions(servers: [hosts.nats.url], retryOnFailedConnect: true))
        let jetStream = try JetStreamContext(connection: connection)
        func stored() -> UInt64 { ((try? jetStream.streamInfo(name: "mq_SENSOR_DATA"))??.state.messages) ?? 0 }
        _ = waitUntilBlocking(timeout: .seconds(60), pollInterval: .milliseconds(200)) {
            _ = try? publisher.client.publish(topic: "sensors/probe/probe", payload: Array("probe".utf8), qos: .atLeastOnce)
            return stored() > 0
        }
        try #require(stored() > 0, "the hosts bridge MQTT to JetStream:\n\(hosts.log.suffix(3_000))")

        let ids = JetStreamFaultTests.ids(3_000, prefix: "netns-\(link)")
        try JetStreamFaultTests.publish(ids[..<1_500], from: publisher)
        _ = waitUntilBlocking(timeout: .seconds(60)) { stored() >= 300 }
        let down = try #require(link == "hub-mqtt" ? hosts.hubToMQTT : hosts.hubToJetStream)
        try hosts.network.set(down, up: false)
        let downAt = ContinuousClock.now
        try JetStreamFaultTests.publish(ids[1_500...], from: publisher)
        let remaining = downAt.advanced(by: .seconds(5)) - ContinuousClock.now
        if remaining > .zero { Thread.sleep(forTimeInterval: Double(remaining.components.seconds) + Double(remaining.components.attoseconds) / 1e18) }
        try hosts.network.set(down, up: true)

        let wanted = Set(ids)
        var bodies: [String] = []
        _ = waitUntilBlocking(timeout: .seconds(180), pollInterval: .milliseconds(500)) {
            guard stored() >= UInt64(ids.count) else { return false }
            bodies = ((try? JetStreamFixture.messages(in: "mq_SENSOR_DATA", via: jetStream)) ?? []).map { String(decoding: $0.body, as: UTF8.self) }
            return wanted.isSubset(of: Set(bodies))
        }
        Thread.sleep(forTimeInterval: 1)
        bodies = try JetStreamFixture.messages(in: "mq_SENSOR_DATA", via: jetStream).map { String(decoding: $0.body, as: UTF8.self) }
        let tally = JetStreamFixture.Tally(expected: ids, bodies: bodies.filter { wanted.contains($0) })
        print("link \(link) down for 5 s mid-stream (hub, MQTT worker, JetStream worker on three namespaces, tcp + CURVE): \(tally)")
        #expect(tally.missing.isEmpty, "\(tally); first missing \(tally.missing.prefix(5))\n\(hosts.log.suffix(3_000))")
        #expect(hosts.processes.allSatisfy { $0.isRunning }, "every piece rode it out:\n\(hosts.log.suffix(2_000))")
    }
}
