/// Settings of a ``JetStreamContext``'s asynchronous publishing.
public struct AsyncPublishOptions: Sendable {
    /// How many asynchronous publishes may await their acknowledgement at once. When the window is
    /// full, ``JetStreamContext/publishAsync(_:msgId:ackTimeoutMs:)`` waits up to ``stallWaitMs`` for
    /// room, then throws a timeout.
    public var maxPending: Int
    /// How long nats.c waits for each message's acknowledgement before reporting it as failed with a
    /// timeout, in milliseconds; 0 waits forever (use ``JetStreamContext/takePendingAsyncMessageIds()``
    /// to collect what is stuck then).
    public var ackTimeoutMs: Int
    /// How long a publish into a full window waits for room, in milliseconds (nats.c's default is 200).
    public var stallWaitMs: Int
    /// Receives exactly one ``AsyncPublishResult`` per accepted asynchronous publish, on a nats.c thread
    /// (acknowledgements arrive on the connection's reply thread, timeouts on a timer thread). Keep it short.
    public var onResult: @Sendable (AsyncPublishResult) -> Void

    /// Creates options.
    public init(maxPending: Int = 4096, ackTimeoutMs: Int = 5000, stallWaitMs: Int = 10,
                onResult: @escaping @Sendable (AsyncPublishResult) -> Void = { _ in }) {
        self.maxPending = maxPending
        self.ackTimeoutMs = ackTimeoutMs
        self.stallWaitMs = stallWaitMs
        self.onResult = onResult
    }
}

/// The outcome of one asynchronous JetStream publish.
public struct AsyncPublishResult: Sendable {
    /// What happened to a message.
    public enum Outcome: Sendable {
        /// The stream stored it (or, with `duplicate`, had already stored a message with this id).
        case stored(stream: String, sequence: UInt64, duplicate: Bool)
        /// The server refused it, nothing answered, or no acknowledgement came within the timeout.
        case failed(NATSError)
    }

    /// The message id given to ``JetStreamContext/publishAsync(_:msgId:ackTimeoutMs:)``, read back
    /// from the message's `Nats-Msg-Id` header.
    public let msgId: String
    /// What happened.
    public let outcome: Outcome

    /// Creates a result.
    public init(msgId: String, outcome: Outcome) {
        self.msgId = msgId
        self.outcome = outcome
    }

    /// Whether the stream holds the message now (stored now or before).
    public var isStored: Bool {
        if case .stored = outcome { return true }
        return false
    }

    /// The error of a failed publish.
    public var error: NATSError? {
        if case .failed(let error) = outcome { return error }
        return nil
    }
}

/// The acknowledgement of a synchronous JetStream publish.
public struct PubAck: Sendable, Hashable {
    /// The stream that stored the message.
    public let stream: String
    /// The stream sequence of the message.
    public let sequence: UInt64
    /// `true` if a message with the same id was already stored within the duplicate window.
    public let duplicate: Bool
    /// The JetStream domain, if any.
    public let domain: String?
}
