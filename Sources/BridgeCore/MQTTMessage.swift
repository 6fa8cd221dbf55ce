/// An MQTT PUBLISH as the bridge sees it, in either direction.
public struct MQTTMessage: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: QoS
    public var retain: Bool
    /// MQTT 5 user properties, in order, duplicates kept.
    public var userProperties: [UserProperty]
    /// MQTT 5 content type.
    public var contentType: String?
    /// MQTT 5 message expiry interval, in seconds.
    public var messageExpiryInterval: UInt32?

    public init(
        topic: String,
        payload: [UInt8] = [],
        qos: QoS = .atMostOnce,
        retain: Bool = false,
        userProperties: [UserProperty] = [],
        contentType: String? = nil,
        messageExpiryInterval: UInt32? = nil
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.userProperties = userProperties
        self.contentType = contentType
        self.messageExpiryInterval = messageExpiryInterval
    }
}
