/// MQTT -> queue: messages matching `filter` become queue-side messages on `queueTopic`.
public struct OutflowRule: Sendable, Equatable {
    /// An extra user property set from a template.
    public struct PropertyTemplate: Sendable, Equatable {
        public var name: String
        public var value: Template

        public init(name: String, value: Template) {
            self.name = name
            self.value = value
        }
    }

    public var id: String
    public var filter: TopicFilter
    public var queueTopic: String
    public var tag: Template?
    public var keys: [Template]
    public var properties: [PropertyTemplate]
    /// Where the publisher's client ID comes from when the message does not carry it (e.g. `${level.2}`).
    public var clientId: Template?

    public init(
        id: String,
        filter: TopicFilter,
        queueTopic: String,
        tag: Template? = nil,
        keys: [Template] = [],
        properties: [PropertyTemplate] = [],
        clientId: Template? = nil
    ) {
        self.id = id
        self.filter = filter
        self.queueTopic = queueTopic
        self.tag = tag
        self.keys = keys
        self.properties = properties
        self.clientId = clientId
    }
}

/// Queue -> MQTT: messages on `queueTopic` whose tag passes `tags` are published under `mqttParent`.
public struct InflowRule: Sendable, Equatable {
    public var id: String
    public var queueTopic: String
    public var tags: TagExpression
    /// The parent topic (one level, no wildcard) the publishes go under.
    public var mqttParent: String
    /// QoS when the message carries no `qoslevel`; 1 when nil.
    public var qos: QoS?

    public init(id: String, queueTopic: String, tags: TagExpression = .all, mqttParent: String, qos: QoS? = nil) {
        self.id = id
        self.queueTopic = queueTopic
        self.tags = tags
        self.mqttParent = mqttParent
        self.qos = qos
    }
}

/// Client status: events of every client whose ID starts with `<groupId>@@@` go to `queueTopic`.
public struct StatusRule: Sendable, Equatable {
    public var id: String
    public var groupId: String
    public var queueTopic: String

    public init(id: String, groupId: String, queueTopic: String) {
        self.id = id
        self.groupId = groupId
        self.queueTopic = queueTopic
    }
}

/// Limits applied to every message.
public struct MessageLimits: Sendable, Equatable {
    /// Largest body (payload) in bytes, both ways.
    public var maxBodyBytes: Int
    /// Largest `mqtt5UserProperty` JSON text in bytes.
    public var maxUserPropertyBytes: Int

    public static let defaultMaxBodyBytes = 65_536
    public static let defaultMaxUserPropertyBytes = 8_192

    public init(
        maxBodyBytes: Int = MessageLimits.defaultMaxBodyBytes,
        maxUserPropertyBytes: Int = MessageLimits.defaultMaxUserPropertyBytes
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxUserPropertyBytes = maxUserPropertyBytes
    }
}
