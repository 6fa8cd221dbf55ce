/// A message received from the broker, copied out of libmosquitto's buffers.
public struct MQTTIncomingMessage: Sendable, Hashable {
    /// The topic the message was published to.
    public var topic: String
    /// The payload bytes (may contain zero bytes; may be empty).
    public var payload: [UInt8]
    /// The QoS the message was delivered with.
    public var qos: MQTTQoS
    /// Whether this is a retained message (sent because of a new subscription).
    public var retain: Bool
    /// The packet identifier of the incoming PUBLISH (0 for QoS 0).
    public var mid: Int
    /// MQTT 5 properties (empty on 3.1.1 connections).
    public var properties: MQTTPublishProperties

    /// Creates a message value (useful for tests and fakes).
    public init(topic: String, payload: [UInt8], qos: MQTTQoS, retain: Bool, mid: Int,
                properties: MQTTPublishProperties = MQTTPublishProperties()) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.mid = mid
        self.properties = properties
    }

    /// The payload decoded as UTF-8, or `nil` if it is not valid UTF-8.
    public var payloadString: String? {
        String(validating: payload, as: UTF8.self)
    }
}
