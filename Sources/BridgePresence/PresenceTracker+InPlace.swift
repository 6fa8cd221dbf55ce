import BridgeCore

/// The frequent events applied directly to a client's record and pool nodes, without decoding the client into
/// a `ClientState` and encoding it back: a new client's `connect`, and for a known client whose last event is
/// its current channel's, any event on the current channel and a `connect` that replaces it (the old channel
/// joins the pool, and the oldest tombstones beyond the limit are evicted).
///
/// Each path does exactly what `ClientState.apply` does for its case (the model tests run both ways,
/// `usesInPlacePaths`); everything else, and every event with a text channel ID or address, takes the general
/// path.
extension PresenceTracker {
    /// Applies the event in place and returns its change, or returns nil, having changed nothing, when the
    /// event needs the general path.
    mutating func applyInPlace(
        _ type: StatusEvent.EventType, time: Int64, channel: ChannelKey, address: PackedAddress, to record: Int32
    ) -> PresenceChange? {
        guard case .hex(let high, let low) = channel, case .ipv4(let packed) = address else { return nil }
        var stored = records[Int(record)]
        // The last event must be the current channel's (so no pool node holds it), and there must be a current
        // channel for the event to be about.
        guard stored.has(ClientRecord.lastEventInline), stored.has(ClientRecord.hasCurrent) else { return nil }
        let takesLastEvent = time >= stored.lastEventTime
        let onCurrent = !stored.has(ClientRecord.channelIsText) && stored.channelHigh == high && stored.channelLow == low
        let wasOnline = stored.isOnline

        guard onCurrent else {
            guard type == .connect else { return nil }
            return replaceCurrent(of: record, high: high, low: low, address: packed, time: time)
        }
        // An event on the current channel keeps the last event inline only when its address is the channel's.
        if takesLastEvent {
            guard !stored.has(ClientRecord.addressIsText), stored.address == packed else { return nil }
            stored.setLastEvent(type, at: time)
        }
        let change: PresenceChange
        switch type {
        case .connect:
            change = .duplicate
        case .tcpclean:
            if stored.has(ClientRecord.currentClosed) {
                change = .duplicate
            } else {
                stored.flags |= ClientRecord.currentClosed
                stored.closedAt = time
                change = .closed
            }
        case .disconnect:
            if stored.has(ClientRecord.currentDisconnected) {
                change = .duplicate
            } else {
                stored.flags |= ClientRecord.currentDisconnected
                change = .disconnectRecorded
            }
        }
        records[Int(record)] = stored
        if wasOnline, !stored.isOnline { onlineClientCount -= 1 }
        return change
    }

    /// A `connect` on a channel other than the current one: when it is the newest connect, the new channel
    /// becomes current and the old one is appended to the client's pool list (`ClientState.promote`).
    private mutating func replaceCurrent(
        of record: Int32, high: UInt64, low: UInt64, address: UInt64, time: Int64
    ) -> PresenceChange? {
        var stored = records[Int(record)]
        // Older than the current connect, the channel would join the pool and the last event would leave the
        // record (or stay with a channel that is no longer current): the general path.
        guard time >= stored.connectedAt, time >= stored.lastEventTime else { return nil }
        // A channel the pool already holds (a tombstone or a pending channel) is the general path's.
        var tail: UInt32 = 0
        var tombstones = 0
        var link = stored.others
        while link != 0 {
            let node = pool[link]
            if !node.has(StoredChannel.channelIsText), node.channelHigh == high, node.channelLow == low { return nil }
            if node.isTombstone { tombstones += 1 }
            tail = link
            link = node.next
        }
        let wasOnline = stored.isOnline

        var old = StoredChannel(
            channelHigh: stored.channelHigh, channelLow: stored.channelLow, address: stored.address,
            connectedAt: stored.connectedAt, flags: StoredChannel.hasConnectedAt)
        if stored.has(ClientRecord.channelIsText) { old.flags |= StoredChannel.channelIsText }
        if stored.has(ClientRecord.addressIsText) { old.flags |= StoredChannel.addressIsText }
        if stored.has(ClientRecord.currentDisconnected) { old.flags |= StoredChannel.disconnected }
        let oldIsTombstone = stored.has(ClientRecord.currentClosed)
        if oldIsTombstone {
            old.flags |= StoredChannel.hasClosedAt
            old.closedAt = stored.closedAt
            tombstones += 1
        } else {
            stored.flags |= ClientRecord.othersOpen
        }
        let appended = pool.allocate(old)
        if tail == 0 {
            stored.others = appended
        } else {
            pool[tail].next = appended
        }

        stored.flags &= ~(ClientRecord.currentClosed | ClientRecord.currentDisconnected | ClientRecord.channelIsText
            | ClientRecord.addressIsText)
        stored.channelHigh = high
        stored.channelLow = low
        stored.address = address
        stored.connectedAt = time
        stored.closedAt = 0
        stored.setLastEvent(.connect, at: time)
        if oldIsTombstone, tombstones > tombstoneLimit {
            // The last event is the new current channel's, which the pool does not hold: no node is protected.
            evictTombstones(of: &stored, count: tombstones)
        }
        records[Int(record)] = stored
        if !wasOnline { onlineClientCount += 1 }
        if arena.garbage > compactionThreshold, arena.garbage * 2 > arena.bytes.count {
            compactArena()
        }
        return .opened
    }

    /// Frees the tombstones that closed earliest (ties: the smaller channel ID) until `tombstoneLimit` remain,
    /// as `ClientState.evictTombstones` does; the list keeps its order.
    private mutating func evictTombstones(of stored: inout ClientRecord, count: Int) {
        var count = count
        while count > tombstoneLimit {
            var victim: UInt32 = 0
            var beforeVictim: UInt32 = 0
            var previous: UInt32 = 0
            var link = stored.others
            while link != 0 {
                let node = pool[link]
                if node.isTombstone, victim == 0 || closesEarlier(node, than: pool[victim]) {
                    victim = link
                    beforeVictim = previous
                }
                previous = link
                link = node.next
            }
            guard victim != 0 else { return }
            let node = pool[victim]
            if beforeVictim == 0 {
                stored.others = node.next
            } else {
                pool[beforeVictim].next = node.next
            }
            if node.has(StoredChannel.channelIsText) { arena.garbage += Int(node.channelLow) }
            if node.has(StoredChannel.addressIsText) { arena.garbage += PresenceTracker.split(node.address).length }
            pool.free(victim)
            count -= 1
        }
    }

    /// `ClientState.closesEarlier` on pool nodes: the earlier `tcpclean`, on ties the smaller channel ID.
    private func closesEarlier(_ lhs: StoredChannel, than rhs: StoredChannel) -> Bool {
        if lhs.closedAt != rhs.closedAt { return lhs.closedAt < rhs.closedAt }
        let textual = StoredChannel.channelIsText
        if !lhs.has(textual), !rhs.has(textual) {
            return (lhs.channelHigh, lhs.channelLow) < (rhs.channelHigh, rhs.channelLow)
        }
        return ChannelKey.precedes(
            channelKey(lhs.channelHigh, lhs.channelLow, isText: lhs.has(textual)),
            channelKey(rhs.channelHigh, rhs.channelLow, isText: rhs.has(textual)))
    }

    /// A new client's `connect` with a well-formed channel ID and an IPv4 address.
    mutating func insertConnected(
        _ key: ClientKey, channelHigh: UInt64, channelLow: UInt64, address: UInt64, time: Int64
    ) {
        let record = Int(insertRecord(key))
        records[record].flags = ClientRecord.hasCurrent
        records[record].channelHigh = channelHigh
        records[record].channelLow = channelLow
        records[record].address = address
        records[record].connectedAt = time
        records[record].setLastEvent(.connect, at: time)
        onlineClientCount += 1
    }
}

extension ClientRecord {
    /// Makes the event the client's last one, on the current channel with its address (inline).
    mutating func setLastEvent(_ type: StatusEvent.EventType, at time: Int64) {
        flags = flags & ~ClientRecord.lastEventMask | PresenceTracker.code(of: type) << ClientRecord.lastEventShift
            | ClientRecord.lastEventInline
        lastEventTime = time
    }
}
