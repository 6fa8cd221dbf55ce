internal import CNATS

extension JetStreamContext {
    /// The stream's configuration and state, or nil if there is no such stream.
    public func streamInfo(name: String) throws(NATSError) -> StreamInfo? {
        var info: UnsafeMutablePointer<jsStreamInfo>?
        var errorCode = jsErrCode(rawValue: 0)
        let status = js_GetStreamInfo(&info, handle, name, nil, &errorCode)
        if status == NATS_NOT_FOUND || Int(errorCode.rawValue) == JetStreamErrorCode.streamNotFound { return nil }
        try NATSError.check(status, "js_GetStreamInfo", jetStreamErrorCode: errorCode)
        defer { jsStreamInfo_Destroy(info) }
        return info.map(StreamInfo.init)
    }

    /// Creates a stream. Creating one that exists with the same configuration succeeds; with a different
    /// one it fails with ``JetStreamErrorCode/streamNameInUse``, and subjects claimed by another stream
    /// fail with ``JetStreamErrorCode/subjectsOverlap``.
    @discardableResult
    public func addStream(_ config: StreamConfig) throws(NATSError) -> StreamInfo {
        var info: UnsafeMutablePointer<jsStreamInfo>?
        var errorCode = jsErrCode(rawValue: 0)
        let status = config.withCConfig { c in js_AddStream(&info, handle, &c, nil, &errorCode) }
        try NATSError.check(status, "js_AddStream", jetStreamErrorCode: errorCode)
        defer { jsStreamInfo_Destroy(info) }
        guard let info else { throw NATSError(status: .error, operation: "js_AddStream", detail: "no stream info", jetStreamErrorCode: nil) }
        return StreamInfo(info)
    }

    /// Deletes a stream with all its messages and consumers.
    public func deleteStream(name: String) throws(NATSError) {
        var errorCode = jsErrCode(rawValue: 0)
        try NATSError.check(js_DeleteStream(handle, name, nil, &errorCode), "js_DeleteStream", jetStreamErrorCode: errorCode)
    }

    /// Removes a stream's messages: all of them, or with `before` those whose sequence is lower.
    public func purgeStream(name: String, before sequence: UInt64? = nil) throws(NATSError) {
        var options = jsOptions()
        jsOptions_Init(&options)
        if let sequence { options.Stream.Purge.Sequence = sequence }
        var errorCode = jsErrCode(rawValue: 0)
        try NATSError.check(js_PurgeStream(handle, name, &options, &errorCode), "js_PurgeStream", jetStreamErrorCode: errorCode)
    }

    /// The message stored at `sequence`, or nil if there is none (never stored, or removed).
    public func getMessage(stream: String, sequence: UInt64) throws(NATSError) -> StoredMessage? {
        var msg: OpaquePointer?
        var errorCode = jsErrCode(rawValue: 0)
        let status = js_GetMsg(&msg, handle, stream, sequence, nil, &errorCode)
        if Int(errorCode.rawValue) == JetStreamErrorCode.noMessageFound { return nil }
        try NATSError.check(status, "js_GetMsg", jetStreamErrorCode: errorCode)
        guard let msg else { return nil }
        defer { natsMsg_Destroy(msg) }
        return StoredMessage(subject: NATSMessageReader.subject(msg), headers: NATSMessageReader.headers(msg),
                             body: NATSMessageReader.body(msg), sequence: natsMsg_GetSequence(msg),
                             storedAtNanoseconds: natsMsg_GetTime(msg))
    }

    /// Subscribes to a durable pull consumer on `subject`, creating the consumer if it does not exist.
    /// The durable name is `durable`, or else ``ConsumerConfig/durableName``.
    public func pullSubscribe(subject: String, durable: String? = nil, config: ConsumerConfig = ConsumerConfig())
        throws(NATSError) -> PullSubscription {
        guard let name = durable ?? config.durableName, !name.isEmpty else {
            throw NATSError(status: .invalidArgument, operation: "js_PullSubscribe", detail: "a durable name is required",
                            jetStreamErrorCode: nil)
        }
        var pool = CStringPool()
        var options = jsSubOptions()
        jsSubOptions_Init(&options)
        config.apply(to: &options, durable: name, pool: &pool)
        var subscription: OpaquePointer?
        var errorCode = jsErrCode(rawValue: 0)
        let status = js_PullSubscribe(&subscription, handle, subject, name, nil, &options, &errorCode)
        try NATSError.check(status, "js_PullSubscribe", jetStreamErrorCode: errorCode)
        guard let subscription else {
            throw NATSError(status: .error, operation: "js_PullSubscribe", detail: "no subscription", jetStreamErrorCode: nil)
        }
        return PullSubscription(handle: subscription, context: self, subject: subject, durable: name)
    }
}
