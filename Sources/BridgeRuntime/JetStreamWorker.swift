import BridgeCore
import Foundation
import JetStreamMapping
import Logging
import NATS
import Synchronization
import ZeroMQ

/// The queue side on NATS JetStream: an engine worker of the hub. Every routed queue-side message is
/// published to its stream and acknowledged to the hub only once JetStream has stored it; every inflow
/// rule reads a durable pull consumer and hands its messages to the hub as a producer would.
///
/// Runs on a thread of its own (the only one that touches its hub socket); nats.c's threads and one fetch
/// thread per inflow rule hand it events through `mailbox`. Decisions are made by `OutflowPublisher` and
/// `InflowTracker`; this shell carries them out.
public final class JetStreamWorker: @unchecked Sendable {
    // Safe: mutable state lives on the worker thread; other threads only post to `mailbox`, read the
    // `stats` mutex and the atomics, or set `stopping`.

    /// Everything the worker needs, read from the mapping file's `jetstream` section and rules.
    public struct Options: Sendable {
        public var connection: NATSConnectionOptions
        public var subjectPrefix: String
        public var replicas: Int
        public var maxAge: Duration
        public var maxBytes: Int64?
        public var discardNew: Bool
        public var duplicateWindow: Duration
        /// Publishes in flight to JetStream, and the window the hub may fill.
        public var maxPending: Int
        /// How long a publish waits for its PubAck before it is sent again.
        public var publishTimeoutMs: Int
        /// Inflow consumers' ack wait and the most messages each has unacknowledged.
        public var ackWaitMs: Int64
        public var maxAckPending: Int
        /// Shown in the hub's logs.
        public var name: String
        /// The hub's public key and this worker's keys, for a hub with `hub.curve` on a tcp:// endpoint.
        public var curve: CurveClientKeys?

        public init(connection: NATSConnectionOptions, subjectPrefix: String = "mq", replicas: Int = 1,
                    maxAge: Duration = .seconds(72 * 3600), maxBytes: Int64? = nil, discardNew: Bool = true,
                    duplicateWindow: Duration = .seconds(120), maxPending: Int = 1024, publishTimeoutMs: Int = 5_000,
                    ackWaitMs: Int64 = 30_000, maxAckPending: Int = 1_000, name: String = "jetstream", curve: CurveClientKeys? = nil) {
            self.connection = connection
            self.subjectPrefix = subjectPrefix
            self.replicas = replicas
            self.maxAge = maxAge
            self.maxBytes = maxBytes
            self.discardNew = discardNew
            self.duplicateWindow = duplicateWindow
            self.maxPending = maxPending
            self.publishTimeoutMs = publishTimeoutMs
            self.ackWaitMs = ackWaitMs
            self.maxAckPending = maxAckPending
            self.name = name
            self.curve = curve
        }
    }

    enum Event: Sendable {
        case published(AsyncPublishResult)
        case connection(NATSConnectionEvent)
        /// Messages fetched by an inflow rule's consumer.
        case fetched(consumer: Int, [NATS.JetStreamMessage])
        case stop
    }

    /// What the worker reports for metrics and health.
    public struct Stats: Sendable, Equatable {
        /// Connected to a NATS server.
        public var connected = false
        /// Every stream exists with the settings the mapping file asks for.
        public var streamsReady = false
        /// Said HELLO and was welcomed by the hub.
        public var hubConnected = false
        public var outflow = OutflowPublisher.Counters()
        public var inflow = InflowTracker.Counters()
        /// Messages taken from the hub and not yet stored.
        public var pending = 0
        /// NATS connections lost since start.
        public var disconnects = 0
        /// The latest problem, for health reports.
        public var lastError: String?
    }

    let options: Options
    let mappings: MappingTable
    /// The mapping of queue-side messages onto subjects and headers, the streams and the inflow consumers.
    let codec: JetStreamCodec
    let streams: StreamPlan
    let inflowConsumers: InflowConsumers
    let hubEndpoint: String
    let context: ZMQContext
    let logger: Logger
    let mailbox: ZMQMailbox<Event>
    let stopping = StopFlag()
    let statsBox = Mutex(Stats())
    /// Called once, on the worker thread, when the worker cannot go on (a stream that conflicts with the
    /// mapping file, for one): the process should stop with a non-zero exit.
    let onFatal: @Sendable (String) -> Void
    /// Signalled when the worker thread ends.
    public let threadEnd = ThreadEnd()
    /// Why the worker stopped for good (what `onFatal` was told); written on the worker thread.
    let failure = Mutex<String?>(nil)
    private var thread: Thread?

    /// - Parameters:
    ///   - mappings: the rules: their queue topics name the streams, inflow rules get pull consumers.
    ///   - onFatal: told why, when the worker stops for good.
    /// - Throws: `JetStreamMappingError` when the prefix or a queue topic cannot name subjects and streams
    ///   (`check` reports these first), `ZMQError` when the mailbox cannot be made.
    public init(options: Options, mappings: MappingTable, hubEndpoint: String, context: ZMQContext, logger: Logger,
                onFatal: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.options = options
        self.mappings = mappings
        let subjects = try JetStreamSubjects(prefix: options.subjectPrefix)
        codec = JetStreamCodec(subjects: subjects)
        streams = try StreamPlan(subjects: subjects, mappings: mappings, replicas: options.replicas)
        inflowConsumers = try InflowConsumers(rules: mappings.inflowRules, subjects: subjects)
        self.hubEndpoint = hubEndpoint
        self.context = context
        self.logger = logger
        self.onFatal = onFatal
        self.mailbox = try ZMQMailbox()
    }

    public var stats: Stats { statsBox.withLock { $0 } }

    /// Starts the worker thread. Connecting to NATS, setting up the streams and saying HELLO to the hub go
    /// on in the background, with retries: a JetStream that is not up yet is waited for, and meanwhile
    /// the hub holds the messages (and the MQTT side waits).
    public func start() {
        let thread = Thread { [self] in
            nameCurrentThread(Self.threadName)
            var loop = JetStreamWorkerLoop(worker: self)
            loop.run()
            threadEnd.signal()
        }
        thread.name = Self.threadName
        self.thread = thread
        thread.start()
    }

    static let threadName = "mqbridge-js"
    static let fetchThreadName = "mqbridge-js-in"

    /// Stops: no more messages from the hub or the streams; publishes in flight are waited for briefly
    /// (what is not stored by then is sent again by the MQTT side at the next start, with the same IDs).
    public func stop() {
        guard thread != nil else { return }
        stopAndWait()
    }
}

extension JetStreamWorker: ThreadedPiece {
    public var pieceName: String { "JetStream worker" }

    public func requestStop() {
        stopping.set()
        mailbox.post(.stop)
    }

    public var failureReason: String? { failure.withLock { $0 } }

    public func finishStop() {
        thread = nil
    }
}
