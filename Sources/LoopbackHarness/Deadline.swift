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
/// always checked once more at the deadline. For synchronous code (demo commands, the harness
/// itself); async code should use ``waitUntil(timeout:pollInterval:condition:)``.
@discardableResult
public func waitUntilBlocking(timeout: Duration, pollInterval: Duration = .milliseconds(20),
                      condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Deadline(timeout: timeout)
    while true {
        if try condition() { return true }
        if deadline.hasPassed { return false }
        Thread.sleep(forTimeInterval: seconds(min(pollInterval, deadline.remaining)))
    }
}

/// Polls `condition` until it returns `true` or `timeout` passes, suspending (not blocking a
/// thread) `pollInterval` between checks. Returns whether the condition became true; the
/// condition is checked once more at the deadline or on task cancellation.
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
