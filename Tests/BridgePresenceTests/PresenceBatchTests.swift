import TestSupport
import BridgeCore
import Testing

@testable import BridgePresence

/// `apply(contentsOf:)`, which prefetches ahead, against `apply(_:)` one event at a time.
@Suite struct PresenceBatchTests {
    /// Applies `events` both ways and describes the first difference: a change, or the state afterwards.
    func compare(_ events: [StatusEvent], limit: Int, context: String) -> String? {
        var single = PresenceTracker(tombstoneLimit: limit)
        let expected = events.map { single.apply($0) }
        var batch = PresenceTracker(tombstoneLimit: limit)
        var actual: [PresenceChange] = []
        var positions: [Int] = []
        batch.apply(contentsOf: events) { position, change in
            positions.append(position)
            actual.append(change)
        }
        if positions != Array(events.indices) { return "\(context): reported positions \(positions.prefix(20))…" }
        if let step = actual.indices.first(where: { actual[$0] != expected[$0] }) {
            return "\(context) step \(step): change \(actual[step]), one by one \(expected[step])"
        }
        let ids = Array(Set(events.map(\.clientId)))
        let differences = sameState(batch, single, clientIds: ids)
        if !differences.isEmpty { return "\(context): \(differences.prefix(3))" }
        if Array(batch.snapshotEvents()) != Array(single.snapshotEvents()) { return "\(context): snapshots differ" }
        if batch.pool.count != single.pool.count { return "\(context): pool \(batch.pool.count) vs \(single.pool.count)" }
        return nil
    }

    /// Few clients: the same client often several times within the look-ahead, new clients among them.
    @Test(arguments: [0, 4])
    func fewClientsWithinTheLookahead(limit: Int) {
        for seed in UInt64(1)...100 {
            let events = PresenceInPlaceTests.stream(seed: seed, clients: 3, channels: 6, events: 200, textChance: 0.1)
            if let failure = compare(events, limit: limit, context: "seed \(seed) limit \(limit)") {
                Issue.record(Comment(rawValue: failure))
                return
            }
        }
    }

    /// Many clients: the index grows while the batch runs (prefetch guesses made before the growth go stale).
    @Test func indexGrowsDuringTheBatch() {
        for seed in UInt64(200)...210 {
            let events = PresenceInPlaceTests.stream(seed: seed, clients: 3000, channels: 3, events: 20_000, textChance: 0.05)
            if let failure = compare(events, limit: 2, context: "seed \(seed)") {
                Issue.record(Comment(rawValue: failure))
                return
            }
        }
    }

    /// Long IDs (kept in the arena) and batches shorter than the look-ahead, down to none.
    @Test func longIDsAndShortBatches() {
        for count in [0, 1, 2, 5, 11, 13, 40] {
            var events: [StatusEvent] = []
            for number in 0..<count {
                let clientId: String = String(repeating: "long-client-id-", count: 3) + String(number % 4)
                let type: StatusEvent.EventType = number % 3 == 2 ? .tcpclean : .connect
                let channel: String = ChannelID.render(high: 7, low: UInt64(number / 3))
                events.append(
                    StatusEvent(clientId: clientId, time: Int64(number), eventType: type, channelId: channel, clientIp: "10.1.2.3:\(number)"))
            }
            if let failure = compare(events, limit: 4, context: "\(count) events") {
                Issue.record(Comment(rawValue: failure))
            }
        }
    }

    /// `restore` of an array (through the batch) and of another sequence end in the same state.
    @Test func restoreOfAnArrayIsTheBatch() {
        let events = PresenceInPlaceTests.stream(seed: 77, clients: 50, channels: 4, events: 2000, textChance: 0.1)
        var fromArray = PresenceTracker()
        fromArray.restore(events)
        var fromSequence = PresenceTracker()
        fromSequence.restore(events.lazy.map { $0 })
        #expect(sameState(fromArray, fromSequence, clientIds: Array(Set(events.map(\.clientId)))).isEmpty)
        #expect(Array(fromArray.snapshotEvents()) == Array(fromSequence.snapshotEvents()))
    }

    /// The index's home-slot guess names a record only when the slot's hash bits are the ID's.
    @Test func homeRecordGuess() {
        var tracker = PresenceTracker()
        let ids = (0..<5000).map { "client-\($0)" }
        for (number, id) in ids.enumerated() {
            tracker.apply(StatusEvent(clientId: id, time: Int64(number), eventType: .connect, channelId: ChannelID.render(high: 1, low: UInt64(number)), clientIp: "10.0.0.1:1"))
        }
        var hits = 0
        for id in ids {
            let key = id.utf8.withContiguousStorageIfAvailable { ClientKey($0).hash }!
            if let guess = tracker.index.homeRecord(hash: key) {
                #expect(guess == tracker.findRecord(id), "a matching home slot is the ID's own (no tag collisions here)")
                hits += 1
            }
        }
        #expect(hits > ids.count / 2, "most IDs sit in their home slot at load factor ≤ 0.7")
    }
}
