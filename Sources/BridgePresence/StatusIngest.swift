import BridgeCore

/// The broker that reports client connections, and how.
public enum StatusSource: String, Sendable, CaseIterable {
    /// Mosquitto 2.0 log lines on `$SYS/broker/log/<level>` (`connection_messages true`, `log_dest topic`).
    case mosquittoLog = "mosquitto-log"
    /// EMQX `$SYS/brokers/<node>/clients/<clientid>/connected|disconnected` events.
    case emqxEvents = "emqx-events"
}

/// The result of one broker message given to `StatusTracker.ingest`.
public struct StatusIngest: Sendable, Equatable {
    /// Status events to publish, in order; already applied to the tracker's presence state.
    public var events: [StatusEvent]
    /// What became of the message, for counting.
    public var disposition: StatusDisposition
    /// Set with `.rejected`: why the message could not be read.
    public var problem: StatusProblem?

    public init(events: [StatusEvent], disposition: StatusDisposition, problem: StatusProblem? = nil) {
        self.events = events
        self.disposition = disposition
        self.problem = problem
    }

    static func emitted(_ events: [StatusEvent], otherwise: StatusDisposition) -> StatusIngest {
        StatusIngest(events: events, disposition: events.isEmpty ? otherwise : .emitted)
    }

    static func none(_ disposition: StatusDisposition) -> StatusIngest {
        StatusIngest(events: [], disposition: disposition)
    }

    static func rejected(_ problem: StatusProblem) -> StatusIngest {
        StatusIngest(events: [], disposition: .rejected, problem: problem)
    }
}

/// What became of one broker message. Raw values are snake_case for counter labels.
public enum StatusDisposition: String, Sendable, CaseIterable {
    /// At least one status event came out of it.
    case emitted
    /// It does not concern client connections (other log lines, other topics, other log levels).
    case ignored
    /// It repeats what the tracker already knows (a redelivered line or event).
    case duplicate
    /// It is older than the client's current connection: a replay from before that connection.
    case stale
    /// A closing line or event for a client without a known connection.
    case unknownClient = "unknown_client"
    /// An EMQX `connected` event for a connection already closed: not published, the channel stays closed.
    case lateConnect = "late_connect"
    /// It could not be read; see `problem`.
    case rejected
}
