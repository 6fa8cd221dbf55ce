internal import CNATS
import Synchronization

/// A message delivered by a pull consumer (owns its nats.c `natsMsg`, destroyed in `deinit`).
///
/// Subject, headers, body and metadata are read once when the message is fetched. The
/// acknowledgement calls may come from any thread, also another than the one that fetched: nats.c
/// sends them with a plain publish on the connection (which locks internally) and reads the message's
/// subscription under the subscription's lock; the message's own "acknowledged" flag is guarded here
/// by `lock`, so two threads acknowledging the same message are serialized.
public final class JetStreamMessage: @unchecked Sendable {
    // Safe: `handle` is only passed to nats.c while `lock` is held (see above); the other fields are immutable.
    private let handle: OpaquePointer
    private let lock = Mutex<Void>(())
    /// Keeps the subscription (and so its connection) alive while the message can still be acknowledged.
    private let subscription: PullSubscription

    /// The subject the message was published on.
    public let subject: String
    /// The headers (values of one name in order; names sorted, see ``StoredMessage/headers``).
    public let headers: [(name: String, value: String)]
    /// The payload.
    public let body: [UInt8]
    /// The JetStream delivery metadata.
    public let metadata: Metadata

    /// Where the message stands in its stream and consumer.
    public struct Metadata: Sendable, Hashable {
        /// The stream's sequence of the message.
        public let streamSequence: UInt64
        /// The consumer's delivery sequence.
        public let consumerSequence: UInt64
        /// How often the message has been delivered, this delivery included (1 the first time).
        public let numDelivered: UInt64
        /// Messages still pending for the consumer after this one.
        public let numPending: UInt64
        /// The stream name.
        public let stream: String
        /// The consumer name.
        public let consumer: String
        /// When the message was stored, in nanoseconds since 1970.
        public let timestampNanoseconds: Int64
    }

    init(handle: OpaquePointer, subscription: PullSubscription) {
        self.handle = handle
        self.subscription = subscription
        subject = NATSMessageReader.subject(handle)
        headers = NATSMessageReader.headers(handle)
        body = NATSMessageReader.body(handle)
        var meta: UnsafeMutablePointer<jsMsgMetaData>?
        if natsMsg_GetMetaData(&meta, handle) == NATS_OK, let meta {
            let m = meta.pointee
            metadata = Metadata(streamSequence: m.Sequence.Stream, consumerSequence: m.Sequence.Consumer,
                                numDelivered: m.NumDelivered, numPending: m.NumPending,
                                stream: m.Stream.map { String(cString: $0) } ?? "",
                                consumer: m.Consumer.map { String(cString: $0) } ?? "", timestampNanoseconds: m.Timestamp)
            jsMsgMetaData_Destroy(meta)
        } else {
            metadata = Metadata(streamSequence: 0, consumerSequence: 0, numDelivered: 0, numPending: 0, stream: "",
                                consumer: "", timestampNanoseconds: 0)
        }
    }

    deinit {
        natsMsg_Destroy(handle)
    }

    /// All values of header `name`, in order.
    public func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name == name }.map(\.value)
    }

    /// Acknowledges the message (fire and forget). A second acknowledgement of any kind does nothing.
    public func ack() throws(NATSError) {
        try call("natsMsg_Ack") { natsMsg_Ack($0, nil) }
    }

    /// Acknowledges the message and waits up to `timeoutMs` for the server to confirm it.
    public func ackSync(timeoutMs: Int = 5000) throws(NATSError) {
        try call("natsMsg_AckSync") { msg in
            var options = jsOptions()
            jsOptions_Init(&options)
            options.Wait = Int64(timeoutMs)
            var errorCode = jsErrCode(rawValue: 0)
            // The server's error code adds nothing here: a refused ack is a timeout or a gone consumer.
            return natsMsg_AckSync(msg, &options, &errorCode)
        }
    }

    /// Negative acknowledgement: the server redelivers the message right away.
    public func nak() throws(NATSError) {
        try call("natsMsg_Nak") { natsMsg_Nak($0, nil) }
    }

    /// Negative acknowledgement asking for redelivery after `delayMs` milliseconds.
    public func nakWithDelay(_ delayMs: Int) throws(NATSError) {
        try call("natsMsg_NakWithDelay") { natsMsg_NakWithDelay($0, Int64(delayMs), nil) }
    }

    /// Tells the server the message is still being worked on, which restarts its ack wait. May be repeated.
    public func inProgress() throws(NATSError) {
        try call("natsMsg_InProgress") { natsMsg_InProgress($0, nil) }
    }

    /// Terminates the message: the server never redelivers it.
    public func term() throws(NATSError) {
        try call("natsMsg_Term") { natsMsg_Term($0, nil) }
    }

    private func call(_ operation: String, _ body: (OpaquePointer) -> natsStatus) throws(NATSError) {
        let status = lock.withLock { _ in body(handle) }
        // Read nats.c's thread-local detail on the calling thread, right after the call.
        try NATSError.check(status, operation)
    }
}
