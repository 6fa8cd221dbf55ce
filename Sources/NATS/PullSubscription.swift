internal import CNATS

/// A subscription on a durable pull consumer (one nats.c `natsSubscription`, destroyed in `deinit`;
/// destroying it keeps the durable consumer on the server).
///
/// ``fetch(batch:timeoutMs:)`` blocks; call it from your own thread. One thread at a time should fetch.
public final class PullSubscription: @unchecked Sendable {
    // Safe: `handle` never changes; nats.c locks the subscription inside natsSubscription_Fetch and the
    // acknowledgement calls, and destroys it only in deinit, when no message refers to it any more
    // (each JetStreamMessage keeps its subscription alive).
    let handle: OpaquePointer
    /// Kept alive because the subscription lives on its connection.
    let context: JetStreamContext
    /// The subject the subscription was made for.
    public let subject: String
    /// The durable consumer's name.
    public let durable: String

    init(handle: OpaquePointer, context: JetStreamContext, subject: String, durable: String) {
        self.handle = handle
        self.context = context
        self.subject = subject
        self.durable = durable
    }

    deinit {
        natsSubscription_Destroy(handle)
    }

    /// Asks the consumer for up to `batch` messages and waits up to `timeoutMs` for them.
    ///
    /// Returns what arrived (possibly fewer than `batch`); an empty array when nothing arrived in time,
    /// which is not an error.
    public func fetch(batch: Int, timeoutMs: Int) throws(NATSError) -> [JetStreamMessage] {
        var list = natsMsgList()
        var errorCode = jsErrCode(rawValue: 0)
        let status = natsSubscription_Fetch(&list, handle, Int32(batch), Int64(timeoutMs), &errorCode)
        defer { natsMsgList_Destroy(&list) }
        var messages: [JetStreamMessage] = []
        if let msgs = list.Msgs {
            for index in 0..<Int(list.Count) {
                guard let msg = msgs[index] else { continue }
                msgs[index] = nil  // ownership moves to the JetStreamMessage; natsMsgList_Destroy skips nil
                messages.append(JetStreamMessage(handle: msg, subscription: self))
            }
        }
        if status == NATS_OK || status == NATS_TIMEOUT || !messages.isEmpty { return messages }
        throw NATSError.last(status, "natsSubscription_Fetch", jetStreamErrorCode: errorCode)
    }
}
