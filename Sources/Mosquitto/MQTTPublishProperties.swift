/// One MQTT 5 user property. Names may repeat; order is significant.
public struct MQTTUserProperty: Sendable, Hashable, CustomStringConvertible {
    /// The property name (key).
    public var name: String
    /// The property value.
    public var value: String

    /// Creates a user property.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public var description: String { "\(name)=\(value)" }
}

/// The MQTT 5 payload format indicator.
public enum MQTTPayloadFormat: UInt8, Sendable, Hashable {
    /// `0`: unspecified bytes.
    case unspecified = 0
    /// `1`: UTF-8 encoded character data.
    case utf8 = 1
}

/// The MQTT 5 PUBLISH properties the bridge carries, used for both directions.
///
/// On MQTT 3.1.1 connections these properties are not sent, and received messages
/// have an empty set.
public struct MQTTPublishProperties: Sendable, Hashable {
    /// User properties in wire order, duplicates kept.
    public var userProperties: [MQTTUserProperty]
    /// Content type (MIME type or any UTF-8 string).
    public var contentType: String?
    /// Message expiry interval in seconds. On received messages the broker reports the remaining lifetime.
    public var messageExpiryInterval: UInt32?
    /// Response topic for request/response.
    public var responseTopic: String?
    /// Correlation data for request/response.
    public var correlationData: [UInt8]?
    /// Payload format indicator.
    public var payloadFormat: MQTTPayloadFormat?

    /// Creates a property set; every property is optional.
    public init(
        userProperties: [MQTTUserProperty] = [],
        contentType: String? = nil,
        messageExpiryInterval: UInt32? = nil,
        responseTopic: String? = nil,
        correlationData: [UInt8]? = nil,
        payloadFormat: MQTTPayloadFormat? = nil
    ) {
        self.userProperties = userProperties
        self.contentType = contentType
        self.messageExpiryInterval = messageExpiryInterval
        self.responseTopic = responseTopic
        self.correlationData = correlationData
        self.payloadFormat = payloadFormat
    }

    /// `true` when no property is set.
    public var isEmpty: Bool {
        userProperties.isEmpty && contentType == nil && messageExpiryInterval == nil
            && responseTopic == nil && correlationData == nil && payloadFormat == nil
    }

    /// The values of every user property named `name`, in order.
    public func userPropertyValues(named name: String) -> [String] {
        userProperties.filter { $0.name == name }.map(\.value)
    }
}
