import Foundation

/// A point in time on the monotonic clock, for waiting with a bound.
public struct Deadline: Sendable, Hashable {
    /// The instant at which the deadline passes.
    public let instant: ContinuousClock.Instant

    /// A deadline `timeout` from now.
    public init(timeout: Duration) {
        instant = ContinuousClock.now.advanced(by: timeout)
    }

    /// A deadline `seconds` from now.
    public static func seconds(_ seconds: Double) -> Deadline {
        Deadline(timeout: .milliseconds(Int64(seconds * 1000)))
    }

    /// `true` once the deadline is reached.
    public var hasPassed: Bool { ContinuousClock.now >= instant }

    /// Time left (zero once passed).
    public var remaining: Duration { max(.zero, ContinuousClock.now.duration(to: instant)) }
}

/// Polls `condition` until it returns `true` or `timeout` passes, sleeping the calling thread
/// `pollInterval` between checks. Returns whether the condition became true. The condition is
/// always checked once more at the deadline.
@discardableResult
public func waitUntil(timeout: Duration, pollInterval: Duration = .milliseconds(20),
                      condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Deadline(timeout: timeout)
    while true {
        if try condition() { return true }
        if deadline.hasPassed { return false }
        Thread.sleep(forTimeInterval: seconds(min(pollInterval, deadline.remaining)))
    }
}

/// Async variant of ``waitUntil(timeout:pollInterval:condition:)``: suspends (does not block a
/// thread) between checks. Returns `false` early if the task is cancelled.
@discardableResult
public func waitUntil(timeout: Duration, pollInterval: Duration = .milliseconds(20),
                      condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Deadline(timeout: timeout)
    while true {
        if try await condition() { return true }
        if deadline.hasPassed { return false }
        do {
            try await Task.sleep(for: min(pollInterval, deadline.remaining))
        } catch {
            return try await condition()
        }
    }
}

func seconds(_ duration: Duration) -> TimeInterval {
    let (whole, atto) = duration.components
    return TimeInterval(whole) + TimeInterval(atto) / 1e18
}
