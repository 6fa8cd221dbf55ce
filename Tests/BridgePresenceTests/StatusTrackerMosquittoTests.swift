import BridgeCore
import Testing

@testable import BridgePresence

@Suite struct StatusTrackerMosquittoTests {
    static let second: Int64 = 1_795_300_789

    /// One log payload with its topic and arrival time.
    struct Line {
        var text: String
        var level = "N"
        var receivedAt: Int64
    }

    static func line(_ text: String, level: String = "N", at receivedAt: Int64) -> Line {
        Line(text: text, level: level, receivedAt: receivedAt)
    }

    static func ingest(_ tracker: inout StatusTracker, _ line: Line) -> StatusIngest {
        tracker.ingest(topic: "$SYS/broker/log/\(line.level)", payload: Array(line.text.utf8), receivedAt: line.receivedAt)
    }

    func tracker(seed: UInt64 = 1) -> StatusTracker {
        StatusTracker(source: .mosquittoLog, seed: seed)
    }

    func connectLine(_ clientId: String, port: Int, second: Int64, username: String? = nil) -> String {
        let user = username.map { ", u'\($0)'" } ?? ""
        return "\(second): New client connected from 127.0.0.1:\(port) as \(clientId) (p2, c1, k60\(user))."
    }

    @Test func subscriptionsAndTopics() {
        #expect(StatusTracker.subscriptions(for: .mosquittoLog) == ["$SYS/broker/log/#"])
        let tracker = tracker()
        #expect(tracker.accepts(topic: "$SYS/broker/log/N"))
        #expect(tracker.accepts(topic: "$SYS/broker/log/E"))
        #expect(!tracker.accepts(topic: "$SYS/broker/load/bytes/received"))
        #expect(!tracker.accepts(topic: "$SYS/brokers/n/clients/c/connected"))
    }

    @Test func connectThenDisconnect() throws {
        var tracker = tracker()
        let s = StatusTrackerMosquittoTests.second
        let connected = Self.ingest(&tracker, Self.line(connectLine("GID_a@@@d1", port: 53950, second: s), at: s * 1000 + 123))
        #expect(connected.disposition == .emitted)
        #expect(connected.problem == nil)
        let connect = try #require(connected.events.first)
        #expect(connected.events.count == 1)
        #expect(connect.eventType == .connect)
        #expect(connect.clientId == "GID_a@@@d1")
        #expect(connect.time == s * 1000 + 123, "receivedAt refines the log second")
        #expect(connect.clientIp == "127.0.0.1:53950")
        #expect(ChannelID.parse(connect.channelId) != nil, "32 lowercase hex")
        #expect(tracker.presence.isOnline("GID_a@@@d1"))

        // Received in a later second: the log second is the time.
        let closed = Self.ingest(&tracker, Self.line("\(s + 1): Client GID_a@@@d1 disconnected.", at: (s + 3) * 1000 + 5))
        #expect(closed.disposition == .emitted)
        #expect(closed.events == [
            StatusEvent(clientId: "GID_a@@@d1", time: (s + 1) * 1000, eventType: .disconnect, channelId: connect.channelId, clientIp: "127.0.0.1:53950"),
            StatusEvent(clientId: "GID_a@@@d1", time: (s + 1) * 1000, eventType: .tcpclean, channelId: connect.channelId, clientIp: "127.0.0.1:53950"),
        ])
        #expect(!tracker.presence.isOnline("GID_a@@@d1"))
    }

    @Test(arguments: [
        "closed its connection.", "has exceeded timeout, disconnecting.", "disconnected due to protocol error.",
        "disconnected, not authorised.", "has been disconnected by administrative action.",
        "disconnected: Connection reset by peer.",
    ])
    func otherClosingLinesGiveOnlyTcpclean(ending: String) throws {
        var tracker = tracker()
        let s = StatusTrackerMosquittoTests.second
        let connect = try #require(Self.ingest(&tracker, Self.line(connectLine("GID_a@@@k1", port: 1, second: s), at: s * 1000)).events.first)
        let closed = Self.ingest(&tracker, Self.line("\(s + 5): Client GID_a@@@k1 \(ending)", at: (s + 5) * 1000 + 999))
        #expect(closed.events == [
            StatusEvent(clientId: "GID_a@@@k1", time: (s + 5) * 1000 + 999, eventType: .tcpclean, channelId: connect.channelId, clientIp: "127.0.0.1:1")
        ])
        #expect(!tracker.presence.isOnline("GID_a@@@k1"))
        // The same line again (or any other closing line) finds no open channel.
        #expect(Self.ingest(&tracker, Self.line("\(s + 5): Client GID_a@@@k1 \(ending)", at: (s + 6) * 1000)).disposition == .duplicate)
    }

    @Test func takeoverLineThenNewConnection() throws {
        var tracker = tracker()
        let s = StatusTrackerMosquittoTests.second
        let old = try #require(Self.ingest(&tracker, Self.line(connectLine("GID_a@@@t1", port: 1000, second: s), at: s * 1000 + 10)).events.first)
        let takeover = Self.ingest(&tracker, Self.line("\(s + 9): Client GID_a@@@t1 already connected, closing old connection.", level: "E", at: (s + 9) * 1000 + 1))
        #expect(takeover.events == [
            StatusEvent(clientId: "GID_a@@@t1", time: (s + 9) * 1000 + 1, eventType: .tcpclean, channelId: old.channelId, clientIp: "127.0.0.1:1000")
        ])
        let fresh = Self.ingest(&tracker, Self.line(connectLine("GID_a@@@t1", port: 2000, second: s + 9), at: (s + 9) * 1000 + 2))
        #expect(fresh.events.map(\.eventType) == [.connect])
        let new = try #require(fresh.events.first)
        #expect(new.channelId != old.channelId)
        #expect(new.clientIp == "127.0.0.1:2000")
        #expect(tracker.presence.isOnline("GID_a@@@t1"))
        #expect(tracker.presence.client("GID_a@@@t1")?.openChannels.map(\.channelId) == [new.channelId])
        let gone = Self.ingest(&tracker, Self.line("\(s + 20): Client GID_a@@@t1 closed its connection.", at: (s + 20) * 1000))
        #expect(gone.events.map(\.channelId) == [new.channelId])
        #expect(!tracker.presence.isOnline("GID_a@@@t1"))
    }

    @Test func lostTakeoverLineStillClosesTheOldChannel() throws {
        var tracker = tracker()
        let s = StatusTrackerMosquittoTests.second
        let old = try #require(Self.ingest(&tracker, Self.line(connectLine("dev", port: 1, second: s), at: s * 1000)).events.first)
        let fresh = Self.ingest(&tracker, Self.line(connectLine("dev", port: 2, second: s + 3), at: (s + 3) * 1000 + 7))
        #expect(fresh.events.map(\.eventType) == [.tcpclean, .connect])
        #expect(fresh.events[0].channelId == old.channelId)
        #expect(fresh.events[0].clientIp == "127.0.0.1:1")
        #expect(fresh.events[0].time == (s + 3) * 1000 + 7)
        #expect(fresh.events[1].clientIp == "127.0.0.1:2")
        #expect(tracker.presence.client("dev")?.openChannels.count == 1)
    }

    @Test func takeoverInTheSecondOfTheConnect() throws {
        var tracker = tracker()
        let s = StatusTrackerMosquittoTests.second
        let old = try #require(Self.ingest(&tracker, Self.line(connectLine("dev", port: 1, second: s), at: s * 1000 + 100)).events.first)
        let takeover = Self.ingest(&tracker, Self.line("\(s): Client dev already connected, closing old connection.", level: "E", at: s * 1000 + 200))
        #expect(takeover.events.map(\.channelId) == [old.channelId])
        let fresh = Self.ingest(&tracker, Self.line(connectLine("dev", port: 2, second: s), at: s * 1000 + 201))
        #expect(fresh.events.map(\.eventType) == [.connect])
        #expect(tracker.presence.client("dev")?.openChannels.map(\.clientIp) == ["127.0.0.1:2"])
    }

    @Test func closingLinesForUnknownClientsAndStaleLines() throws {
        var tracker = tracker()
        let s = StatusTrackerMosquittoTests.second
        #expect(Self.ingest(&tracker, Self.line("\(s): Client nobody disconnected.", at: s * 1000)).disposition == .unknownClient)
        #expect(Self.ingest(&tracker, Self.line("\(s): Client nobody already connected, closing old connection.", level: "E", at: s * 1000)).disposition == .unknownClient)
        _ = Self.ingest(&tracker, Self.line(connectLine("dev", port: 1, second: s + 10), at: (s + 10) * 1000))
        let stale = Self.ingest(&tracker, Self.line("\(s + 9): Client dev closed its connection.", at: (s + 11) * 1000))
        #expect(stale.disposition == .stale)
        #expect(tracker.presence.isOnline("dev"))
        let staleConnect = Self.ingest(&tracker, Self.line(connectLine("dev", port: 7, second: s + 9), at: (s + 11) * 1000))
        #expect(staleConnect.disposition == .stale)
        #expect(tracker.presence.client("dev")?.openChannels.map(\.clientIp) == ["127.0.0.1:1"])
    }

    @Test func linesWithoutTimestampUseTheArrivalTime() throws {
        var tracker = tracker()
        let connected = Self.ingest(&tracker, Self.line("New client connected from ::1:4000 as dev (p5, c0, k30).", at: 1_000_123))
        #expect(connected.events.map(\.time) == [1_000_123])
        #expect(connected.events.first?.clientIp == "::1:4000")
        // A repeated line is recognised while the channel from that address is open.
        #expect(Self.ingest(&tracker, Self.line("New client connected from ::1:4000 as dev (p5, c0, k30).", at: 2_000_000)).disposition == .duplicate)
        let closed = Self.ingest(&tracker, Self.line("Client dev disconnected.", at: 3_000_456))
        #expect(closed.events.map(\.time) == [3_000_456, 3_000_456])
        #expect(closed.events.map(\.eventType) == [.disconnect, .tcpclean])
        // Custom timestamp formats carry no usable time either.
        let again = Self.ingest(&tracker, Self.line("2026-11-21 10:00:00: New client connected from ::1:4001 as dev (p5, c0, k30).", at: 4_000_000))
        #expect(again.events.map(\.time) == [4_000_000])
    }

    @Test func otherLinesLevelsAndTopicsAreIgnored() {
        var tracker = tracker()
        let s = StatusTrackerMosquittoTests.second
        #expect(Self.ingest(&tracker, Self.line("\(s): New connection from 127.0.0.1:53950 on port 18831.", at: 0)).disposition == .ignored)
        #expect(Self.ingest(&tracker, Self.line("\(s): Saving in-memory database to /tmp/x.db.", at: 0)).disposition == .ignored)
        #expect(Self.ingest(&tracker, Self.line(connectLine("dev", port: 1, second: s), level: "I", at: 0)).disposition == .ignored)
        #expect(Self.ingest(&tracker, Self.line(connectLine("dev", port: 1, second: s), level: "D", at: 0)).disposition == .ignored)
        #expect(tracker.ingest(topic: "sensors/x", payload: Array(connectLine("dev", port: 1, second: s).utf8), receivedAt: 0).disposition == .ignored)
        #expect(tracker.presence.clientCount == 0)
    }

    @Test func garbageIsRejectedWithAProblem() {
        var tracker = tracker()
        let cases: [([UInt8], StatusProblem.Kind)] = [
            ([], .empty), ([0xFF, 0x00], .invalidUTF8),
            (Array("1: New client connected from 1.2.3.4:5 as dev".utf8), .malformedConnectLine),
            (Array("1: Client dev sneezed.".utf8), .unrecognisedClientLine),
        ]
        for (payload, kind) in cases {
            let result = tracker.ingest(topic: "$SYS/broker/log/N", payload: payload, receivedAt: 0)
            #expect(result.disposition == .rejected)
            #expect(result.problem?.kind == kind)
            #expect(result.events.isEmpty)
        }
    }

    @Test func clientsOfAnyGroupAndWithoutGroupAreTracked() {
        // Routing by status rule happens elsewhere (MappingTable.status); the tracker reports every client.
        var tracker = tracker()
        let s = StatusTrackerMosquittoTests.second
        #expect(Self.ingest(&tracker, Self.line(connectLine("watcher", port: 1, second: s), at: s * 1000)).events.count == 1)
        #expect(Self.ingest(&tracker, Self.line(connectLine("GID_norule@@@x", port: 2, second: s), at: s * 1000)).events.count == 1)
        #expect(tracker.presence.onlineClientCount == 2)
    }

    /// Lines without a timestamp: channel IDs come from the seeded generator (lines with one get IDs
    /// derived from the line, the same for every seed: `SharedChannelIDTests`).
    @Test func channelIdsOfLinesWithoutTimestampsFollowTheSeed() {
        func ids(seed: UInt64) -> [String] {
            var tracker = tracker(seed: seed)
            let s = StatusTrackerMosquittoTests.second
            return (0..<50).flatMap { index in
                let text = "New client connected from 127.0.0.1:\(index) as dev\(index) (p2, c1, k60)."
                return Self.ingest(&tracker, Self.line(text, at: s * 1000)).events.map(\.channelId)
            }
        }
        #expect(ids(seed: 5) == ids(seed: 5))
        #expect(Set(ids(seed: 5)).count == 50)
        #expect(Set(ids(seed: 5)).isDisjoint(with: ids(seed: 6)))
    }

    /// A session's worth of lines, in order, with arrival times.
    func session() -> [Line] {
        let s = StatusTrackerMosquittoTests.second
        return [
            Self.line("\(s): New connection from 127.0.0.1:53950 on port 18831.", at: s * 1000 + 1),
            Self.line(connectLine("GID_a@@@d1", port: 53950, second: s), at: s * 1000 + 2),
            Self.line(connectLine("GID_a@@@d2", port: 53954, second: s, username: "bob"), at: s * 1000 + 3),
            Self.line("\(s): Client GID_a@@@d1 disconnected.", at: s * 1000 + 4),
            Self.line(connectLine("GID_a@@@d1", port: 53960, second: s), at: s * 1000 + 5),
            Self.line(connectLine("GID_a@@@t1", port: 53970, second: s + 1), at: (s + 1) * 1000),
            Self.line("\(s + 9): Client GID_a@@@t1 already connected, closing old connection.", level: "E", at: (s + 9) * 1000),
            Self.line(connectLine("GID_a@@@t1", port: 53971, second: s + 9), at: (s + 9) * 1000 + 1),
            Self.line("\(s + 9): Client GID_a@@@t1 already connected, closing old connection.", level: "E", at: (s + 9) * 1000 + 2),
            Self.line(connectLine("GID_a@@@t1", port: 53972, second: s + 9), at: (s + 9) * 1000 + 3),
            Self.line("\(s + 10): Client GID_a@@@d2 closed its connection.", at: (s + 10) * 1000),
            Self.line(connectLine("GID_a@@@ka2", port: 53980, second: s + 10), at: (s + 10) * 1000 + 1),
            Self.line("\(s + 28): Client GID_a@@@ka2 has exceeded timeout, disconnecting.", at: (s + 28) * 1000),
            Self.line("\(s + 30): Client ghost closed its connection.", at: (s + 30) * 1000),
        ]
    }

    @Test func sessionGivesTheExpectedEvents() {
        var tracker = tracker()
        let results = session().map { Self.ingest(&tracker, $0) }
        #expect(results.map(\.disposition) == [
            .ignored, .emitted, .emitted, .emitted, .emitted, .emitted, .emitted, .emitted, .emitted, .emitted,
            .emitted, .emitted, .emitted, .unknownClient,
        ])
        #expect(results.map { $0.events.map(\.eventType.rawValue) } == [
            [], ["connect"], ["connect"], ["disconnect", "tcpclean"], ["connect"], ["connect"], ["tcpclean"], ["connect"],
            ["tcpclean"], ["connect"], ["tcpclean"], ["connect"], ["tcpclean"], [],
        ])
        // Every disconnect is followed by the same channel's tcpclean; every closing event names a channel
        // opened before.
        var opened: Set<String> = []
        for event in results.flatMap(\.events) {
            if event.eventType == .connect { opened.insert(event.channelId) } else { #expect(opened.contains(event.channelId)) }
        }
        #expect(tracker.presence.isOnline("GID_a@@@d1"))
        #expect(!tracker.presence.isOnline("GID_a@@@d2"))
        #expect(tracker.presence.isOnline("GID_a@@@t1"))
        #expect(tracker.presence.client("GID_a@@@t1")?.openChannels.map(\.clientIp) == ["127.0.0.1:53972"])
        #expect(!tracker.presence.isOnline("GID_a@@@ka2"))
        #expect(tracker.presence.onlineClientCount == 2)
    }

    @Test func replayedLinesAfterARestartEmitNothing() {
        var original = tracker(seed: 1)
        let lines = session()
        let emitted = lines.flatMap { Self.ingest(&original, $0).events }
        #expect(!emitted.isEmpty)

        // Restart: restore the persisted snapshot (as JSON lines), then the broker redelivers everything.
        var restarted = StatusTracker(source: .mosquittoLog, seed: 2)
        restarted.restore(events: original.snapshotEvents().compactMap { try? StatusEvent(json: $0.jsonBody) })
        for line in lines {
            let result = Self.ingest(&restarted, line)
            #expect(result.events.isEmpty, "\(line.text) emitted \(result.events.map(\.jsonBody))")
            #expect([.ignored, .duplicate, .stale, .unknownClient].contains(result.disposition), "\(line.text)")
        }
        for clientId in ["GID_a@@@d1", "GID_a@@@d2", "GID_a@@@t1", "GID_a@@@ka2", "ghost"] {
            #expect(restarted.presence.client(clientId) == original.presence.client(clientId), "\(clientId)")
        }
        #expect(restarted.presence.onlineClientCount == original.presence.onlineClientCount)
    }

    @Test func replayFromAnOlderSnapshotCatchesUp() {
        // The snapshot was written halfway; lines after it are new to the restarted tracker, those before
        // are recognised.
        var original = tracker(seed: 1)
        let lines = session()
        let half = 6
        for line in lines[..<half] { _ = Self.ingest(&original, line) }
        var restarted = StatusTracker(source: .mosquittoLog, seed: 2)
        restarted.restore(events: original.snapshotEvents())
        for line in lines[..<half] {
            #expect(Self.ingest(&restarted, line).events.isEmpty, "\(line.text)")
        }
        for line in lines[half...] {
            let expected = Self.ingest(&original, line)
            let actual = Self.ingest(&restarted, line)
            #expect(actual.disposition == expected.disposition, "\(line.text)")
            #expect(actual.events.map(\.eventType) == expected.events.map(\.eventType), "\(line.text)")
        }
        for clientId in ["GID_a@@@d1", "GID_a@@@d2", "GID_a@@@t1", "GID_a@@@ka2"] {
            #expect(restarted.presence.isOnline(clientId) == original.presence.isOnline(clientId), "\(clientId)")
        }
    }

    @Test func secondsRoundDownEvenAtTheExtremes() {
        #expect(StatusTracker.second(of: 1999) == 1)
        #expect(StatusTracker.second(of: 0) == 0)
        #expect(StatusTracker.second(of: -1) == -1)
        #expect(StatusTracker.second(of: -1000) == -1)
        #expect(StatusTracker.second(of: .min) == .min / 1000 - 1)
        #expect(StatusTracker.second(of: .max) == .max / 1000)
        #expect(StatusTracker.usableSeconds(.max) == nil)
        #expect(StatusTracker.eventTime(seconds: 5, receivedAt: 5_432) == 5_432)
        #expect(StatusTracker.eventTime(seconds: 5, receivedAt: 6_001) == 5_000)
        #expect(StatusTracker.eventTime(seconds: nil, receivedAt: 6_001) == 6_001)
    }

    @Test func lateArrivalsKeepEachClientsTimesInLogOrder() throws {
        var tracker = tracker()
        let s = StatusTrackerMosquittoTests.second
        // The first line arrives within its second, the next two after it ended.
        let first = Self.ingest(&tracker, Self.line(connectLine("dev", port: 1, second: s), at: s * 1000 + 700))
        let closed = Self.ingest(&tracker, Self.line("\(s): Client dev closed its connection.", at: (s + 1) * 1000 + 5))
        let second = Self.ingest(&tracker, Self.line(connectLine("dev", port: 2, second: s), at: (s + 1) * 1000 + 6))
        #expect(first.events.map(\.time) == [s * 1000 + 700])
        #expect(closed.events.map(\.time) == [s * 1000 + 700])
        #expect(second.events.map(\.time) == [s * 1000 + 700])
        #expect(tracker.presence.currentChannel(of: "dev")?.clientIp == "127.0.0.1:2")
        #expect(tracker.presence.isOnline("dev"))
        #expect(Self.ingest(&tracker, Self.line("\(s + 1): Client dev closed its connection.", at: (s + 1) * 1000 + 7)).events.count == 1)
        #expect(!tracker.presence.isOnline("dev"))
    }

    @Test func applyReplayedEmitsNothingButUpdatesState() {
        var tracker = tracker()
        #expect(tracker.apply(replayed: event(.connect, "dev", hexChannel(1), at: 5)) == .opened)
        #expect(tracker.presence.isOnline("dev"))
        #expect(tracker.pruneTombstones(before: 0) == 0)
    }
}
