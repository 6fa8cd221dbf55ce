internal import Synchronization

/// Running totals of one server, for metrics. Read a snapshot with ``HTTPServer/counters``.
public struct HTTPServerCounters: Sendable, Equatable {
    /// Requests handed to the handler and answered.
    public var requestsServed = 0
    /// Requests refused by the server itself, by status code (400, 408, 411, 413, 414, 431, 501, 505).
    public var badRequests: [Int: Int] = [:]
    /// Connections open now.
    public var connectionsOpen = 0
    /// Connections taken into service since start.
    public var connectionsAccepted = 0
    /// Connections turned away with 503 because ``HTTPServer/Limits/maxConnections`` were open.
    public var connectionsRefused = 0
    /// Connections closed because they were idle past ``HTTPServer/Limits/idleTimeout``.
    public var connectionsTimedOut = 0

    /// All zero.
    public init() {}
}

/// The counters behind a lock: written by the server thread, read from any.
final class CounterStore: Sendable {
    private let counters = Mutex(HTTPServerCounters())

    var snapshot: HTTPServerCounters { counters.withLock { $0 } }

    func update(_ change: (inout HTTPServerCounters) -> Void) {
        counters.withLock { change(&$0) }
    }
}
