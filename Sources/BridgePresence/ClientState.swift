import BridgeCore

/// What the tracker knows of one channel of a client.
struct ChannelEntry: Equatable, Sendable {
    var channel: ChannelKey
    /// From the `connect` event, or from the first event seen when the `connect` is still missing.
    var address: PackedAddress
    /// Nil until the channel's `connect` is seen.
    var connectedAt: Int64?
    /// Non-nil once the channel's `tcpclean` is seen.
    var closedAt: Int64?
    /// The channel's `disconnect` was seen.
    var disconnected = false
    /// For an entry known only from a `disconnect`: that event's time. Nil otherwise.
    var pendingSince: Int64?

    var isOpen: Bool { connectedAt != nil && closedAt == nil }
    var isTombstone: Bool { closedAt != nil }
    var isPending: Bool { connectedAt == nil && closedAt == nil }
}

/// The newest event applied for a client.
struct LastEvent: Equatable, Sendable {
    var type: StatusEvent.EventType
    var time: Int64
    var channel: ChannelKey
    var address: PackedAddress
}

/// One client's presence as plain values: the rules of SPEC §7, free of the storage layout.
///
/// - `current` is the channel with the newest `connect` that opened it (ties: the later applied); it is kept
///   even when closed, because the Mosquitto mapping needs its address and connect time.
/// - `others` holds the other open channels (unbounded), pending channels (only a `disconnect` seen;
///   unbounded, removed by pruning) and tombstones: closed channels other than `current`, at most
///   `tombstoneLimit` of them, keeping those with the newest `tcpclean` time (ties: the greater channel ID).
///   The channel of `lastEvent` is never evicted (it counts towards the limit), so re-applying `lastEvent`
///   never changes the state.
/// - A late `connect` records its time on a tombstone but never makes it `current`.
struct ClientState: Equatable, Sendable {
    var current: ChannelEntry?
    var others: [ChannelEntry] = []
    var lastEvent: LastEvent?

    var isOnline: Bool {
        current?.isOpen == true || others.contains { $0.isOpen }
    }

    mutating func apply(
        _ type: StatusEvent.EventType, time: Int64, channel: ChannelKey, address: PackedAddress, tombstoneLimit: Int
    ) -> PresenceChange {
        if lastEvent.map({ time >= $0.time }) ?? true {
            lastEvent = LastEvent(type: type, time: time, channel: channel, address: address)
        }
        switch type {
        case .connect: return connect(channel, time: time, address: address, tombstoneLimit: tombstoneLimit)
        case .tcpclean: return close(channel, time: time, address: address, tombstoneLimit: tombstoneLimit)
        case .disconnect: return disconnect(channel, time: time, address: address)
        }
    }

    private mutating func connect(_ channel: ChannelKey, time: Int64, address: PackedAddress, tombstoneLimit: Int)
        -> PresenceChange
    {
        if current?.channel == channel { return .duplicate }
        if let index = others.firstIndex(where: { $0.channel == channel }) {
            var entry = others[index]
            if entry.connectedAt != nil { return .duplicate }
            entry.connectedAt = time
            entry.address = address
            entry.pendingSince = nil
            if entry.isTombstone {
                others[index] = entry
                return .lateConnectIgnored
            }
            others.remove(at: index)
            promote(entry, tombstoneLimit: tombstoneLimit)
            return .opened
        }
        promote(ChannelEntry(channel: channel, address: address, connectedAt: time), tombstoneLimit: tombstoneLimit)
        return .opened
    }

    private mutating func promote(_ entry: ChannelEntry, tombstoneLimit: Int) {
        guard let old = current else {
            current = entry
            return
        }
        if (entry.connectedAt ?? .min) >= (old.connectedAt ?? .min) {
            current = entry
            others.append(old)
            if old.isTombstone { evictTombstones(limit: tombstoneLimit) }
        } else {
            others.append(entry)
        }
    }

    private mutating func close(_ channel: ChannelKey, time: Int64, address: PackedAddress, tombstoneLimit: Int)
        -> PresenceChange
    {
        if var entry = current, entry.channel == channel {
            if entry.isTombstone { return .duplicate }
            entry.closedAt = time
            current = entry
            return .closed
        }
        if let index = others.firstIndex(where: { $0.channel == channel }) {
            if others[index].isTombstone { return .duplicate }
            let wasOpen = others[index].connectedAt != nil
            others[index].closedAt = time
            others[index].pendingSince = nil
            evictTombstones(limit: tombstoneLimit)
            return wasOpen ? .closed : .closedBeforeConnect
        }
        others.append(ChannelEntry(channel: channel, address: address, closedAt: time))
        evictTombstones(limit: tombstoneLimit)
        return .closedBeforeConnect
    }

    private mutating func disconnect(_ channel: ChannelKey, time: Int64, address: PackedAddress) -> PresenceChange {
        if var entry = current, entry.channel == channel {
            if entry.disconnected { return .duplicate }
            entry.disconnected = true
            current = entry
            return .disconnectRecorded
        }
        if let index = others.firstIndex(where: { $0.channel == channel }) {
            if others[index].disconnected { return .duplicate }
            others[index].disconnected = true
            return .disconnectRecorded
        }
        others.append(ChannelEntry(channel: channel, address: address, disconnected: true, pendingSince: time))
        return .disconnectBeforeConnect
    }

    /// Drops the tombstones with the oldest `tcpclean` time (ties: the smaller channel ID) beyond `limit`,
    /// sparing the channel of `lastEvent`. A snapshot holds at most `limit` tombstones per client, so replaying
    /// it never evicts one and rebuilds the same set.
    mutating func evictTombstones(limit: Int) {
        let protected = lastEvent?.channel
        var count = others.reduce(0) { $0 + ($1.isTombstone ? 1 : 0) }
        while count > limit {
            var victim: Int?
            for index in others.indices where others[index].isTombstone && others[index].channel != protected {
                guard let chosen = victim else {
                    victim = index
                    continue
                }
                if ClientState.closesEarlier(others[index], than: others[chosen]) { victim = index }
            }
            guard let chosen = victim else { return }
            others.remove(at: chosen)
            count -= 1
        }
    }

    private static func closesEarlier(_ lhs: ChannelEntry, than rhs: ChannelEntry) -> Bool {
        let left = lhs.closedAt ?? .min
        let right = rhs.closedAt ?? .min
        if left != right { return left < right }
        return ChannelKey.precedes(lhs.channel, rhs.channel)
    }

    /// Removes tombstones closed before `cutoff` and pending entries older than it, except the channel of
    /// `lastEvent`. Returns how many were removed.
    mutating func prune(before cutoff: Int64) -> Int {
        let protected = lastEvent?.channel
        let before = others.count
        others.removeAll { entry in
            guard entry.channel != protected else { return false }
            if let closedAt = entry.closedAt { return closedAt < cutoff }
            if let since = entry.pendingSince { return since < cutoff }
            return false
        }
        return before - others.count
    }
}
