import BridgeCore
import Mosquitto

/// Conversions between libmosquitto's message types and the engine's.
extension MQTTMessage {
    init(_ incoming: MQTTIncomingMessage) {
        self.init(
            topic: incoming.topic,
            payload: incoming.payload,
            qos: QoS(incoming.qos),
            retain: incoming.retain,
            userProperties: incoming.properties.userProperties.map { UserProperty(key: $0.name, value: $0.value) },
            contentType: incoming.properties.contentType,
            messageExpiryInterval: incoming.properties.messageExpiryInterval
        )
    }

    var publishProperties: MQTTPublishProperties {
        var properties = MQTTPublishProperties()
        properties.userProperties = userProperties.map { MQTTUserProperty($0.key, $0.value) }
        properties.contentType = contentType
        properties.messageExpiryInterval = messageExpiryInterval
        return properties
    }
}

extension QoS {
    init(_ qos: MQTTQoS) {
        switch qos {
        case .atMostOnce: self = .atMostOnce
        case .atLeastOnce: self = .atLeastOnce
        case .exactlyOnce: self = .exactlyOnce
        }
    }

    var mosquitto: MQTTQoS {
        switch self {
        case .atMostOnce: .atMostOnce
        case .atLeastOnce: .atLeastOnce
        case .exactlyOnce: .exactlyOnce
        }
    }
}
