/// When a worker next tries to reach a server (the MQTT worker its broker, the JetStream worker JetStream):
/// at once the first time, then after a back-off that starts at `firstDelayMs` and doubles up to
/// `maximumDelayMs` for each failure, back to `firstDelayMs` once connected. No I/O and no clock: the time is
/// passed in.
public struct ReconnectBackoff: Sendable, Equatable {
    /// The MQTT worker's back-off: 0.5 s doubling to 30 s.
    public static let initialMs: Int64 = 500
    public static let maximumMs: Int64 = 30_000

    public let firstDelayMs: Int64
    public let maximumDelayMs: Int64
    /// When the next attempt is due.
    public private(set) var nextAttemptMs: Int64 = 0
    /// How long the next failure waits.
    public private(set) var delayMs: Int64

    public init(firstDelayMs: Int64 = ReconnectBackoff.initialMs, maximumDelayMs: Int64 = ReconnectBackoff.maximumMs) {
        self.firstDelayMs = firstDelayMs
        self.maximumDelayMs = max(firstDelayMs, maximumDelayMs)
        delayMs = firstDelayMs
    }

    /// Whether an attempt is due at `now`.
    public func isDue(now: Int64) -> Bool { now >= nextAttemptMs }

    /// How long until the next attempt (0 when due).
    public func remainingMs(now: Int64) -> Int64 { max(0, nextAttemptMs - now) }

    /// An attempt failed, or the connection was given up: the next is due after the delay, which doubles.
    /// Returns the delay waited.
    @discardableResult
    public mutating func failed(now: Int64) -> Int64 {
        let waited = delayMs
        nextAttemptMs = now + waited
        delayMs = min(delayMs * 2, maximumDelayMs)
        return waited
    }

    /// Connected: the next failure waits the initial delay again.
    public mutating func connected() {
        delayMs = firstDelayMs
    }
}
