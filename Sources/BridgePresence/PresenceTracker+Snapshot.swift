import BridgeCore

extension PresenceTracker {
    /// The whole state as status events: applying them, in order, to a fresh tracker (`restore(_:)`) rebuilds
    /// the same observable state (online flags, channels, current channel, last event, client count) and the
    /// same tombstones. The sequence is lazy and works on a copy, so the tracker may change meanwhile.
    ///
    /// Per client: the channels other than the current one — the last event's channel first, so that it is
    /// protected from eviction from the start even with a `tombstoneLimit` of 0; tombstones as `tcpclean`
    /// followed by their late `connect`, so they never become current — then the current channel, then the
    /// last event again unless it was just emitted (a duplicate, which sets the last event). A snapshot holds
    /// no more tombstones than the limit, so replaying it evicts none. A `disconnect` is replayed at the
    /// channel's connect (or close) time, the only times kept for it.
    public func snapshotEvents() -> PresenceSnapshot {
        PresenceSnapshot(tracker: self)
    }

    func snapshotEvents(ofRecord record: Int) -> [StatusEvent] {
        let clientId = clientId(of: records[record])
        let state = state(of: Int32(record))
        var events: [StatusEvent] = []
        func add(_ type: StatusEvent.EventType, _ time: Int64, _ entry: ChannelEntry) {
            events.append(
                StatusEvent(
                    clientId: clientId, time: time, eventType: type, channelId: entry.channel.string,
                    clientIp: entry.address.string))
        }
        let protected = state.lastEvent?.channel
        let others = state.others.filter { $0.channel == protected } + state.others.filter { $0.channel != protected }
        for entry in others {
            if let closedAt = entry.closedAt {
                add(.tcpclean, closedAt, entry)
                if let connectedAt = entry.connectedAt { add(.connect, connectedAt, entry) }
                if entry.disconnected { add(.disconnect, entry.connectedAt ?? closedAt, entry) }
            } else if let connectedAt = entry.connectedAt {
                add(.connect, connectedAt, entry)
                if entry.disconnected { add(.disconnect, connectedAt, entry) }
            } else if let since = entry.pendingSince {
                add(.disconnect, since, entry)
            }
        }
        if let current = state.current, let connectedAt = current.connectedAt {
            add(.connect, connectedAt, current)
            if current.disconnected { add(.disconnect, connectedAt, current) }
            if let closedAt = current.closedAt { add(.tcpclean, closedAt, current) }
        }
        if let last = state.lastEvent {
            let event = StatusEvent(
                clientId: clientId, time: last.time, eventType: last.type, channelId: last.channel.string,
                clientIp: last.address.string)
            // Usually the current channel's last event is the last event already: applied last, it is set again.
            if events.last != event { events.append(event) }
        }
        return events
    }
}

/// The state of a `PresenceTracker` as a lazy sequence of status events, client by client
/// (`PresenceTracker.snapshotEvents()`).
public struct PresenceSnapshot: Sequence, Sendable {
    let tracker: PresenceTracker

    public func makeIterator() -> Iterator {
        Iterator(tracker: tracker)
    }

    /// At least one event per client.
    public var underestimatedCount: Int { tracker.clientCount }

    public struct Iterator: IteratorProtocol {
        let tracker: PresenceTracker
        var record = 0
        var buffer: [StatusEvent] = []
        var position = 0

        public mutating func next() -> StatusEvent? {
            while position == buffer.count {
                guard record < tracker.records.count else { return nil }
                buffer = tracker.snapshotEvents(ofRecord: record)
                position = 0
                record += 1
            }
            defer { position += 1 }
            return buffer[position]
        }
    }
}
