/// The MQTT protocol versions this framing reads and writes (the protocol level byte of CONNECT).
public enum MQTTWireVersion: UInt8, Sendable {
    case v311 = 4
    case v5 = 5
}

/// The MQTT control packet types (MQTT 3.1.1 §2.2.1, MQTT 5.0 §2.1.2).
public enum MQTTPacketType: UInt8, Sendable, CustomStringConvertible {
    case connect = 1, connack, publish, puback, pubrec, pubrel, pubcomp, subscribe, suback, unsubscribe, unsuback
    case pingreq, pingresp, disconnect, auth

    public var description: String {
        switch self {
        case .connect: "CONNECT"
        case .connack: "CONNACK"
        case .publish: "PUBLISH"
        case .puback: "PUBACK"
        case .pubrec: "PUBREC"
        case .pubrel: "PUBREL"
        case .pubcomp: "PUBCOMP"
        case .subscribe: "SUBSCRIBE"
        case .suback: "SUBACK"
        case .unsubscribe: "UNSUBSCRIBE"
        case .unsuback: "UNSUBACK"
        case .pingreq: "PINGREQ"
        case .pingresp: "PINGRESP"
        case .disconnect: "DISCONNECT"
        case .auth: "AUTH"
        }
    }
}

/// One control packet found in a byte stream: its type, the fixed header's flags, and where the rest of it
/// (variable header and payload) lies in the bytes that were scanned.
public struct MQTTFrame: Sendable, Equatable {
    public let type: MQTTPacketType
    /// The low four bits of the first byte (for PUBLISH: DUP, QoS and RETAIN).
    public let flags: UInt8
    /// The variable header and payload, as offsets into the scanned bytes.
    public let body: Range<Int>
    /// The whole packet's size on the wire, fixed header included.
    public let wireBytes: Int
}

/// Bytes that are not the MQTT a client may receive.
public enum MQTTWireError: Error, Equatable, CustomStringConvertible {
    /// A remaining length (or property length) of more than four bytes.
    case malformedLength(offset: Int)
    /// A packet larger than the receiver takes.
    case packetTooLarge(size: Int, limit: Int)
    /// Packet type 0, which is reserved.
    case reservedPacketType(offset: Int)
    /// A packet whose fields do not fit its length, or that break a rule of its type.
    case malformed(MQTTPacketType, String)

    public var description: String {
        switch self {
        case .malformedLength(let offset): "malformed MQTT length at byte \(offset): more than 4 bytes"
        case .packetTooLarge(let size, let limit): "MQTT packet of \(size) bytes, over the limit of \(limit)"
        case .reservedPacketType(let offset): "MQTT packet of reserved type 0 at byte \(offset)"
        case .malformed(let type, let reason): "malformed \(type): \(reason)"
        }
    }
}

/// Splitting a byte stream into MQTT control packets, many per read: what a receive path needs to take a
/// whole burst of packets out of one buffer instead of reading each packet's header and body separately.
public enum MQTTFraming {
    /// The largest remaining length MQTT allows (four length bytes).
    public static let maxRemainingLength = 268_435_455

    /// The packet that starts at `offset` in `bytes`, or nil while it has not arrived whole. Throws for bytes
    /// that cannot start a packet and for a packet whose whole size is over `limit`.
    public static func nextFrame(in bytes: UnsafeRawBufferPointer, at offset: Int, limit: Int) throws(MQTTWireError) -> MQTTFrame? {
        guard offset < bytes.count else { return nil }
        let first = bytes[offset]
        guard let type = MQTTPacketType(rawValue: first >> 4) else { throw .reservedPacketType(offset: offset) }
        guard let (length, lengthBytes) = try variableByteInteger(in: bytes, at: offset + 1) else {
            return nil
        }
        let headerBytes = 1 + lengthBytes
        let wireBytes = headerBytes + length
        guard wireBytes <= limit else { throw .packetTooLarge(size: wireBytes, limit: limit) }
        guard bytes.count - offset >= wireBytes else { return nil }
        let bodyStart = offset + headerBytes
        return MQTTFrame(type: type, flags: first & 0x0F, body: bodyStart..<(bodyStart + length), wireBytes: wireBytes)
    }

    /// A variable byte integer (MQTT 5.0 §1.5.5) at `offset`: its value and how many bytes it took, or nil
    /// while its last byte has not arrived.
    public static func variableByteInteger(in bytes: UnsafeRawBufferPointer, at offset: Int) throws(MQTTWireError) -> (value: Int, length: Int)? {
        var value = 0
        var shift = 0
        var index = offset
        while index < bytes.count {
            let byte = bytes[index]
            value |= Int(byte & 0x7F) << shift
            index += 1
            if byte & 0x80 == 0 { return (value, index - offset) }
            shift += 7
            if index - offset == 4 { throw .malformedLength(offset: offset) }
        }
        return nil
    }

    /// Appends `value` (at most ``maxRemainingLength``) as a variable byte integer.
    public static func appendVariableByteInteger(_ value: Int, to bytes: inout [UInt8]) {
        precondition((0...maxRemainingLength).contains(value), "an MQTT length is between 0 and \(maxRemainingLength)")
        var rest = value
        repeat {
            var byte = UInt8(rest & 0x7F)
            rest >>= 7
            if rest > 0 { byte |= 0x80 }
            bytes.append(byte)
        } while rest > 0
    }

    /// The two-byte integer at `offset`.
    static func uint16(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
}
