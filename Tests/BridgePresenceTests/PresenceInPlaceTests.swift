import TestSupport
import BridgeCore
import Testing

@testable import BridgePresence

/// The tracker's in-place paths against its general path (every event through `ClientState`), on seeded
/// random streams: the same change for every event and the same observable state after it, down to the
/// snapshot and the pool's size.
@Suite struct PresenceInPlaceTests {
    /// Events on a few clients, each with a few channels reused at random: connects, tcpcleans and disconnects
    /// at jittered times (so out of order and duplicated), mostly well-formed channel IDs and IPv4 addresses,
    /// sometimes text, sometimes a channel seen with another address.
    static func stream(seed: UInt64, clients: Int, channels: Int, events: Int, textChance: Double) -> [StatusEvent] {
        var random = SplitMix64(seed: seed)
        var time: Int64 = 1000
        var result: [StatusEvent] = []
        for _ in 0..<events {
            time += Int64.random(in: 0...3, using: &random)
            let client = Int.random(in: 0..<clients, using: &random)
            let number = Int.random(in: 0..<channels, using: &random)
            let channel =
                Double.random(in: 0..<1, using: &random) < textChance
                ? "text-\(client)-\(number)" : ChannelID.render(high: UInt64(client), low: UInt64(number))
            let ip =
                Double.random(in: 0..<1, using: &random) < textChance
                ? "fe80::\(client):\(number)" : "10.0.\(client).\(number % 3):\(1000 + number)"
            let type = [StatusEvent.EventType.connect, .connect, .tcpclean, .tcpclean, .disconnect].randomElement(
                using: &random)!
            let jitter = Int64.random(in: -4...2, using: &random)
            result.append(
                StatusEvent(clientId: "dev-\(client)", time: time + jitter, eventType: type, channelId: channel, clientIp: ip))
        }
        return result
    }

    func compare(seed: UInt64, clients: Int, channels: Int, textChance: Double, limit: Int) -> String? {
        var fast = PresenceTracker(tombstoneLimit: limit)
        var general = PresenceTracker(tombstoneLimit: limit)
        general.usesInPlacePaths = false
        let events = Self.stream(seed: seed, clients: clients, channels: channels, events: 300, textChance: textChance)
        for (step, event) in events.enumerated() {
            let expected = general.apply(event)
            let actual = fast.apply(event)
            let context = "seed \(seed) limit \(limit) step \(step) \(event.jsonBody)"
            if actual != expected { return "\(context): change \(actual), general path says \(expected)" }
            let id = event.clientId
            if fast.client(id) != general.client(id) {
                return "\(context): \(String(describing: fast.client(id))) vs \(String(describing: general.client(id)))"
            }
            if fast.channels(of: id) != general.channels(of: id) || fast.isOnline(id) != general.isOnline(id)
                || fast.channelStatus(event.channelId, of: id) != general.channelStatus(event.channelId, of: id)
            {
                return "\(context): channels \(fast.channels(of: id)) vs \(general.channels(of: id))"
            }
            if fast.onlineClientCount != general.onlineClientCount {
                return "\(context): onlineClientCount \(fast.onlineClientCount) vs \(general.onlineClientCount)"
            }
        }
        if Array(fast.snapshotEvents()) != Array(general.snapshotEvents()) { return "seed \(seed) limit \(limit): snapshots differ" }
        if fast.pool.count != general.pool.count {
            return "seed \(seed) limit \(limit): pool holds \(fast.pool.count) nodes, general path \(general.pool.count)"
        }
        return nil
    }

    @Test(arguments: [0, 1, 2, 4])
    func wellFormedChannelsAndAddresses(limit: Int) {
        for seed in UInt64(1)...150 {
            if let failure = compare(seed: seed, clients: 3, channels: 8, textChance: 0, limit: limit) {
                Issue.record(Comment(rawValue: failure))
                return
            }
        }
    }

    @Test(arguments: [0, 4])
    func someTextChannelsAndAddresses(limit: Int) {
        for seed in UInt64(500)...650 {
            if let failure = compare(seed: seed, clients: 3, channels: 8, textChance: 0.2, limit: limit) {
                Issue.record(Comment(rawValue: failure))
                return
            }
        }
    }

    @Test func manyChannelsPerClient() {
        for seed in UInt64(900)...960 {
            if let failure = compare(seed: seed, clients: 2, channels: 40, textChance: 0.05, limit: 4) {
                Issue.record(Comment(rawValue: failure))
                return
            }
        }
    }

    /// Churn on text channels through the in-place paths still has its garbage reclaimed.
    @Test func evictedTextIsReclaimed() {
        var tracker = PresenceTracker(tombstoneLimit: 1)
        tracker.compactionThreshold = 256
        for round in 0..<2000 {
            let text = "text-channel-\(round)"
            tracker.apply(StatusEvent(clientId: "c", time: Int64(round * 10), eventType: .connect, channelId: text, clientIp: "1.2.3.4:5"))
            tracker.apply(StatusEvent(clientId: "c", time: Int64(round * 10 + 1), eventType: .tcpclean, channelId: text, clientIp: "1.2.3.4:5"))
            let hex = ChannelID.render(high: 1, low: UInt64(round))
            tracker.apply(StatusEvent(clientId: "c", time: Int64(round * 10 + 2), eventType: .connect, channelId: hex, clientIp: "1.2.3.4:5"))
            tracker.apply(StatusEvent(clientId: "c", time: Int64(round * 10 + 3), eventType: .tcpclean, channelId: hex, clientIp: "1.2.3.4:5"))
        }
        #expect(tracker.arena.bytes.count < 4096, "garbage is reclaimed")
        #expect(tracker.pool.count == 1)
        #expect(tracker.channelStatus("text-channel-1999", of: "c") == .closed)
    }
}

/// Client IDs kept in the record (up to 32 bytes) and in the arena, looked up by `ClientKey`.
@Suite struct ClientKeyTests {
    @Test func inlineHashIsTheHashOfTheBytes() {
        var random = SplitMix64(seed: 7)
        for length in 0...40 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            bytes.withUnsafeBufferPointer { buffer in
                let key = ClientKey(buffer)
                #expect(key.isInline == (length <= 32))
                #expect(key.hash == ClientKey.hash(buffer), "length \(length)")
            }
        }
    }

    @Test func idsAroundTheInlineLimitAndTrailingZeros() throws {
        var tracker = PresenceTracker()
        var ids = ["", "\0", "a", "a\0", "a\0\0", "é"]
        for length in 28...36 {
            ids.append(String(repeating: "x", count: length))
            ids.append(String(repeating: "x", count: length - 1) + "y")
        }
        ids.append(String(repeating: "z", count: 70_000))
        for (number, id) in ids.enumerated() {
            tracker.apply(
                StatusEvent(
                    clientId: id, time: Int64(number), eventType: .connect,
                    channelId: ChannelID.render(high: 9, low: UInt64(number)), clientIp: "10.0.0.1:1"))
        }
        #expect(tracker.clientCount == ids.count)
        for (number, id) in ids.enumerated() {
            let presence = try #require(tracker.client(id))
            #expect(presence.clientId == id)
            #expect(presence.currentChannel?.connectedAt == Int64(number))
        }
        #expect(!tracker.isOnline("a\0\0\0"))
        #expect(!tracker.isOnline(String(repeating: "x", count: 37)))
        var seen: [String] = []
        tracker.forEachClient { seen.append($0.clientId) }
        #expect(seen == ids)
    }
}
