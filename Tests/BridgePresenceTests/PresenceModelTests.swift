import BridgeCore
import Testing

@testable import BridgePresence

/// The tracker against a plain dictionary model with unbounded tombstones, on seeded random streams.
@Suite struct PresenceModelTests {
    /// Checks every step; returns the first mismatch with the seed, so a failure can be replayed.
    func run(
        seed: UInt64, scenario: PresenceScenario, tombstoneLimit: Int, seen: inout Set<PresenceChange>
    ) -> String? {
        var tracker = PresenceTracker(tombstoneLimit: tombstoneLimit)
        var model = PresenceModel()
        let clientIds = (0..<scenario.clients).map(PresenceScenario.clientId)
        for (step, event) in scenario.events(seed: seed).enumerated() {
            let expected = model.apply(event)
            let actual = tracker.apply(event)
            seen.insert(actual)
            if actual != expected {
                return "seed \(seed) step \(step) \(event.jsonBody): change \(actual), model says \(expected)"
            }
            for clientId in clientIds {
                let open = Set(tracker.client(clientId)?.openChannels.map(\.channelId) ?? [])
                if tracker.isOnline(clientId) != model.isOnline(clientId) || open != model.openChannels(clientId) {
                    return "seed \(seed) step \(step) \(event.jsonBody): \(clientId) open \(open), model \(model.openChannels(clientId))"
                }
            }
            let online = clientIds.filter(model.isOnline).count
            if tracker.onlineClientCount != online {
                return "seed \(seed) step \(step): onlineClientCount \(tracker.onlineClientCount), model \(online)"
            }
        }
        return nil
    }

    @Test func matchesTheModelWhenTombstonesSuffice() {
        let scenario = PresenceScenario(clients: 4, channelsPerClient: 1...6, window: 5, duplicateChance: 0.2)
        var seen: Set<PresenceChange> = []
        for seed in UInt64(1)...400 {
            if let failure = run(seed: seed, scenario: scenario, tombstoneLimit: 6, seen: &seen) {
                Issue.record(Comment(rawValue: failure))
                return
            }
        }
        #expect(seen == Set(PresenceChange.allCases), "the streams exercise every kind of change")
    }

    @Test func matchesTheModelWithBoundedTombstonesAndLocalDisorder() {
        // Many channels per client, four tombstones: enough when disorder and redelivery stay local.
        let scenario = PresenceScenario(
            clients: 3, channelsPerClient: 10...30, window: 3, duplicateChance: 0.2, farDuplicates: false)
        var seen: Set<PresenceChange> = []
        for seed in UInt64(1000)...1150 {
            if let failure = run(seed: seed, scenario: scenario, tombstoneLimit: 4, seen: &seen) {
                Issue.record(Comment(rawValue: failure))
                return
            }
        }
    }

    @Test func inOrderStreamsNeedNoTombstonesAtAll() {
        let scenario = PresenceScenario(clients: 5, channelsPerClient: 1...12, window: 0, duplicateChance: 0)
        var seen: Set<PresenceChange> = []
        for seed in UInt64(2000)...2100 {
            if let failure = run(seed: seed, scenario: scenario, tombstoneLimit: 0, seen: &seen) {
                Issue.record(Comment(rawValue: failure))
                return
            }
        }
    }
}
