/// A PUBLISH read in place: where its topic, properties and payload lie in the scanned bytes.
public struct MQTTPublish: Sendable, Equatable {
    /// 0, 1 or 2.
    public let qos: UInt8
    public let retain: Bool
    public let duplicate: Bool
    /// The topic name's UTF-8 bytes.
    public let topic: Range<Int>
    /// The packet identifier; 0 at QoS 0, which has none.
    public let packetID: UInt16
    /// MQTT 5: the properties' bytes, after their length (empty for MQTT 3.1.1).
    public let properties: Range<Int>
    public let payload: Range<Int>

    /// Reads the PUBLISH `frame` found in `bytes`.
    public init(frame: MQTTFrame, in bytes: UnsafeRawBufferPointer, version: MQTTWireVersion) throws(MQTTWireError) {
        guard frame.type == .publish else { throw .malformed(frame.type, "not a PUBLISH") }
        qos = (frame.flags >> 1) & 0x03
        guard qos < 3 else { throw .malformed(.publish, "QoS 3") }
        retain = frame.flags & 0x01 != 0
        duplicate = frame.flags & 0x08 != 0
        let end = frame.body.upperBound
        var index = frame.body.lowerBound
        guard end - index >= 2 else { throw .malformed(.publish, "no topic length") }
        let topicLength = Int(MQTTFraming.uint16(bytes, at: index))
        index += 2
        guard end - index >= topicLength else { throw .malformed(.publish, "a topic of \(topicLength) bytes in a packet of \(frame.body.count)") }
        topic = index..<(index + topicLength)
        index += topicLength
        if qos > 0 {
            guard end - index >= 2 else { throw .malformed(.publish, "no packet identifier") }
            packetID = MQTTFraming.uint16(bytes, at: index)
            guard packetID != 0 else { throw .malformed(.publish, "packet identifier 0") }
            index += 2
        } else {
            packetID = 0
        }
        if version == .v5 {
            let bounded = UnsafeRawBufferPointer(rebasing: bytes[..<end])
            guard let (length, lengthBytes) = try MQTTFraming.variableByteInteger(in: bounded, at: index) else {
                throw .malformed(.publish, "no property length")
            }
            index += lengthBytes
            guard end - index >= length else { throw .malformed(.publish, "properties of \(length) bytes past the packet's end") }
            properties = index..<(index + length)
            index += length
        } else {
            properties = index..<index
        }
        payload = index..<end
    }
}

/// The acknowledgement packets that carry only a packet identifier first (PUBACK, PUBREC, PUBREL, PUBCOMP,
/// SUBACK, UNSUBACK): that identifier.
public func mqttPacketID(of frame: MQTTFrame, in bytes: UnsafeRawBufferPointer) throws(MQTTWireError) -> UInt16 {
    guard frame.body.count >= 2 else { throw .malformed(frame.type, "no packet identifier") }
    if frame.type == .pubrel, frame.flags != 0x02 { throw .malformed(.pubrel, "flags \(frame.flags), not 2") }
    return MQTTFraming.uint16(bytes, at: frame.body.lowerBound)
}

/// A CONNACK: whether the broker kept a session, and its return code (3.1.1) or reason code (5); 0 is success.
public struct MQTTConnack: Sendable, Equatable {
    public let sessionPresent: Bool
    public let code: UInt8

    public init(frame: MQTTFrame, in bytes: UnsafeRawBufferPointer) throws(MQTTWireError) {
        guard frame.type == .connack else { throw .malformed(frame.type, "not a CONNACK") }
        guard frame.body.count >= 2 else { throw .malformed(.connack, "\(frame.body.count) bytes, fewer than 2") }
        sessionPresent = bytes[frame.body.lowerBound] & 0x01 != 0
        code = bytes[frame.body.lowerBound + 1]
    }
}

/// A SUBACK: its packet identifier and the granted QoS (or failure code, ≥ 0x80) of each filter.
public struct MQTTSuback: Sendable, Equatable {
    public let packetID: UInt16
    public let codes: [UInt8]

    public init(frame: MQTTFrame, in bytes: UnsafeRawBufferPointer, version: MQTTWireVersion) throws(MQTTWireError) {
        guard frame.type == .suback else { throw .malformed(frame.type, "not a SUBACK") }
        packetID = try mqttPacketID(of: frame, in: bytes)
        var index = frame.body.lowerBound + 2
        if version == .v5 {
            let bounded = UnsafeRawBufferPointer(rebasing: bytes[..<frame.body.upperBound])
            guard let (length, lengthBytes) = try MQTTFraming.variableByteInteger(in: bounded, at: index),
                index + lengthBytes + length <= frame.body.upperBound
            else { throw .malformed(.suback, "properties past the packet's end") }
            index += lengthBytes + length
        }
        codes = Array(bytes[index..<frame.body.upperBound])
        guard !codes.isEmpty else { throw .malformed(.suback, "no return codes") }
    }
}
