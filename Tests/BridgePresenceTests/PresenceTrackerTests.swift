import TestSupport
import BridgeCore
import Testing

@testable import BridgePresence

@Suite struct PresenceTrackerTests {
    let a = hexChannel(1)
    let b = hexChannel(2)
    let c = hexChannel(3)

    @Test func recordIsCompact() {
        #expect(MemoryLayout<ClientRecord>.stride == 96)
        #expect(MemoryLayout<StoredChannel>.stride == 56)
    }

    @Test func connectDisconnectTcpclean() throws {
        var tracker = PresenceTracker()
        #expect(!tracker.isOnline("dev"))
        #expect(tracker.client("dev") == nil)
        #expect(tracker.apply(event(.connect, "dev", a, at: 100)) == .opened)
        #expect(tracker.isOnline("dev"))
        #expect(tracker.onlineClientCount == 1)
        let presence = try #require(tracker.client("dev"))
        #expect(presence.isOnline)
        #expect(
            presence.openChannels
                == [PresenceChannel(channelId: a, clientIp: "10.0.0.1:5000", connectedAt: 100, isOpen: true)])
        #expect(presence.lastEvent == event(.connect, "dev", a, at: 100))
        #expect(tracker.apply(event(.disconnect, "dev", a, at: 200)) == .disconnectRecorded)
        #expect(tracker.isOnline("dev"), "offline is decided on tcpclean only")
        #expect(tracker.apply(event(.tcpclean, "dev", a, at: 200)) == .closed)
        #expect(!tracker.isOnline("dev"))
        #expect(tracker.onlineClientCount == 0)
        #expect(tracker.clientCount == 1)
        let after = try #require(tracker.client("dev"))
        #expect(after.openChannels.isEmpty)
        #expect(after.lastEvent == event(.tcpclean, "dev", a, at: 200))
        #expect(
            after.currentChannel == PresenceChannel(channelId: a, clientIp: "10.0.0.1:5000", connectedAt: 100, isOpen: false))
        #expect(tracker.channelStatus(a, of: "dev") == .closed)
    }

    @Test func quickReconnectKeepsTheClientOnline() {
        var tracker = PresenceTracker()
        tracker.apply(event(.connect, "dev", a, at: 100))
        tracker.apply(event(.connect, "dev", b, at: 200, ip: "10.0.0.1:5001"))
        #expect(tracker.apply(event(.tcpclean, "dev", a, at: 210)) == .closed)
        #expect(tracker.isOnline("dev"))
        #expect(tracker.client("dev")?.openChannels.map(\.channelId) == [b])
        #expect(tracker.currentChannel(of: "dev")?.channelId == b)
        #expect(tracker.client("dev")?.lastEvent.eventType == .tcpclean, "the newest event by time")
        #expect(tracker.apply(event(.tcpclean, "dev", b, at: 300)) == .closed)
        #expect(!tracker.isOnline("dev"))
    }

    @Test func tcpcleanBeforeConnectClosesTheChannel() {
        var tracker = PresenceTracker()
        #expect(tracker.apply(event(.tcpclean, "dev", a, at: 150)) == .closedBeforeConnect)
        #expect(!tracker.isOnline("dev"))
        #expect(tracker.clientCount == 1)
        #expect(tracker.channelStatus(a, of: "dev") == .closed)
        #expect(tracker.apply(event(.connect, "dev", a, at: 100)) == .lateConnectIgnored)
        #expect(!tracker.isOnline("dev"))
        #expect(tracker.currentChannel(of: "dev") == nil, "a late connect never becomes current")
        #expect(tracker.apply(event(.connect, "dev", a, at: 100)) == .duplicate)
        #expect(tracker.channels(of: "dev").map(\.channelId) == [a])
        #expect(tracker.client("dev")?.lastEvent == event(.tcpclean, "dev", a, at: 150))
    }

    @Test func duplicatesAreRecognised() {
        var tracker = PresenceTracker()
        #expect(tracker.apply(event(.connect, "dev", a, at: 100)) == .opened)
        #expect(tracker.apply(event(.connect, "dev", a, at: 100)) == .duplicate)
        #expect(tracker.apply(event(.disconnect, "dev", a, at: 200)) == .disconnectRecorded)
        #expect(tracker.apply(event(.disconnect, "dev", a, at: 200)) == .duplicate)
        #expect(tracker.apply(event(.tcpclean, "dev", a, at: 200)) == .closed)
        #expect(tracker.apply(event(.tcpclean, "dev", a, at: 200)) == .duplicate)
        #expect(tracker.apply(event(.connect, "dev", a, at: 100)) == .duplicate)
        #expect(!tracker.isOnline("dev"))
        #expect(!PresenceChange.duplicate.isNews)
        #expect(!PresenceChange.lateConnectIgnored.isNews)
        #expect(PresenceChange.closedBeforeConnect.isNews)
    }

    @Test func disconnectBeforeConnectIsRememberedButNotOpen() {
        var tracker = PresenceTracker()
        #expect(tracker.apply(event(.disconnect, "dev", a, at: 100)) == .disconnectBeforeConnect)
        #expect(!tracker.isOnline("dev"))
        #expect(tracker.channelStatus(a, of: "dev") == .pending)
        #expect(tracker.apply(event(.disconnect, "dev", a, at: 100)) == .duplicate)
        #expect(tracker.apply(event(.connect, "dev", a, at: 90)) == .opened)
        #expect(tracker.isOnline("dev"))
        #expect(tracker.apply(event(.tcpclean, "dev", a, at: 101)) == .closed)
        #expect(!tracker.isOnline("dev"))
    }

    @Test func offlineEventOnlyAffectsItsChannel() {
        var tracker = PresenceTracker()
        tracker.apply(event(.connect, "dev", a, at: 100))
        tracker.apply(event(.connect, "dev", b, at: 200))
        // Newer than b's connect, but about a.
        tracker.apply(event(.tcpclean, "dev", a, at: 300))
        #expect(tracker.isOnline("dev"))
        // A stray tcpclean of an unknown channel does not affect b either.
        #expect(tracker.apply(event(.tcpclean, "dev", c, at: 400)) == .closedBeforeConnect)
        #expect(tracker.isOnline("dev"))
        #expect(tracker.client("dev")?.openChannels.map(\.channelId) == [b])
    }

    @Test func takeoverWithBothChannelsOpenForAWhile() {
        var tracker = PresenceTracker()
        tracker.apply(event(.connect, "dev", a, at: 100))
        tracker.apply(event(.connect, "dev", b, at: 100))
        #expect(tracker.client("dev")?.openChannels.map(\.channelId) == [a, b], "ties ordered by channel ID")
        #expect(tracker.currentChannel(of: "dev")?.channelId == b, "ties: the later applied is current")
        tracker.apply(event(.tcpclean, "dev", b, at: 150))
        #expect(tracker.isOnline("dev"))
        tracker.apply(event(.tcpclean, "dev", a, at: 160))
        #expect(!tracker.isOnline("dev"))
        #expect(tracker.onlineClientCount == 0)
    }

    @Test func olderConnectDoesNotBecomeCurrent() {
        var tracker = PresenceTracker()
        tracker.apply(event(.connect, "dev", b, at: 200))
        #expect(tracker.apply(event(.connect, "dev", a, at: 100)) == .opened)
        #expect(tracker.currentChannel(of: "dev")?.channelId == b)
        #expect(tracker.client("dev")?.openChannels.map(\.channelId) == [a, b])
        #expect(tracker.client("dev")?.lastEvent.channelId == b)
    }

    @Test func manyChannels() {
        var tracker = PresenceTracker()
        let channels = (0..<20).map { hexChannel(UInt64(100 + $0)) }
        for (index, channel) in channels.enumerated() {
            #expect(tracker.apply(event(.connect, "dev", channel, at: Int64(index))) == .opened)
        }
        #expect(tracker.client("dev")?.openChannels.count == 20)
        var random = SplitMix64(seed: 3)
        let order = channels.shuffled(using: &random)
        for (index, channel) in order.enumerated() {
            #expect(tracker.isOnline("dev"))
            #expect(tracker.apply(event(.tcpclean, "dev", channel, at: Int64(100 + index))) == .closed)
        }
        #expect(!tracker.isOnline("dev"))
    }

    @Test func tombstonesAreBoundedKeepingTheNewest() {
        var tracker = PresenceTracker(tombstoneLimit: 4)
        let channels = (0..<10).map { hexChannel(UInt64(200 + $0)) }
        for (index, channel) in channels.enumerated() {
            #expect(tracker.apply(event(.tcpclean, "dev", channel, at: Int64(1000 + index))) == .closedBeforeConnect)
        }
        let kept = channels.filter { tracker.channelStatus($0, of: "dev") == .closed }
        #expect(kept == Array(channels.suffix(4)))
        // A late connect for a kept tombstone is ignored; one whose tombstone was dropped opens (the limit's price).
        #expect(tracker.apply(event(.connect, "dev", channels[9], at: 900)) == .lateConnectIgnored)
        #expect(tracker.apply(event(.connect, "dev", channels[0], at: 900)) == .opened)
    }

    @Test func closedCurrentChannelsBecomeTombstonesWhenReplaced() {
        var tracker = PresenceTracker(tombstoneLimit: 2)
        for index in 0..<6 {
            let channel = hexChannel(UInt64(300 + index))
            tracker.apply(event(.connect, "dev", channel, at: Int64(index * 10)))
            tracker.apply(event(.tcpclean, "dev", channel, at: Int64(index * 10 + 5)))
        }
        #expect(tracker.currentChannel(of: "dev")?.channelId == hexChannel(305))
        #expect(tracker.channelStatus(hexChannel(304), of: "dev") == .closed)
        #expect(tracker.channelStatus(hexChannel(303), of: "dev") == .closed)
        #expect(tracker.channelStatus(hexChannel(302), of: "dev") == nil)
        // A redelivered connect of a remembered closed channel does not reopen it.
        #expect(tracker.apply(event(.connect, "dev", hexChannel(304), at: 40)) == .duplicate)
        #expect(!tracker.isOnline("dev"))
    }

    @Test func lastEventChannelIsNeverEvicted() {
        var tracker = PresenceTracker(tombstoneLimit: 2)
        tracker.apply(event(.tcpclean, "dev", a, at: 500))
        tracker.apply(event(.tcpclean, "dev", b, at: 100))
        tracker.apply(event(.tcpclean, "dev", c, at: 200))
        #expect(tracker.channelStatus(a, of: "dev") == .closed, "the last event's channel")
        #expect(tracker.channelStatus(c, of: "dev") == .closed)
        #expect(tracker.channelStatus(b, of: "dev") == nil)
    }

    @Test func lastEventIsTheNewestByTimeWithTiesToTheLaterApplied() {
        var tracker = PresenceTracker()
        tracker.apply(event(.connect, "dev", a, at: 100))
        tracker.apply(event(.connect, "dev", b, at: 50))
        #expect(tracker.client("dev")?.lastEvent.channelId == a)
        tracker.apply(event(.tcpclean, "dev", b, at: 100, ip: "9.9.9.9:9"))
        #expect(tracker.client("dev")?.lastEvent == event(.tcpclean, "dev", b, at: 100, ip: "9.9.9.9:9"))
        tracker.apply(event(.disconnect, "dev", a, at: 99))
        #expect(tracker.client("dev")?.lastEvent.eventType == .tcpclean)
    }

    @Test func textChannelIdsAndAddressesAreKept() throws {
        var tracker = PresenceTracker()
        let ids = ["plain", "UPPER2B9B1281046046FAAFE5E0B458E4", "", "é"]
        for (index, id) in ids.enumerated() {
            let ip = index % 2 == 0 ? "::1:\(index)" : "host.example:\(index)"
            tracker.apply(event(.connect, "dev\(index)", id, at: Int64(index), ip: ip))
            let presence = try #require(tracker.client("dev\(index)"))
            #expect(presence.openChannels == [PresenceChannel(channelId: id, clientIp: ip, connectedAt: Int64(index), isOpen: true)])
            #expect(presence.lastEvent == event(.connect, "dev\(index)", id, at: Int64(index), ip: ip))
            #expect(tracker.apply(event(.connect, "dev\(index)", id, at: Int64(index), ip: ip)) == .duplicate)
        }
    }

    @Test func arenaIsCompactedUnderChurn() throws {
        var tracker = PresenceTracker()
        tracker.compactionThreshold = 256
        for round in 0..<400 {
            for client in 0..<5 {
                let channel = "text-channel-\(round)-\(client)"
                tracker.apply(event(.connect, "c\(client)", channel, at: Int64(round * 10), ip: "fe80::\(round):\(client)"))
                tracker.apply(event(.tcpclean, "c\(client)", channel, at: Int64(round * 10 + 1), ip: "fe80::\(round):\(client)"))
            }
        }
        #expect(tracker.arena.bytes.count < 4096, "garbage is reclaimed")
        for client in 0..<5 {
            let current = try #require(tracker.currentChannel(of: "c\(client)"))
            #expect(current == PresenceChannel(channelId: "text-channel-399-\(client)", clientIp: "fe80::399:\(client)", connectedAt: 3990, isOpen: false))
            #expect(tracker.client("c\(client)")?.clientId == "c\(client)")
        }
    }

    @Test func longClientIds() throws {
        var tracker = PresenceTracker()
        let long = String(repeating: "x", count: 70_000)
        let other = String(repeating: "x", count: 69_999) + "y"
        tracker.apply(event(.connect, long, a, at: 1))
        tracker.apply(event(.connect, other, b, at: 2))
        #expect(tracker.client(long)?.openChannels.map(\.channelId) == [a])
        #expect(tracker.client(other)?.openChannels.map(\.channelId) == [b])
        var seen: [String] = []
        tracker.forEachClient { seen.append($0.clientId) }
        #expect(seen == [long, other])
    }

    @Test func manyClientsSurviveIndexGrowth() {
        var tracker = PresenceTracker()
        for index in 0..<5000 {
            tracker.apply(event(.connect, "GID_x@@@\(index)", hexChannel(UInt64(index)), at: Int64(index)))
        }
        for index in stride(from: 0, to: 5000, by: 2) {
            tracker.apply(event(.tcpclean, "GID_x@@@\(index)", hexChannel(UInt64(index)), at: 10_000))
        }
        #expect(tracker.clientCount == 5000)
        #expect(tracker.onlineClientCount == 2500)
        for index in 0..<5000 {
            #expect(tracker.isOnline("GID_x@@@\(index)") == (index % 2 == 1))
        }
        #expect(!tracker.isOnline("GID_x@@@5000"))
    }

    @Test func reserveCapacityKeepsContents() {
        var tracker = PresenceTracker()
        tracker.apply(event(.connect, "before", a, at: 1))
        tracker.reserveCapacity(clients: 10_000)
        tracker.apply(event(.connect, "after", b, at: 2))
        #expect(tracker.isOnline("before") && tracker.isOnline("after"))
        #expect(tracker.approximateMemoryBytes >= 10_000 * 96)
    }

    @Test func pruningDropsOldTombstonesButNotTheLastEventChannel() {
        var tracker = PresenceTracker()
        tracker.apply(event(.tcpclean, "dev", a, at: 100))
        tracker.apply(event(.disconnect, "dev", b, at: 110))
        tracker.apply(event(.connect, "dev", c, at: 120))
        tracker.apply(event(.tcpclean, "other", a, at: 300))
        #expect(tracker.pruneTombstones(before: 1000) == 2)
        #expect(tracker.channelStatus(a, of: "dev") == nil)
        #expect(tracker.channelStatus(b, of: "dev") == nil)
        #expect(tracker.channelStatus(c, of: "dev") == .open)
        #expect(tracker.channelStatus(a, of: "other") == .closed, "the last event's channel stays")
        // "dev" keeps nothing beside its record; "other" its tombstone and its last event's channel (no current).
        #expect(tracker.pool.count == 2)
    }
}
