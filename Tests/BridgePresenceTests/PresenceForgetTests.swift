import BridgeCore
import TestSupport
import Testing

@testable import BridgePresence

/// Clients offline for longer than the retention leave the view; the time is the caller's.
@Suite struct PresenceForgetTests {
    let a = hexChannel(1)
    let b = hexChannel(2)

    @Test func offlineClientsOlderThanTheCutoffAreForgotten() throws {
        var tracker = PresenceTracker()
        tracker.apply(event(.connect, "old", a, at: 100))
        tracker.apply(event(.tcpclean, "old", a, at: 200))
        tracker.apply(event(.connect, "recent", a, at: 100))
        tracker.apply(event(.tcpclean, "recent", a, at: 900))
        tracker.apply(event(.connect, "online", b, at: 50))
        #expect(tracker.clientCount == 3)

        #expect(tracker.forgetOffline(before: 500) == 1)
        #expect(tracker.clientCount == 2)
        #expect(tracker.client("old") == nil)
        #expect(!tracker.isOnline("old"))
        // An online client stays however old its connect; a recently closed one stays as it was.
        #expect(tracker.isOnline("online"))
        #expect(tracker.onlineClientCount == 1)
        #expect(tracker.client("recent")?.lastEvent == event(.tcpclean, "recent", a, at: 900))
        #expect(tracker.channelStatus(a, of: "recent") == .closed)

        // Nothing else is old enough: nothing changes.
        #expect(tracker.forgetOffline(before: 500) == 0)
        #expect(tracker.clientCount == 2)
    }

    @Test func keptClientsAreExactlyAsBefore() throws {
        var tracker = PresenceTracker(tombstoneLimit: 2)
        var reference = PresenceTracker(tombstoneLimit: 2)
        var generator = SplitMix64(seed: 42)
        let types: [StatusEvent.EventType] = [.connect, .disconnect, .tcpclean]
        for step in 0..<3_000 {
            let client = "dev-\(generator.next() % 200)"
            let channel = hexChannel(generator.next() % 6)
            let type = types[Int(generator.next() % 3)]
            let time = Int64(step) * 10
            let e = event(type, client, channel, at: time)
            tracker.apply(e)
            if client.hasSuffix("7") { continue }
            reference.apply(e)
        }
        // Forget everything offline; the reference was built from the online and never-forgotten only.
        let offlineBefore = (0..<200).map { "dev-\($0)" }.filter { tracker.client($0) != nil && !tracker.isOnline($0) }
        let forgotten = tracker.forgetOffline(before: Int64.max)
        #expect(forgotten == offlineBefore.count)
        for id in (0..<200).map({ "dev-\($0)" }) {
            if offlineBefore.contains(id) {
                #expect(tracker.client(id) == nil, "\(id)")
            } else if !id.hasSuffix("7") {
                #expect(tracker.client(id) == reference.client(id), "\(id)")
                #expect(tracker.channels(of: id) == reference.channels(of: id), "\(id)")
            }
        }
        #expect(tracker.onlineClientCount == tracker.clientCount)
        // Late events of a forgotten client make it a new client again.
        if let id = offlineBefore.first {
            #expect(tracker.apply(event(.connect, id, hexChannel(99), at: 1)) == .opened)
            #expect(tracker.isOnline(id))
        }
    }

    @Test func statusTrackerForgetsToo() {
        var tracker = StatusTracker(source: .emqxEvents, seed: 1)
        tracker.restore(events: [event(.connect, "x", a, at: 10), event(.tcpclean, "x", a, at: 20)])
        #expect(tracker.forgetOffline(before: 21) == 1)
        #expect(tracker.presence.clientCount == 0)
    }
}
