internal import CNATS

/// A consumer's state as the server reports it (``JetStreamContext/consumerInfo(stream:name:)``).
public struct ConsumerInfo: Sendable, Hashable {
    /// The stream it reads.
    public let stream: String
    /// The consumer's (durable) name.
    public let name: String
    /// The last stream sequence delivered to any of its subscribers.
    public let deliveredStreamSequence: UInt64
    /// Every message up to this stream sequence is acknowledged.
    public let ackFloorStreamSequence: UInt64
    /// Delivered and not yet acknowledged.
    public let ackPending: Int
    /// Delivered more than once.
    public let redelivered: Int
    /// Pull requests waiting for messages (one or more per pulling subscriber).
    public let waitingPulls: Int
    /// Messages in the stream not yet delivered to it.
    public let pending: UInt64
    /// The server leading the consumer in a cluster.
    public let leader: String?

    init(_ info: UnsafeMutablePointer<jsConsumerInfo>) {
        let c = info.pointee
        stream = c.Stream.map { String(cString: $0) } ?? ""
        name = c.Name.map { String(cString: $0) } ?? ""
        deliveredStreamSequence = c.Delivered.Stream
        ackFloorStreamSequence = c.AckFloor.Stream
        ackPending = Int(c.NumAckPending)
        redelivered = Int(c.NumRedelivered)
        waitingPulls = Int(c.NumWaiting)
        pending = c.NumPending
        leader = c.Cluster.flatMap { $0.pointee.Leader.map { String(cString: $0) } }
    }
}

extension JetStreamContext {
    /// The consumer's state, or nil if the stream has no such consumer.
    public func consumerInfo(stream: String, name: String) throws(NATSError) -> ConsumerInfo? {
        var info: UnsafeMutablePointer<jsConsumerInfo>?
        var errorCode = jsErrCode(rawValue: 0)
        let status = js_GetConsumerInfo(&info, handle, stream, name, nil, &errorCode)
        if status == NATS_NOT_FOUND || Int(errorCode.rawValue) == JetStreamErrorCode.consumerNotFound { return nil }
        try NATSError.check(status, "js_GetConsumerInfo", jetStreamErrorCode: errorCode)
        defer { jsConsumerInfo_Destroy(info) }
        return info.map(ConsumerInfo.init)
    }

    /// The names of the stream's consumers, sorted.
    public func consumerNames(stream: String) throws(NATSError) -> [String] {
        var list: UnsafeMutablePointer<jsConsumerNamesList>?
        var errorCode = jsErrCode(rawValue: 0)
        let status = js_ConsumerNames(&list, handle, stream, nil, &errorCode)
        if status == NATS_NOT_FOUND { return [] }
        try NATSError.check(status, "js_ConsumerNames", jetStreamErrorCode: errorCode)
        defer { jsConsumerNamesList_Destroy(list) }
        guard let list, let names = list.pointee.List else { return [] }
        return (0..<Int(list.pointee.Count)).compactMap { names[$0].map { String(cString: $0) } }.sorted()
    }
}
