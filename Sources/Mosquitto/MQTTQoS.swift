/// MQTT quality of service levels.
public enum MQTTQoS: Int, Sendable, Hashable, CaseIterable, Comparable {
    /// QoS 0: at most once, no acknowledgement.
    case atMostOnce = 0
    /// QoS 1: at least once (PUBLISH / PUBACK).
    case atLeastOnce = 1
    /// QoS 2: exactly once (PUBLISH / PUBREC / PUBREL / PUBCOMP).
    case exactlyOnce = 2

    /// Orders by level: QoS 0 < QoS 1 < QoS 2.
    public static func < (lhs: MQTTQoS, rhs: MQTTQoS) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The MQTT protocol version a client speaks.
public enum MQTTProtocolVersion: Int, Sendable, Hashable {
    /// MQTT 3.1.1 (protocol level 4). MQTT 5 properties are not sent.
    case v311 = 4
    /// MQTT 5.0 (protocol level 5).
    case v5 = 5
}
