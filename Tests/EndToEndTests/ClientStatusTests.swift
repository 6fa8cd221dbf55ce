import BridgeCore
import BridgePresence
import Foundation
import LoopbackHarness
import Testing

/// Client status from a real Mosquitto's `$SYS/broker/log`: the events on the queue side and the HTTP API's
/// answers for every way a connection ends (SPEC §6, §7).
@Suite(.serialized) struct ClientStatusTests {
    /// Connects probe clients until the bridge reports one: the status subscription is then live.
    static func waitUntilStatusFlows(_ fixture: BridgeFixture, _ consumer: TestConsumer,
                                     probePrefix: String = "GID_sensors@@@probe-") throws {
        #expect(consumer.waitReady())
        let deadline = Deadline(timeout: .seconds(30))
        var attempt = 0
        func probed() -> Bool { consumer.statusEvents.contains { $0.clientId.hasPrefix(probePrefix) } }
        while !probed() {
            if deadline.hasPassed {
                throw FixtureError("no status event within 30 s; log:\n\(fixture.bridgeLog)")
            }
            attempt += 1
            let probe = try RawMQTTConnection(port: fixture.broker.port, clientId: probePrefix + "\(attempt)")
            probe.disconnect()
            _ = waitUntilBlocking(timeout: .milliseconds(500)) { probed() }
        }
    }

    static func start(_ mode: BridgeFixture.Mode = .inProcess) throws -> (BridgeFixture, TestConsumer, StatusAPIClient) {
        let fixture = try BridgeFixture(mode: mode, rules: statusRules, statusSource: "mosquitto-log")
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "CLIENT_STATUS")
        do {
            try waitUntilStatusFlows(fixture, consumer)
            return (fixture, consumer, try StatusAPIClient(fixture))
        } catch {
            consumer.stop()
            fixture.stop()
            throw error
        }
    }

    @Test func disconnectGivesConnectDisconnectTcpcleanOnOneChannel() throws {
        let (fixture, consumer, api) = try Self.start()
        defer { fixture.stop() }
        defer { consumer.stop() }
        let id = "GID_sensors@@@dev-1"
        let device = try RawMQTTConnection(port: fixture.broker.port, clientId: id)
        let connected = consumer.waitForStatus(of: id, count: 1)
        #expect(connected.map(\.eventType) == [.connect])
        #expect(api.waitUntil(id, online: true))
        #expect(try api.areOnline([id, "GID_sensors@@@never-seen"]).map(\.1) == [true, false])
        let (status, view) = try api.client(id)
        #expect(status == 200)
        #expect(view["online"] == .bool(true))
        if case .array(let channels)? = view["channels"] {
            #expect(channels.count == 1)
            #expect(channels.first?["clientIp"]?.stringValue == device.localAddress)
            #expect(channels.first?["channelId"]?.stringValue == connected.first?.channelId)
        } else {
            Issue.record("no channels in \(view)")
        }

        device.disconnect()
        let events = consumer.waitForStatus(of: id, count: 3)
        #expect(events.map(\.eventType) == [.connect, .disconnect, .tcpclean])
        #expect(Set(events.map(\.channelId)).count == 1, "one channel: \(events)")
        #expect(events.allSatisfy { isChannelId($0.channelId) && $0.clientIp == device.localAddress })
        #expect(events.map(\.time) == events.map(\.time).sorted())
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(events.allSatisfy { abs(now - $0.time) < 60_000 }, "times are milliseconds since the epoch")
        #expect(api.waitUntil(id, online: false))
        #expect(try api.client(id).json["lastEvent"]?["eventType"]?.stringValue == "tcpclean")
    }

    @Test func killedClientGivesConnectThenTcpclean() throws {
        let (fixture, consumer, api) = try Self.start()
        defer { fixture.stop() }
        defer { consumer.stop() }
        let id = "GID_sensors@@@killed"
        let client = try ManagedProcess(
            executable: try ManagedProcess.resolve("mosquitto_sub"),
            arguments: ["-h", "127.0.0.1", "-p", "\(fixture.broker.port)", "-i", id, "-t", "nothing/here"])
        #expect(consumer.waitForStatus(of: id, count: 1).map(\.eventType) == [.connect])
        #expect(api.waitUntil(id, online: true))
        client.kill(signal: SIGKILL)
        _ = client.waitForExit(timeout: .seconds(10))
        let events = consumer.waitForStatus(of: id, count: 2)
        #expect(events.map(\.eventType) == [.connect, .tcpclean])
        #expect(Set(events.map(\.channelId)).count == 1)
        #expect(api.waitUntil(id, online: false))
    }

    @Test func keepAliveTimeoutGivesTcpclean() throws {
        let (fixture, consumer, api) = try Self.start()
        defer { fixture.stop() }
        defer { consumer.stop() }
        let id = "GID_sensors@@@silent"
        // Keep-alive 1 s and no PINGREQ: Mosquitto gives up after 1.5 keep-alive periods.
        let device = try RawMQTTConnection(port: fixture.broker.port, clientId: id, keepAlive: 1)
        #expect(api.waitUntil(id, online: true))
        #expect(device.waitForBrokerClose(), "the broker closes a silent connection")
        let events = consumer.waitForStatus(of: id, count: 2)
        #expect(events.map(\.eventType) == [.connect, .tcpclean])
        #expect(api.waitUntil(id, online: false))
    }

    @Test func takeoverClosesTheOldChannelAndKeepsTheClientOnline() throws {
        let (fixture, consumer, api) = try Self.start()
        defer { fixture.stop() }
        defer { consumer.stop() }
        let id = "GID_sensors@@@twin"
        let first = try RawMQTTConnection(port: fixture.broker.port, clientId: id)
        let firstConnect = consumer.waitForStatus(of: id, count: 1)
        #expect(firstConnect.map(\.eventType) == [.connect])
        let second = try RawMQTTConnection(port: fixture.broker.port, clientId: id)
        #expect(first.waitForBrokerClose(), "the broker closes the first connection")
        let events = consumer.waitForStatus(of: id, count: 3)
        #expect(events.map(\.eventType) == [.connect, .tcpclean, .connect])
        if events.count == 3 {
            #expect(events[1].channelId == events[0].channelId, "the old channel is closed")
            #expect(events[2].channelId != events[0].channelId, "the new connection has a channel of its own")
            #expect(events[2].clientIp == second.localAddress)
        }
        #expect(api.waitUntil(id, online: true))
        let (_, view) = try api.client(id)
        if case .array(let channels)? = view["channels"] {
            #expect(channels.map { $0["channelId"]?.stringValue } == [events.last?.channelId])
        } else {
            Issue.record("no channels in \(view)")
        }

        second.disconnect()
        let all = consumer.waitForStatus(of: id, count: 5)
        #expect(all.map(\.eventType) == [.connect, .tcpclean, .connect, .disconnect, .tcpclean])
        #expect(api.waitUntil(id, online: false))
        #expect(try api.areOnline([id]).map(\.1) == [false])
    }

    @Test func clientOfAGroupWithoutRuleProducesNoMessage() throws {
        let (fixture, consumer, api) = try Self.start()
        defer { fixture.stop() }
        defer { consumer.stop() }
        let other = "GID_other@@@x"
        let outsider = try RawMQTTConnection(port: fixture.broker.port, clientId: other)
        #expect(api.waitUntil(other, online: true), "the API answers for every client the broker reports")
        outsider.disconnect()
        #expect(api.waitUntil(other, online: false))
        // A sensor event after the outsider's: once it arrives, the outsider's would have too.
        let marker = "GID_sensors@@@after-outsider"
        try RawMQTTConnection(port: fixture.broker.port, clientId: marker).disconnect()
        #expect(consumer.waitForStatus(of: marker, count: 3).count == 3)
        #expect(!consumer.statusEvents.contains { $0.clientId == other })
    }

    /// The bridge is killed while devices are online; while it is down one leaves and another arrives.
    /// After the restart the view read back from disk and the lines the broker queued for the bridge
    /// agree, and a device connected across the restart keeps its channel ID.
    @Test func presenceSurvivesABridgeRestart() throws {
        let (fixture, consumer, api) = try Self.start(.runCommand)
        defer { fixture.stop() }
        defer { consumer.stop() }
        let leaving = "GID_sensors@@@leaves-while-down"
        let staying = "GID_sensors@@@stays"
        let arriving = "GID_sensors@@@arrives-while-down"
        let leaver = try RawMQTTConnection(port: fixture.broker.port, clientId: leaving)
        let stayer = try RawMQTTConnection(port: fixture.broker.port, clientId: staying)
        #expect(consumer.waitForStatus(of: leaving, count: 1).count == 1)
        let stayerConnect = consumer.waitForStatus(of: staying, count: 1)
        #expect(stayerConnect.map(\.eventType) == [.connect])
        #expect(api.waitUntil(leaving, online: true))
        #expect(api.waitUntil(staying, online: true))

        fixture.killBridge()
        leaver.disconnect()
        let arriver = try RawMQTTConnection(port: fixture.broker.port, clientId: arriving)
        defer { arriver.close() }
        try fixture.startBridge()

        #expect(api.waitUntil(leaving, online: false, timeout: .seconds(30)), "\(fixture.bridgeLog)")
        #expect(api.waitUntil(arriving, online: true))
        #expect(try api.isOnline(staying), "kept from before the restart")
        let (_, view) = try api.client(leaving)
        #expect(view["lastEvent"]?["eventType"]?.stringValue == "tcpclean")
        #expect(view["lastEvent"]?["channelId"]?.stringValue == consumer.statusEvents.first { $0.clientId == leaving }?.channelId,
                "the queued lines closed the channel opened before the restart")

        // Once the consumer has found the new hub, a device connected across the restart leaves: its
        // events carry the channel ID it was given before the restart.
        try Self.waitUntilStatusFlows(fixture, consumer, probePrefix: "GID_sensors@@@probe-after-")
        stayer.disconnect()
        let stayerEvents = consumer.waitForStatus(of: staying, count: 3)
        #expect(stayerEvents.map(\.eventType) == [.connect, .disconnect, .tcpclean])
        #expect(Set(stayerEvents.map(\.channelId)) == Set(stayerConnect.map(\.channelId)))
        #expect(api.waitUntil(staying, online: false))
    }
}
