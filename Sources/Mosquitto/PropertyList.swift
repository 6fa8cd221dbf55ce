internal import CMosquitto

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An owned libmosquitto property list (`mosquitto_property *`), freed on deinit.
///
/// Internal: C types never leave this module.
final class PropertyList {
    private(set) var head: OpaquePointer?

    init() {}

    deinit { mosquitto_property_free_all(&head) }

    private func add(_ operation: String, _ body: (inout OpaquePointer?) -> Int32) throws(MosquittoError) {
        try MosquittoError.check(body(&head), operation)
    }

    func addByte(_ id: mqtt5_property, _ value: UInt8) throws(MosquittoError) {
        try add("mosquitto_property_add_byte") { mosquitto_property_add_byte(&$0, Int32(id.rawValue), value) }
    }

    func addInt32(_ id: mqtt5_property, _ value: UInt32) throws(MosquittoError) {
        try add("mosquitto_property_add_int32") { mosquitto_property_add_int32(&$0, Int32(id.rawValue), value) }
    }

    func addString(_ id: mqtt5_property, _ value: String) throws(MosquittoError) {
        guard !value.utf8.contains(0) else { throw .embeddedNUL("mosquitto_property_add_string", what: "property value") }
        try add("mosquitto_property_add_string") { list in
            value.withCString { mosquitto_property_add_string(&list, Int32(id.rawValue), $0) }
        }
    }

    func addStringPair(_ id: mqtt5_property, _ name: String, _ value: String) throws(MosquittoError) {
        guard !name.utf8.contains(0), !value.utf8.contains(0) else {
            throw .embeddedNUL("mosquitto_property_add_string_pair", what: "user property")
        }
        try add("mosquitto_property_add_string_pair") { list in
            name.withCString { cName in
                value.withCString { mosquitto_property_add_string_pair(&list, Int32(id.rawValue), cName, $0) }
            }
        }
    }

    func addBinary(_ id: mqtt5_property, _ value: [UInt8]) throws(MosquittoError) {
        guard value.count <= Int(UInt16.max) else {
            throw MosquittoError(code: .invalid, operation: "mosquitto_property_add_binary",
                                 message: "binary property longer than 65535 bytes")
        }
        try add("mosquitto_property_add_binary") { list in
            value.withUnsafeBytes { mosquitto_property_add_binary(&list, Int32(id.rawValue), $0.baseAddress, UInt16(value.count)) }
        }
    }

    /// Builds the C list for a PUBLISH.
    convenience init(publish properties: MQTTPublishProperties) throws(MosquittoError) {
        self.init()
        if let format = properties.payloadFormat { try addByte(MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, format.rawValue) }
        if let expiry = properties.messageExpiryInterval { try addInt32(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, expiry) }
        if let contentType = properties.contentType { try addString(MQTT_PROP_CONTENT_TYPE, contentType) }
        if let responseTopic = properties.responseTopic { try addString(MQTT_PROP_RESPONSE_TOPIC, responseTopic) }
        if let data = properties.correlationData { try addBinary(MQTT_PROP_CORRELATION_DATA, data) }
        for property in properties.userProperties {
            try addStringPair(MQTT_PROP_USER_PROPERTY, property.name, property.value)
        }
    }
}

extension MQTTPublishProperties {
    /// Reads the PUBLISH properties out of a borrowed C list (`nil` gives an empty set).
    init(reading list: OpaquePointer?) {
        self.init()
        guard let list else { return }

        // User properties: find the first, then continue from each hit with skip_first = true.
        var name: UnsafeMutablePointer<CChar>?
        var value: UnsafeMutablePointer<CChar>?
        let userID = Int32(MQTT_PROP_USER_PROPERTY.rawValue)
        var cursor = mosquitto_property_read_string_pair(list, userID, &name, &value, false)
        while cursor != nil {
            if let name, let value {
                userProperties.append(MQTTUserProperty(String(cString: name), String(cString: value)))
            }
            free(name); free(value)
            name = nil; value = nil
            cursor = mosquitto_property_read_string_pair(cursor, userID, &name, &value, true)
        }

        var text: UnsafeMutablePointer<CChar>?
        if mosquitto_property_read_string(list, Int32(MQTT_PROP_CONTENT_TYPE.rawValue), &text, false) != nil, let text {
            contentType = String(cString: text)
        }
        free(text)
        text = nil
        if mosquitto_property_read_string(list, Int32(MQTT_PROP_RESPONSE_TOPIC.rawValue), &text, false) != nil, let text {
            responseTopic = String(cString: text)
        }
        free(text)

        var expiry: UInt32 = 0
        if mosquitto_property_read_int32(list, Int32(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL.rawValue), &expiry, false) != nil {
            messageExpiryInterval = expiry
        }

        var format: UInt8 = 0
        if mosquitto_property_read_byte(list, Int32(MQTT_PROP_PAYLOAD_FORMAT_INDICATOR.rawValue), &format, false) != nil {
            payloadFormat = MQTTPayloadFormat(rawValue: format) ?? .unspecified
        }

        var data: UnsafeMutableRawPointer?
        var length: UInt16 = 0
        if mosquitto_property_read_binary(list, Int32(MQTT_PROP_CORRELATION_DATA.rawValue), &data, &length, false) != nil {
            correlationData = data.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(length))) } ?? []
        }
        free(data)
    }
}
