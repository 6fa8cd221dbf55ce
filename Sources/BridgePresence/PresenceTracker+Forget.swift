import BridgeCore

extension PresenceTracker {
    /// Forgets every client that is offline and whose last event is older than `cutoff` (ms since the epoch):
    /// it leaves the view as if it had never been seen (`client(_:)` is nil, `clientCount` drops). Online
    /// clients are kept however old their last event. Returns how many clients were forgotten.
    ///
    /// The caller passes the current time minus the retention (the tracker reads no clock). When some client
    /// is forgotten the storage is rebuilt from the others' snapshot events, so the call costs a pass over
    /// the view and, for that pass, a second copy of what is kept; call it now and then (e.g. every few
    /// minutes), not per event.
    @discardableResult
    public mutating func forgetOffline(before cutoff: Int64) -> Int {
        var forgotten = 0
        for record in records where !record.isOnline && record.lastEventTime < cutoff {
            forgotten += 1
        }
        guard forgotten > 0 else { return 0 }
        var rebuilt = PresenceTracker(tombstoneLimit: tombstoneLimit)
        rebuilt.compactionThreshold = compactionThreshold
        rebuilt.usesInPlacePaths = usesInPlacePaths
        rebuilt.reserveCapacity(clients: records.count - forgotten)
        for record in records.indices {
            let stored = records[record]
            if !stored.isOnline && stored.lastEventTime < cutoff { continue }
            for event in snapshotEvents(ofRecord: record) {
                rebuilt.apply(event)
            }
        }
        self = rebuilt
        return forgotten
    }
}
