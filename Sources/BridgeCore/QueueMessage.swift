/// A queue-side message: the RocketMQ message model of SPEC §3.
public struct QueueMessage: Sendable, Equatable {
    /// Queue topic.
    public var topic: String
    /// Optional single tag; consumers filter on it.
    public var tag: String?
    /// Message keys; the first one is also the ordering (sharding) key.
    public var keys: [String]
    /// User properties.
    public var properties: [String: String]
    public var body: [UInt8]
    /// Unique ID given by the bridge when it accepts the message.
    public var msgId: String?
    /// Milliseconds since the epoch when the bridge created the message.
    public var bornTimestamp: Int64?

    public init(
        topic: String,
        tag: String? = nil,
        keys: [String] = [],
        properties: [String: String] = [:],
        body: [UInt8] = [],
        msgId: String? = nil,
        bornTimestamp: Int64? = nil
    ) {
        self.topic = topic
        self.tag = tag
        self.keys = keys
        self.properties = properties
        self.body = body
        self.msgId = msgId
        self.bornTimestamp = bornTimestamp
    }
}

/// A queue-side message together with the rule that produced it (for routing and per-rule counters).
public struct RoutedQueueMessage: Sendable, Equatable {
    public var ruleId: String
    public var message: QueueMessage

    public init(ruleId: String, message: QueueMessage) {
        self.ruleId = ruleId
        self.message = message
    }
}
