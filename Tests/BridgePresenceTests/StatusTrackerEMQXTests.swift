import BridgeCore
import Testing

@testable import BridgePresence

@Suite struct StatusTrackerEMQXTests {
    static let node = "emqx@127.0.0.1"

    static func topic(_ clientId: String, _ kind: String) -> String {
        "$SYS/brokers/\(node)/clients/\(clientId)/\(kind)"
    }

    static func connected(_ clientId: String, at connectedAt: Int64, ip: String = "127.0.0.1:52044") -> (String, [UInt8]) {
        let payload = #"{"username":null,"ts":\#(connectedAt + 3),"sockport":1883,"proto_ver":5,"proto_name":"MQTT","keepalive":60,"ipaddress":"\#(ip)","expiry_interval":0,"connected_at":\#(connectedAt),"clientid":"\#(clientId)","clean_start":true}"#
        return (topic(clientId, "connected"), Array(payload.utf8))
    }

    static func disconnected(
        _ clientId: String, connectedAt: Int64?, at disconnectedAt: Int64?, reason: String, ip: String = "127.0.0.1:52044"
    ) -> (String, [UInt8]) {
        var members = [#""clientid":"\#(clientId)""#, #""reason":"\#(reason)""#, #""ipaddress":"\#(ip)""#, #""ts":\#((disconnectedAt ?? 0) + 2)"#]
        if let connectedAt { members.append(#""connected_at":\#(connectedAt)"#) }
        if let disconnectedAt { members.append(#""disconnected_at":\#(disconnectedAt)"#) }
        return (topic(clientId, "disconnected"), Array("{\(members.joined(separator: ","))}".utf8))
    }

    static func ingest(_ tracker: inout StatusTracker, _ message: (String, [UInt8]), at receivedAt: Int64 = 1) -> StatusIngest {
        tracker.ingest(topic: message.0, payload: message.1, receivedAt: receivedAt)
    }

    func tracker() -> StatusTracker {
        StatusTracker(source: .emqxEvents, seed: 1)
    }

    @Test func subscriptionsAndTopics() {
        #expect(StatusTracker.subscriptions(for: .emqxEvents) == ["$SYS/brokers/+/clients/+/connected", "$SYS/brokers/+/clients/+/disconnected"])
        let tracker = tracker()
        #expect(tracker.accepts(topic: Self.topic("a", "connected")))
        #expect(tracker.accepts(topic: Self.topic("a", "disconnected")))
        #expect(!tracker.accepts(topic: Self.topic("a", "subscribed")))
        #expect(!tracker.accepts(topic: "$SYS/broker/log/N"))
    }

    @Test func connectThenNormalDisconnect() {
        var tracker = tracker()
        let channel = ChannelID.emqx(clientId: "GID_a@@@d1", connectedAt: 1_795_300_789_100)
        let connect = Self.ingest(&tracker, Self.connected("GID_a@@@d1", at: 1_795_300_789_100))
        #expect(connect.disposition == .emitted)
        #expect(connect.events == [
            StatusEvent(clientId: "GID_a@@@d1", time: 1_795_300_789_100, eventType: .connect, channelId: channel, clientIp: "127.0.0.1:52044")
        ])
        #expect(tracker.presence.isOnline("GID_a@@@d1"))
        let gone = Self.ingest(&tracker, Self.disconnected("GID_a@@@d1", connectedAt: 1_795_300_789_100, at: 1_795_300_799_000, reason: "normal"))
        #expect(gone.events == [
            StatusEvent(clientId: "GID_a@@@d1", time: 1_795_300_799_000, eventType: .disconnect, channelId: channel, clientIp: "127.0.0.1:52044"),
            StatusEvent(clientId: "GID_a@@@d1", time: 1_795_300_799_000, eventType: .tcpclean, channelId: channel, clientIp: "127.0.0.1:52044"),
        ])
        #expect(!tracker.presence.isOnline("GID_a@@@d1"))
    }

    @Test(arguments: ["tcp_closed", "keepalive_timeout", "takenover", "discarded", "kicked", "not_authorized", "sock_closed"])
    func otherReasonsGiveOnlyTcpclean(reason: String) {
        var tracker = tracker()
        _ = Self.ingest(&tracker, Self.connected("dev", at: 1000))
        let gone = Self.ingest(&tracker, Self.disconnected("dev", connectedAt: 1000, at: 2000, reason: reason))
        #expect(gone.events.map(\.eventType) == [.tcpclean])
        #expect(gone.events.first?.time == 2000)
    }

    @Test func recordedEMQX4PayloadsMapToTheOpenChannel() throws {
        var tracker = tracker()
        let connect = Self.ingest(&tracker, (EMQXEventParserTests.connectedTopic, Array(EMQXEventParserTests.connected4.utf8)))
        let opened = try #require(connect.events.first)
        #expect(opened.clientIp == "127.0.0.1", "EMQX 4 publishes the address without port")
        #expect(opened.channelId == ChannelID.emqx(clientId: "emqtt-8348fe27a87976ad4db3", connectedAt: 1_625_572_213_873))
        let gone = Self.ingest(&tracker, (EMQXEventParserTests.disconnectedTopic, Array(EMQXEventParserTests.disconnected4.utf8)))
        #expect(gone.events.map(\.eventType) == [.tcpclean])
        #expect(gone.events.first?.channelId == opened.channelId)
        #expect(!tracker.presence.isOnline("emqtt-8348fe27a87976ad4db3"))
        // Again: the open channel is gone, so it is a duplicate.
        let again = Self.ingest(&tracker, (EMQXEventParserTests.disconnectedTopic, Array(EMQXEventParserTests.disconnected4.utf8)))
        #expect(again.disposition == .duplicate)
    }

    @Test func disconnectWithoutConnectedAtFallbacks() {
        var tracker = tracker()
        #expect(Self.ingest(&tracker, Self.disconnected("ghost", connectedAt: nil, at: 5, reason: "normal")).disposition == .unknownClient)
        _ = Self.ingest(&tracker, Self.connected("dev", at: 1000))
        #expect(Self.ingest(&tracker, Self.disconnected("dev", connectedAt: nil, at: 999, reason: "normal")).disposition == .stale)
        #expect(tracker.presence.isOnline("dev"))
        // Without disconnected_at the time is ts, without ts the arrival time.
        let gone = Self.ingest(&tracker, (Self.topic("dev", "disconnected"), Array(#"{"clientid":"dev","reason":"normal"}"#.utf8)), at: 4242)
        #expect(gone.events.map(\.time) == [4242, 4242])
        #expect(gone.events.map(\.eventType) == [.disconnect, .tcpclean])
    }

    @Test func redeliveredEventsAreDuplicates() {
        var tracker = tracker()
        let connect = Self.connected("dev", at: 1000)
        let disconnect = Self.disconnected("dev", connectedAt: 1000, at: 2000, reason: "normal")
        #expect(Self.ingest(&tracker, connect).events.count == 1)
        #expect(Self.ingest(&tracker, connect).disposition == .duplicate)
        #expect(Self.ingest(&tracker, disconnect).events.count == 2)
        #expect(Self.ingest(&tracker, disconnect).disposition == .duplicate)
        #expect(Self.ingest(&tracker, connect).disposition == .duplicate, "the closed channel is remembered")
        #expect(!tracker.presence.isOnline("dev"))
    }

    @Test func disconnectedBeforeConnectedIsEmittedAndTheLateConnectIsNot() {
        var tracker = tracker()
        let gone = Self.ingest(&tracker, Self.disconnected("dev", connectedAt: 1000, at: 2000, reason: "normal"))
        #expect(gone.events.map(\.eventType) == [.disconnect, .tcpclean])
        #expect(gone.events.allSatisfy { $0.channelId == ChannelID.emqx(clientId: "dev", connectedAt: 1000) })
        let late = Self.ingest(&tracker, Self.connected("dev", at: 1000))
        #expect(late.disposition == .lateConnect)
        #expect(late.events.isEmpty)
        #expect(!tracker.presence.isOnline("dev"))
    }

    @Test func quickReconnectKeepsTheClientOnline() {
        var tracker = tracker()
        _ = Self.ingest(&tracker, Self.connected("dev", at: 1000, ip: "10.0.0.1:1"))
        _ = Self.ingest(&tracker, Self.connected("dev", at: 1500, ip: "10.0.0.1:2"))
        let old = Self.ingest(&tracker, Self.disconnected("dev", connectedAt: 1000, at: 1600, reason: "takenover", ip: "10.0.0.1:1"))
        #expect(old.events.map(\.channelId) == [ChannelID.emqx(clientId: "dev", connectedAt: 1000)])
        #expect(old.events.first?.clientIp == "10.0.0.1:1")
        #expect(tracker.presence.isOnline("dev"))
        #expect(tracker.presence.client("dev")?.openChannels.map(\.clientIp) == ["10.0.0.1:2"])
    }

    @Test func restoreThenReplayEmitsNothing() {
        var original = tracker()
        let messages = [
            Self.connected("a", at: 1000), Self.connected("b", at: 1100), Self.disconnected("a", connectedAt: 1000, at: 1200, reason: "normal"),
            Self.connected("a", at: 1300), Self.disconnected("b", connectedAt: 1100, at: 1400, reason: "keepalive_timeout"),
            Self.disconnected("c", connectedAt: 900, at: 1500, reason: "kicked"),
        ]
        for message in messages { _ = Self.ingest(&original, message) }
        var restarted = StatusTracker(source: .emqxEvents, seed: 9)
        restarted.restore(events: original.snapshotEvents())
        for message in messages {
            let result = Self.ingest(&restarted, message)
            #expect(result.events.isEmpty)
            #expect([.duplicate, .lateConnect].contains(result.disposition))
        }
        for client in ["a", "b", "c"] {
            #expect(restarted.presence.client(client) == original.presence.client(client))
        }
        #expect(restarted.presence.isOnline("a") && !restarted.presence.isOnline("b"))
    }

    @Test func malformedAndForeignMessages() {
        var tracker = tracker()
        let bad = tracker.ingest(topic: Self.topic("a", "connected"), payload: Array("{".utf8), receivedAt: 0)
        #expect(bad.disposition == .rejected)
        #expect(bad.problem?.kind == .malformedEMQXEvent)
        let missing = tracker.ingest(topic: Self.topic("a", "connected"), payload: Array(#"{"clientid":"a"}"#.utf8), receivedAt: 0)
        #expect(missing.problem?.kind == .missingEMQXField)
        #expect(tracker.ingest(topic: "$SYS/brokers/n/clients/a/subscribed", payload: [], receivedAt: 0).disposition == .ignored)
        #expect(tracker.ingest(topic: "$SYS/broker/log/N", payload: Array("1: Client a disconnected.".utf8), receivedAt: 0).disposition == .ignored)
        #expect(tracker.presence.clientCount == 0)
    }
}
