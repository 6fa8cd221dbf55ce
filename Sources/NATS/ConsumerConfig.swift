internal import CNATS

/// The configuration of a durable pull consumer (the part of `jsConsumerConfig` the bridge uses).
/// Acknowledgement is always explicit.
public struct ConsumerConfig: Sendable, Hashable {
    /// Where a new consumer starts in the stream.
    public enum DeliverPolicy: Sendable, Hashable {
        /// From the first message (the default).
        case all
        /// From the last message.
        case last
        /// Only messages stored after the consumer was created.
        case new
        /// The last message of each subject.
        case lastPerSubject
    }

    /// The durable name; the consumer (and its position) survives reconnects and restarts.
    public var durableName: String?
    /// The stream to bind to; nil lets nats.c look up the stream that captures the subject.
    public var stream: String?
    /// Only messages on this subject (wildcards allowed); nil uses the subject given to `pullSubscribe`.
    public var filterSubject: String?
    /// How long the server waits for an ack before redelivering.
    public var ackWait: Duration
    /// The most delivered but unacknowledged messages; -1 for no limit.
    public var maxAckPending: Int
    /// How often a message is delivered at most; -1 for no limit.
    public var maxDeliver: Int
    /// Where a new consumer starts.
    public var deliverPolicy: DeliverPolicy

    /// Creates a configuration.
    public init(durableName: String? = nil, stream: String? = nil, filterSubject: String? = nil,
                ackWait: Duration = .seconds(30), maxAckPending: Int = 1000, maxDeliver: Int = -1,
                deliverPolicy: DeliverPolicy = .all) {
        self.durableName = durableName
        self.stream = stream
        self.filterSubject = filterSubject
        self.ackWait = ackWait
        self.maxAckPending = maxAckPending
        self.maxDeliver = maxDeliver
        self.deliverPolicy = deliverPolicy
    }

    /// Fills `options.Config` (and the stream binding); strings come from `pool`.
    func apply(to options: inout jsSubOptions, durable: String, pool: inout CStringPool) {
        options.Stream = pool.copy(stream)
        options.Config.Durable = pool.copy(durable)
        options.Config.FilterSubject = pool.copy(filterSubject)
        options.Config.AckPolicy = js_AckExplicit
        options.Config.AckWait = nanoseconds(ackWait)
        options.Config.MaxAckPending = Int64(maxAckPending)
        options.Config.MaxDeliver = Int64(maxDeliver)
        options.Config.DeliverPolicy = switch deliverPolicy {
        case .all: js_DeliverAll
        case .last: js_DeliverLast
        case .new: js_DeliverNew
        case .lastPerSubject: js_DeliverLastPerSubject
        }
    }
}
