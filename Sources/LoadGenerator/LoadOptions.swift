import Mosquitto

/// What a load run publishes, where, and how fast.
public struct LoadOptions: Sendable {
    public var host: String
    public var port: Int
    /// Every message goes to this topic, or, with `topicCount` above 1, to `topic/0` … `topic/N-1` in turn.
    public var topic: String
    public var topicCount: Int
    public var qos: MQTTQoS
    /// Connections, each on a thread of its own; the messages are shared out evenly.
    public var connections: Int
    /// Messages in all.
    public var count: Int
    /// Payload bytes; 24 or more carry a stamp (see `LoadPayload`).
    public var size: Int
    /// Messages per second over all connections; nil publishes as fast as the broker takes them.
    public var rate: Double?
    /// QoS 1/2 publishes per connection not yet acknowledged by the broker before the connection waits.
    public var window: Int
    public var protocolVersion: MQTTProtocolVersion
    /// Client IDs are `<prefix>-<n>`.
    public var clientIdPrefix: String
    /// How long, after the last publish, to wait for the broker's acknowledgements.
    public var drainTimeout: Duration

    public init(host: String = "127.0.0.1", port: Int = 1883, topic: String, topicCount: Int = 1, qos: MQTTQoS = .atMostOnce,
                connections: Int = 1, count: Int, size: Int = 100, rate: Double? = nil, window: Int = 100,
                protocolVersion: MQTTProtocolVersion = .v5, clientIdPrefix: String = "mqbridge-loadgen",
                drainTimeout: Duration = .seconds(30)) {
        self.host = host
        self.port = port
        self.topic = topic
        self.topicCount = topicCount
        self.qos = qos
        self.connections = connections
        self.count = count
        self.size = size
        self.rate = rate
        self.window = window
        self.protocolVersion = protocolVersion
        self.clientIdPrefix = clientIdPrefix
        self.drainTimeout = drainTimeout
    }

    /// The first problem with these options, or nil.
    public var problem: String? {
        if connections < 1 { return "connections must be at least 1" }
        if count < 0 { return "count must not be negative" }
        if size < 0 || size > 268_435_455 { return "size must be 0...268435455 bytes" }
        if let rate, !(rate > 0) { return "rate must be above 0 messages per second" }
        if window < 1 || window > 65_535 { return "window must be 1...65535" }
        if topicCount < 1 { return "topic count must be at least 1" }
        if topic.isEmpty || topic.contains("+") || topic.contains("#") { return "topic must be a topic name without wildcards" }
        return nil
    }

    /// How many messages connection `index` publishes.
    func share(of index: Int) -> Int {
        count / connections + (index < count % connections ? 1 : 0)
    }
}
