import BridgeCore
import Testing

@testable import BridgePresence

/// Several bridges read one broker's log: a connection's channel ID (and so its events' message IDs) derives
/// from what each of them sees the same way, so every bridge produces the same events.
@Suite struct SharedChannelIDTests {
    typealias Tests = StatusTrackerMosquittoTests

    @Test func trackersWithDifferentSeedsAgreeOnEveryEvent() {
        let s = Tests.second
        let lines = [
            Tests.line("\(s): New client connected from 10.0.0.5:40001 as GID_a@@@d1 (p2, c1, k60).", at: s * 1000 + 10),
            Tests.line("\(s): Client GID_a@@@d1 disconnected.", at: s * 1000 + 20),
            Tests.line("\(s + 1): New client connected from 10.0.0.5:40002 as GID_a@@@d1 (p2, c1, k60).", at: s * 1000 + 1010),
            Tests.line("\(s + 2): Client GID_a@@@d1 already connected, closing old connection.", level: "E", at: s * 1000 + 2010),
            Tests.line("\(s + 2): New client connected from 10.0.0.6:50000 as GID_a@@@d1 (p2, c1, k60).", at: s * 1000 + 2020),
            Tests.line("\(s + 3): Client GID_a@@@d1 has exceeded timeout, disconnecting.", at: s * 1000 + 3010),
        ]
        func run(seed: UInt64) -> [StatusEvent] {
            var tracker = StatusTracker(source: .mosquittoLog, seed: seed)
            return lines.flatMap { Tests.ingest(&tracker, $0).events }
        }
        let first = run(seed: 1)
        let second = run(seed: 0xDEAD_BEEF)
        #expect(first.count == 7)
        #expect(first == second)
        #expect(first.map(\.messageID) == second.map(\.messageID))
        #expect(Set(first.map(\.channelId)).count == 3, "three connections, three channels")
        #expect(first[0].channelId == ChannelID.mosquitto(clientId: "GID_a@@@d1", address: "10.0.0.5:40001", second: s))
    }

    @Test func theDerivedIDTellsEveryFieldApart() {
        let base = ChannelID.mosquitto(clientId: "GID_a@@@d1", address: "10.0.0.5:1", second: 7)
        #expect(base.utf8.count == 32 && base.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(base != ChannelID.mosquitto(clientId: "GID_a@@@d2", address: "10.0.0.5:1", second: 7))
        #expect(base != ChannelID.mosquitto(clientId: "GID_a@@@d1", address: "10.0.0.5:2", second: 7))
        #expect(base != ChannelID.mosquitto(clientId: "GID_a@@@d1", address: "10.0.0.5:1", second: 8))
        #expect(ChannelID.mosquitto(clientId: "ab", address: "c", second: 1) != ChannelID.mosquitto(clientId: "a", address: "bc", second: 1))
        #expect(base != ChannelID.emqx(clientId: "GID_a@@@d1", connectedAt: 7))
    }

    @Test func linesWithoutTimestampsStillGetChannels() {
        var tracker = StatusTracker(source: .mosquittoLog, seed: 3)
        let events = Tests.ingest(&tracker, Tests.line("New client connected from 10.0.0.5:40001 as GID_a@@@d1 (p2, c1, k60).", at: 5)).events
        #expect(events.count == 1)
        #expect(events.first?.channelId.utf8.count == 32)
    }
}
