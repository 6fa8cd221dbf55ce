internal import CNATS

/// JetStream on a ``NATSConnection`` (one nats.c `jsCtx`, destroyed in `deinit`): streams, publishing
/// with acknowledgements, and pull consumers.
///
/// All methods are blocking calls safe from any thread (nats.c locks the context internally); call
/// them from your own threads, not from Swift's cooperative pool. Asynchronous publish results are
/// delivered to ``AsyncPublishOptions/onResult`` on nats.c threads.
public final class JetStreamContext: @unchecked Sendable {
    // Safe: `handle` never changes; nats.c's jsCtx functions lock the context, and it is destroyed only
    // in deinit. The result handler is reached through the registry, never through a raw pointer.
    let handle: OpaquePointer
    private let resultToken: Int

    /// The connection the context uses (kept alive by the context).
    public let connection: NATSConnection
    /// The asynchronous publishing settings.
    public let asyncOptions: AsyncPublishOptions
    /// How long JetStream API requests (stream management, sync publishes, acks with confirmation)
    /// wait for an answer, in milliseconds.
    public let requestTimeoutMs: Int

    /// Creates a JetStream context. This does not talk to the server; a server without JetStream shows
    /// up as ``NATSStatus/noResponders`` errors on the first request.
    public init(connection: NATSConnection, options: AsyncPublishOptions = AsyncPublishOptions(),
                requestTimeoutMs: Int = 5000) throws(NATSError) {
        let token = publishResultSinks.register(options.onResult)
        var jsOptions = jsOptions()
        jsOptions_Init(&jsOptions)
        jsOptions.Wait = Int64(requestTimeoutMs)
        jsOptions.PublishAsync.MaxPending = Int64(options.maxPending)
        jsOptions.PublishAsync.StallWait = Int64(max(1, options.stallWaitMs))
        jsOptions.PublishAsync.AckHandler = onAsyncPublishResult
        jsOptions.PublishAsync.AckHandlerClosure = CallbackRegistry<AsyncResultSink>.closure(for: token)
        var context: OpaquePointer?
        let status = natsConnection_JetStream(&context, connection.handle, &jsOptions)
        guard status == NATS_OK, let context else {
            publishResultSinks.remove(token)
            throw NATSError.last(status, "natsConnection_JetStream")
        }
        self.handle = context
        self.resultToken = token
        self.connection = connection
        self.asyncOptions = options
        self.requestTimeoutMs = requestTimeoutMs
    }

    deinit {
        // Publishes still awaiting an acknowledgement are dropped without a result: nats.c destroys them,
        // and results arriving later find no registered handler.
        publishResultSinks.remove(resultToken)
        jsCtx_Destroy(handle)
    }

    // MARK: Publishing

    /// Publishes `message` with `msgId` (the `Nats-Msg-Id` de-duplication id) without waiting.
    ///
    /// When this returns, nats.c owns the message and ``AsyncPublishOptions/onResult`` receives exactly
    /// one result for it: stored, refused, or timed out after `ackTimeoutMs` (default
    /// ``AsyncPublishOptions/ackTimeoutMs``; 0 waits forever, see ``takePendingAsyncMessageIds()``).
    /// While the connection is reconnecting the message waits in nats.c's reconnect buffer and the
    /// timeout still runs. When this throws there is no result: the message was not accepted (e.g.
    /// ``NATSStatus/timeout`` when `maxPending` publishes stayed unacknowledged for `stallWaitMs`,
    /// ``NATSStatus/connectionClosed``).
    public func publishAsync(_ message: NATSOutgoingMessage, msgId: String, ackTimeoutMs: Int? = nil) throws(NATSError) {
        var msg: OpaquePointer? = try message.makeNATSMessage()
        // js_PublishMsgAsync clears `msg` when it takes the message; destroying nil does nothing.
        defer { natsMsg_Destroy(msg) }
        var options = jsPubOptions()
        jsPubOptions_Init(&options)
        options.MaxWait = Int64(max(0, ackTimeoutMs ?? asyncOptions.ackTimeoutMs))
        let status = msgId.withCString { id in
            options.MsgId = msgId.isEmpty ? nil : id
            return js_PublishMsgAsync(handle, &msg, &options)
        }
        try NATSError.check(status, "js_PublishMsgAsync")
    }

    /// Publishes `message` and waits up to `timeoutMs` for the stream's acknowledgement.
    public func publish(_ message: NATSOutgoingMessage, msgId: String? = nil, timeoutMs: Int? = nil) throws(NATSError) -> PubAck {
        let msg = try message.makeNATSMessage()
        defer { natsMsg_Destroy(msg) }
        var pool = CStringPool()
        var options = jsPubOptions()
        jsPubOptions_Init(&options)
        options.MsgId = pool.copy(msgId.flatMap { $0.isEmpty ? nil : $0 })
        options.MaxWait = Int64(max(0, timeoutMs ?? requestTimeoutMs))
        var ack: UnsafeMutablePointer<jsPubAck>?
        var errorCode = jsErrCode(rawValue: 0)
        let status = js_PublishMsg(&ack, handle, msg, &options, &errorCode)
        try NATSError.check(status, "js_PublishMsg", jetStreamErrorCode: errorCode)
        defer { jsPubAck_Destroy(ack) }
        guard let ack else { return PubAck(stream: "", sequence: 0, duplicate: false, domain: nil) }
        return PubAck(stream: ack.pointee.Stream.map { String(cString: $0) } ?? "", sequence: ack.pointee.Sequence,
                      duplicate: ack.pointee.Duplicate, domain: ack.pointee.Domain.map { String(cString: $0) })
    }

    /// Waits up to `timeoutMs` until every asynchronous publish has its result (``NATSStatus/timeout``
    /// otherwise).
    public func waitForAsyncPublishes(timeoutMs: Int) throws(NATSError) {
        var options = jsPubOptions()
        jsPubOptions_Init(&options)
        options.MaxWait = Int64(max(1, timeoutMs))
        try NATSError.check(js_PublishAsyncComplete(handle, &options), "js_PublishAsyncComplete")
    }

    /// Takes back every asynchronous publish still awaiting its acknowledgement and returns their message
    /// ids. These publishes get no result later (an acknowledgement arriving afterwards is dropped by
    /// nats.c), so each publish ends up either with one result or in exactly one such list. Republish
    /// them with the same ids; the stream's duplicate window removes copies the server already stored.
    public func takePendingAsyncMessageIds() throws(NATSError) -> [String] {
        var list = natsMsgList()
        let status = js_PublishAsyncGetPendingList(&list, handle)
        if status == NATS_NOT_FOUND { return [] }  // nothing pending
        try NATSError.check(status, "js_PublishAsyncGetPendingList")
        defer { natsMsgList_Destroy(&list) }
        var ids: [String] = []
        if let msgs = list.Msgs {
            for index in 0..<Int(list.Count) {
                if let msg = msgs[index] { ids.append(NATSMessageReader.header(msg, jetStreamMsgIdHeader) ?? "") }
            }
        }
        return ids
    }
}

/// The header carrying a JetStream message id.
let jetStreamMsgIdHeader = "Nats-Msg-Id"

// MARK: - Asynchronous results

typealias AsyncResultSink = @Sendable (AsyncPublishResult) -> Void

let publishResultSinks = CallbackRegistry<AsyncResultSink>()

private let onAsyncPublishResult: jsPubAckHandler = { _, msg, ack, failure, closure in
    // The handler owns the original message.
    defer { natsMsg_Destroy(msg) }
    guard let sink = publishResultSinks.lookup(closure) else { return }
    let msgId = msg.flatMap { NATSMessageReader.header($0, jetStreamMsgIdHeader) } ?? ""
    let outcome: AsyncPublishResult.Outcome
    if let ack {
        outcome = .stored(stream: ack.pointee.Stream.map { String(cString: $0) } ?? "", sequence: ack.pointee.Sequence,
                          duplicate: ack.pointee.Duplicate)
    } else if let failure {
        let code = Int(failure.pointee.ErrCode.rawValue)
        outcome = .failed(NATSError(status: NATSStatus(rawValue: Int32(bitPattern: failure.pointee.Err.rawValue)),
                                    operation: "js_PublishMsgAsync", detail: failure.pointee.ErrText.map { String(cString: $0) },
                                    jetStreamErrorCode: code))
    } else {
        outcome = .failed(NATSError(status: .error, operation: "js_PublishMsgAsync", detail: "no acknowledgement",
                                    jetStreamErrorCode: nil))
    }
    sink(AsyncPublishResult(msgId: msgId, outcome: outcome))
}
