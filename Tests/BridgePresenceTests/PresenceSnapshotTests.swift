import BridgeCore
import Testing

@testable import BridgePresence

@Suite struct PresenceSnapshotTests {
    func roundTrip(_ tracker: PresenceTracker, clientIds: [String], seed: UInt64) {
        var rebuilt = PresenceTracker(tombstoneLimit: tracker.tombstoneLimit)
        rebuilt.restore(tracker.snapshotEvents())
        let differences = sameState(tracker, rebuilt, clientIds: clientIds)
        #expect(differences.isEmpty, "seed \(seed): \(differences)")
        #expect(sortedBodies(rebuilt.snapshotEvents()) == sortedBodies(tracker.snapshotEvents()), "seed \(seed)")
        // Persisted as JSON lines and read back.
        var fromJSON = PresenceTracker(tombstoneLimit: tracker.tombstoneLimit)
        for event in tracker.snapshotEvents() {
            guard let decoded = try? StatusEvent(json: event.jsonBody) else {
                Issue.record("seed \(seed): \(event.jsonBody) does not decode")
                return
            }
            fromJSON.apply(decoded)
        }
        #expect(sameState(tracker, fromJSON, clientIds: clientIds).isEmpty, "seed \(seed)")
    }

    @Test func emptyTracker() {
        let tracker = PresenceTracker()
        #expect(Array(tracker.snapshotEvents()).isEmpty)
    }

    @Test func handPickedStates() {
        var tracker = PresenceTracker(tombstoneLimit: 2)
        // Open, closed, disconnected, closed-before-connect with a late connect, disconnect-only, text IDs, IPv6.
        tracker.apply(event(.connect, "open", hexChannel(1), at: 10))
        tracker.apply(event(.connect, "closed", hexChannel(2), at: 10))
        tracker.apply(event(.disconnect, "closed", hexChannel(2), at: 20))
        tracker.apply(event(.tcpclean, "closed", hexChannel(2), at: 20))
        tracker.apply(event(.tcpclean, "late", "chan-x", at: 30, ip: "::1:5"))
        tracker.apply(event(.connect, "late", "chan-x", at: 25, ip: "::1:6"))
        tracker.apply(event(.disconnect, "pending", hexChannel(3), at: 40))
        tracker.apply(event(.connect, "two", hexChannel(4), at: 50))
        tracker.apply(event(.connect, "two", hexChannel(5), at: 60))
        tracker.apply(event(.tcpclean, "two", hexChannel(4), at: 70))
        tracker.apply(event(.tcpclean, "two", hexChannel(6), at: 65))
        tracker.apply(event(.tcpclean, "two", hexChannel(7), at: 66))
        tracker.apply(event(.disconnect, "two", hexChannel(7), at: 67))
        let clientIds = ["open", "closed", "late", "pending", "two"]
        roundTrip(tracker, clientIds: clientIds, seed: 0)
        #expect(tracker.snapshotEvents().underestimatedCount == 5)
    }

    @Test func commonClientsTakeOneOrTwoEvents() {
        var tracker = PresenceTracker()
        tracker.apply(event(.connect, "online", hexChannel(1), at: 10))
        tracker.apply(event(.connect, "offline", hexChannel(2), at: 10))
        tracker.apply(event(.tcpclean, "offline", hexChannel(2), at: 20))
        #expect(Array(tracker.snapshotEvents()) == [
            event(.connect, "online", hexChannel(1), at: 10),
            event(.connect, "offline", hexChannel(2), at: 10),
            event(.tcpclean, "offline", hexChannel(2), at: 20),
        ])
    }

    @Test func lastEventOnAnEvictableTombstone() {
        // The newest event is a late connect on a tombstone whose close is the oldest: it must survive the replay.
        var tracker = PresenceTracker(tombstoneLimit: 2)
        tracker.apply(event(.tcpclean, "dev", hexChannel(1), at: 10))
        tracker.apply(event(.tcpclean, "dev", hexChannel(2), at: 20))
        tracker.apply(event(.connect, "dev", hexChannel(1), at: 100))
        tracker.apply(event(.tcpclean, "dev", hexChannel(3), at: 30))
        #expect(tracker.channelStatus(hexChannel(1), of: "dev") == .closed)
        #expect(tracker.channelStatus(hexChannel(2), of: "dev") == nil)
        roundTrip(tracker, clientIds: ["dev"], seed: 0)
    }

    @Test func randomStatesRoundTrip() {
        for seed in UInt64(1)...300 {
            let scenario = PresenceScenario(
                clients: 4, channelsPerClient: 1...(seed % 3 == 0 ? 12 : 5), window: 6, duplicateChance: 0.25)
            var tracker = PresenceTracker(tombstoneLimit: Int(seed % 4) + 1)
            let events = scenario.events(seed: seed)
            // Round trip both halfway and at the end.
            for (index, event) in events.enumerated() {
                tracker.apply(event)
                if index == events.count / 2 {
                    roundTrip(tracker, clientIds: (0..<4).map(PresenceScenario.clientId), seed: seed)
                }
            }
            roundTrip(tracker, clientIds: (0..<4).map(PresenceScenario.clientId), seed: seed)
        }
    }

    @Test func restoredTrackerContinuesLikeTheOriginal() {
        for seed in UInt64(500)...600 {
            let events = PresenceScenario(clients: 3, channelsPerClient: 2...8, window: 4).events(seed: seed)
            let cut = events.count / 2
            var original = PresenceTracker()
            for event in events[..<cut] { original.apply(event) }
            var restored = PresenceTracker()
            restored.restore(original.snapshotEvents())
            for event in events[cut...] {
                let expected = original.apply(event)
                let actual = restored.apply(event)
                if expected != actual {
                    Issue.record("seed \(seed): \(event.jsonBody) gives \(actual) after a restore, \(expected) before")
                    break
                }
            }
            #expect(sameState(original, restored, clientIds: (0..<3).map(PresenceScenario.clientId)).isEmpty, "seed \(seed)")
        }
    }
}
