import BridgeCore

/// Applying many events at once, reading ahead.
///
/// Over many clients an event's cost is mostly waiting for memory: its strings, then an index slot, then the
/// client's record, each a cache miss that depends on the one before. Given several events, the tracker
/// prefetches those for the next events before applying the current one, in stages (the strings first, then
/// the slot found by hashing the ID, then the record the slot names), so the misses of several events
/// overlap instead of following one another. Prefetching changes nothing; the events are applied exactly as
/// `apply(_:)` would, in order. The guesses may be wrong (a slot taken by another ID, an index grown
/// meanwhile), which only costs the miss they were meant to save.
extension PresenceTracker {
    /// How many events apart the stages are: an event's strings are prefetched `3 × lookahead` events before
    /// it is applied, its index slot `2 × lookahead` before and its record `lookahead` before.
    static let lookahead = 2

    /// Applies `events` in order, as `apply(_:)` does one by one, and discards what they changed.
    public mutating func apply(contentsOf events: [StatusEvent]) {
        apply(contentsOf: events) { _, _ in }
    }

    /// Applies `events` in order, as `apply(_:)` does one by one, and calls `report` with each event's index
    /// in `events` and what it changed, after applying it.
    public mutating func apply(contentsOf events: [StatusEvent], _ report: (Int, PresenceChange) -> Void) {
        let step = Self.lookahead
        // Hashes of the events between their slot's prefetch and their record's, by event index modulo 8.
        var hashes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        let ringMask = 7
        precondition(step <= ringMask + 1, "the hash ring holds the events between the two prefetches")
        events.withUnsafeBufferPointer { events in
            withUnsafeMutableBytes(of: &hashes) { ring in
                let ring = ring.bindMemory(to: UInt64.self)
                for position in events.indices {
                    let strings = position + 3 * step
                    if strings < events.count {
                        // Field by field: passing the whole event would copy it, retaining its strings.
                        Self.prefetchBytes(of: events[strings].clientId)
                        Self.prefetchBytes(of: events[strings].channelId)
                        Self.prefetchBytes(of: events[strings].clientIp)
                    }
                    let slot = position + 2 * step
                    if slot < events.count {
                        let hash = Self.hash(of: events[slot].clientId)
                        ring[slot & ringMask] = hash
                        index.prefetchHomeSlot(hash: hash)
                    }
                    let record = position + step
                    if record < events.count, let number = index.homeRecord(hash: ring[record & ringMask]) {
                        prefetchRecord(number)
                    }
                    report(position, apply(at: events.baseAddress! + position))
                }
            }
        }
    }

    /// `apply(_:)` for the event at `event`, read in place: copying it out of the array would retain and
    /// release its strings, atomic writes to lines that may not be in the cache yet.
    @inline(__always)
    private mutating func apply(at event: UnsafePointer<StatusEvent>) -> PresenceChange {
        let channel = ChannelKey(event.pointee.channelId)
        let address = PackedAddress(event.pointee.clientIp)
        let type = event.pointee.eventType
        let time = event.pointee.time
        if let change = event.pointee.clientId.utf8.withContiguousStorageIfAvailable({
            apply(type, time: time, channel: channel, address: address, clientId: $0)
        }) {
            return change
        }
        return apply(event.pointee)
    }

    /// Prefetches a string's bytes (for a small string, which lives in place, a copy of them on the stack).
    @inline(__always)
    private static func prefetchBytes(of string: String) {
        _ = string.utf8.withContiguousStorageIfAvailable { bytes in
            if let base = bytes.baseAddress { prefetch(base) }
        }
    }

    /// The index hash of an ID (0 for a string without contiguous UTF-8, whose guess is then simply wrong).
    @inline(__always)
    private static func hash(of clientId: String) -> UInt64 {
        clientId.utf8.withContiguousStorageIfAvailable { ClientKey($0).hash } ?? 0
    }

    /// Prefetches both cache lines a record may span.
    @inline(__always)
    private func prefetchRecord(_ number: Int32) {
        records.withUnsafeBufferPointer { records in
            guard let base = records.baseAddress, Int(number) < records.count else { return }
            let record = UnsafeRawPointer(base + Int(number))
            prefetch(record)
            prefetch(record + (MemoryLayout<ClientRecord>.size - 1))
        }
    }
}
