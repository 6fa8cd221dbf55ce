/// What the MQTT worker does when the hub settles outflow messages, with no I/O: their settle records are
/// gathered and written to the journal in one write per batch of acknowledgements; a settle record no outflow
/// append has carried to disk within `writeDelayMs` is written by the worker itself. (Room in the hub's
/// window is `OutflowWindow`'s.)
public struct OutflowSettlement: Sendable, Equatable {
    /// How long settle records handed to the journal may wait for an outflow append to write them.
    public static let writeDelayMs: Int64 = 50

    public let journaled: Bool
    /// Journal ids settled since the last `flush`.
    public private(set) var pendingIds: [UInt64] = []
    /// When settle records were last handed to the journal without an append to carry them; nil when none wait.
    public private(set) var waitingSince: Int64?

    public init(journaled: Bool) {
        self.journaled = journaled
    }

    /// The hub settled these (pending) messages.
    public mutating func settled(_ ids: [UInt64]) {
        if journaled { pendingIds += ids }
    }

    /// Takes the journal ids settled since the last flush: the settle records to hand to the journal (empty:
    /// none, and always without a journal).
    public mutating func flush() -> [UInt64] {
        let ids = pendingIds
        pendingIds.removeAll(keepingCapacity: true)
        return ids
    }

    /// The journal took settle records at `now`: they wait for an append to carry them, at most `writeDelayMs`.
    public mutating func handedToJournal(now: Int64) {
        if waitingSince == nil { waitingSince = now }
    }

    /// Whether the worker should write the waiting settle records itself now; if so they count as written.
    public mutating func writeWaitingIsDue(now: Int64) -> Bool {
        guard let since = waitingSince, now - since >= Self.writeDelayMs else { return false }
        waitingSince = nil
        return true
    }

    /// How long the worker may wait in a poll before the waiting settle records are due (nil: none wait).
    public func pollTimeoutMs(now: Int64) -> Int64? {
        waitingSince.map { max(0, $0 + Self.writeDelayMs - now) }
    }
}
