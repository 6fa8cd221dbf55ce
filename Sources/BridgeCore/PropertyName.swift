/// User property names on queue-side messages. The spellings are ApsaraMQ's wire names and are a contract.
public enum PropertyName {
    /// The sub-topic below the parent topic, with its leading `/`.
    public static let mqttSecondTopic = "mqttSecondTopic"
    /// QoS the message arrived with (outflow) or is to be published with (inflow): `0`, `1` or `2`.
    public static let qosLevel = "qoslevel"
    /// The full MQTT topic (outflow only).
    public static let topic = "topic"
    /// Publisher's client ID, when known (outflow only).
    public static let clientId = "clientId"
    /// `true` when the retain flag is set.
    public static let mqttRetain = "mqttRetain"
    /// Inflow: the sub-topic the receiving client should see.
    public static let mqttRealTopic = "mqttRealTopic"
    /// Inflow: carried on P2P messages.
    public static let cleanSessionFlag = "cleansessionflag"
    /// JSON array of the MQTT 5 user properties.
    public static let mqtt5UserProperty = "mqtt5UserProperty"
    /// MQTT 5 content type.
    public static let mqtt5ContentType = "mqtt5ContentType"
    /// MQTT 5 message expiry interval in seconds.
    public static let mqtt5MsgExpireInterval = "mqtt5MsgExpireInterval"

    /// Names the bridge sets itself on outflow; a rule's extra properties may not use them.
    public static let reservedOnOutflow: Set<String> = [
        mqttSecondTopic, qosLevel, topic, clientId, mqttRetain, mqtt5UserProperty,
        mqtt5ContentType, mqtt5MsgExpireInterval,
    ]
}
