/// The clocks a service reads, injectable so that tests can step them: a monotonic one for deadlines,
/// heartbeats and timeouts, and the wall clock only where a timestamp is the product (`bornTimestamp`, event
/// times). A step of the wall clock (NTP, a VM resumed) then moves no deadline.
public struct BridgeClock: Sendable {
    /// Milliseconds on a clock that never steps.
    public var monotonicMs: @Sendable () -> Int64
    /// Milliseconds since the epoch.
    public var wallMs: @Sendable () -> Int64

    public init(monotonicMs: @escaping @Sendable () -> Int64, wallMs: @escaping @Sendable () -> Int64) {
        self.monotonicMs = monotonicMs
        self.wallMs = wallMs
    }

    /// `CLOCK_MONOTONIC` and the system's wall clock.
    public static let system = BridgeClock(monotonicMs: { MonotonicClock.nowMs() }, wallMs: { WallClock.epochMs() })
}
