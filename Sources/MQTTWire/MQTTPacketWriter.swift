/// The packets a subscribing client sends, encoded (MQTT 3.1.1 and 5.0).
public enum MQTTPacketWriter {
    /// CONNECT without will, user name or password. MQTT 5: `sessionExpiry` (seconds) and `receiveMaximum`
    /// (1…65,535) are sent as the Session Expiry Interval and Receive Maximum properties when given; MQTT
    /// 3.1.1 keeps a session whenever `cleanStart` is false.
    public static func connect(clientID: String, keepAlive: UInt16, cleanStart: Bool, version: MQTTWireVersion,
                               sessionExpiry: UInt32? = nil, receiveMaximum: UInt16? = nil) -> [UInt8] {
        var body: [UInt8] = [0, 4]
        body += Array("MQTT".utf8)
        body.append(version.rawValue)
        body.append(cleanStart ? 0x02 : 0x00)
        appendUInt16(keepAlive, to: &body)
        if version == .v5 {
            var properties: [UInt8] = []
            if let sessionExpiry {
                properties.append(0x11)
                appendUInt16(UInt16(sessionExpiry >> 16), to: &properties)
                appendUInt16(UInt16(sessionExpiry & 0xFFFF), to: &properties)
            }
            if let receiveMaximum {
                precondition(receiveMaximum > 0, "Receive Maximum is at least 1")
                properties.append(0x21)
                appendUInt16(receiveMaximum, to: &properties)
            }
            MQTTFraming.appendVariableByteInteger(properties.count, to: &body)
            body += properties
        }
        appendString(clientID, to: &body)
        return packet(0x10, body)
    }

    /// SUBSCRIBE for one filter at `qos` (the maximum QoS the client takes).
    public static func subscribe(packetID: UInt16, filter: String, qos: UInt8, version: MQTTWireVersion) -> [UInt8] {
        precondition(packetID != 0 && qos < 3, "a packet identifier other than 0 and a QoS of 0, 1 or 2")
        var body: [UInt8] = []
        appendUInt16(packetID, to: &body)
        if version == .v5 { body.append(0) }
        appendString(filter, to: &body)
        body.append(qos)
        return packet(0x82, body)
    }

    /// PUBLISH, as a publisher sends it; `packetID` is ignored at QoS 0. MQTT 5: `properties` are the encoded
    /// properties, without their length.
    public static func publish(topic: String, payload: [UInt8], qos: UInt8, packetID: UInt16, retain: Bool = false,
                               version: MQTTWireVersion, properties: [UInt8] = []) -> [UInt8] {
        precondition(qos < 3 && (qos == 0 || packetID != 0), "QoS 0, 1 or 2, with a packet identifier above QoS 0")
        var body: [UInt8] = []
        appendString(topic, to: &body)
        if qos > 0 { appendUInt16(packetID, to: &body) }
        if version == .v5 {
            MQTTFraming.appendVariableByteInteger(properties.count, to: &body)
            body += properties
        }
        body += payload
        return packet(0x30 | qos << 1 | (retain ? 1 : 0), body)
    }

    /// Appends PUBACK, PUBREC, PUBREL or PUBCOMP for `packetID` with success (the short form both versions
    /// read: MQTT 5 leaves out a reason code of 0).
    public static func appendAcknowledgement(_ type: MQTTPacketType, packetID: UInt16, to bytes: inout [UInt8]) {
        precondition([.puback, .pubrec, .pubrel, .pubcomp].contains(type), "\(type) is not a publish acknowledgement")
        bytes.append(type.rawValue << 4 | (type == .pubrel ? 0x02 : 0))
        bytes.append(2)
        appendUInt16(packetID, to: &bytes)
    }

    /// A User Property (MQTT 5 property 0x26), for `publish(…properties:)`.
    public static func appendUserProperty(_ name: String, _ value: String, to bytes: inout [UInt8]) {
        bytes.append(0x26)
        appendString(name, to: &bytes)
        appendString(value, to: &bytes)
    }

    public static let pingreq: [UInt8] = [0xC0, 0]
    /// DISCONNECT with success (both versions).
    public static let disconnect: [UInt8] = [0xE0, 0]

    static func packet(_ first: UInt8, _ body: [UInt8]) -> [UInt8] {
        var bytes = [first]
        bytes.reserveCapacity(body.count + 5)
        MQTTFraming.appendVariableByteInteger(body.count, to: &bytes)
        return bytes + body
    }

    static func appendUInt16(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    static func appendString(_ text: String, to bytes: inout [UInt8]) {
        let utf8 = Array(text.utf8)
        precondition(utf8.count <= 65_535, "an MQTT string is at most 65,535 bytes")
        appendUInt16(UInt16(utf8.count), to: &bytes)
        bytes += utf8
    }
}
