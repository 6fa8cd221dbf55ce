/// When a stopping worker ends, with no I/O: once asked to stop it takes no new messages and runs on until
/// every message in flight is settled or `timeoutMs` has passed; what is still unsettled then stays in the
/// spool (or, without one, is lost).
public struct WorkerDrain: Sendable, Equatable {
    public let timeoutMs: Int64
    /// Set when the worker was asked to stop.
    public private(set) var deadline: Int64?

    public init(timeoutMs: Int64) {
        self.timeoutMs = timeoutMs
    }

    public var isDraining: Bool { deadline != nil }

    /// The worker was asked to stop at `now`; a second request keeps the first deadline.
    public mutating func stopRequested(now: Int64) {
        if deadline == nil { deadline = now + timeoutMs }
    }

    /// What the loop does next.
    public enum Decision: Sendable, Equatable {
        case runOn
        /// Every message settled: end.
        case endDrained
        /// The deadline passed with `unsettled` messages left.
        case endWithUnsettled(Int)
    }

    public func decide(now: Int64, unsettled: Int) -> Decision {
        guard let deadline else { return .runOn }
        if unsettled == 0 { return .endDrained }
        return now >= deadline ? .endWithUnsettled(unsettled) : .runOn
    }
}
