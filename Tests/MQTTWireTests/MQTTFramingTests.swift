import MQTTWire
import Testing
import TestSupport

@Suite("MQTT framing")
struct MQTTFramingTests {
    @Test("a length takes 1 to 4 bytes and reads back as written", arguments: [
        (0, 1), (1, 1), (127, 1), (128, 2), (16_383, 2), (16_384, 3), (2_097_151, 3), (2_097_152, 4), (268_435_455, 4),
    ])
    func lengthsRoundTrip(value: Int, length: Int) throws {
        var bytes: [UInt8] = []
        MQTTFraming.appendVariableByteInteger(value, to: &bytes)
        #expect(bytes.count == length)
        let read = try bytes.withUnsafeBytes { try MQTTFraming.variableByteInteger(in: $0, at: 0) }
        #expect(read?.value == value)
        #expect(read?.length == length)
        // Every proper prefix is "not yet arrived".
        for cut in 0..<bytes.count {
            let partial = try Array(bytes[..<cut]).withUnsafeBytes { try MQTTFraming.variableByteInteger(in: $0, at: 0) }
            #expect(partial == nil)
        }
    }

    @Test("a length of five bytes is refused, at the offset it starts")
    func fiveByteLengthIsMalformed() {
        let bytes: [UInt8] = [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        #expect(throws: MQTTWireError.malformedLength(offset: 1)) {
            try bytes.withUnsafeBytes { try MQTTFraming.nextFrame(in: $0, at: 0, limit: 1 << 20) }
        }
    }

    @Test("packet type 0 is refused, and a packet over the limit is refused before it arrives whole")
    func reservedTypeAndOversizedPacket() {
        #expect(throws: MQTTWireError.reservedPacketType(offset: 0)) {
            try [UInt8]([0x00, 0x00]).withUnsafeBytes { try MQTTFraming.nextFrame(in: $0, at: 0, limit: 100) }
        }
        // A PUBLISH announcing 200 bytes, of which only the header has arrived.
        #expect(throws: MQTTWireError.packetTooLarge(size: 203, limit: 100)) {
            try [UInt8]([0x30, 0xC8, 0x01]).withUnsafeBytes { try MQTTFraming.nextFrame(in: $0, at: 0, limit: 100) }
        }
    }

    @Test("CONNECT and SUBSCRIBE are encoded as the specification lays them out")
    func connectAndSubscribeBytes() {
        // MQTT 3.1.1 §3.1: protocol name, level 4, clean session, keep alive 60, client identifier "a".
        #expect(MQTTPacketWriter.connect(clientID: "a", keepAlive: 60, cleanStart: true, version: .v311)
            == [0x10, 0x0D, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3C, 0x00, 0x01, 0x61])
        // MQTT 5 §3.1.2.11: properties with Receive Maximum (0x21) 65,535, then the client identifier.
        #expect(MQTTPacketWriter.connect(clientID: "a", keepAlive: 60, cleanStart: false, version: .v5, receiveMaximum: 65_535)
            == [0x10, 0x11, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x05, 0x00, 0x00, 0x3C, 0x03, 0x21, 0xFF, 0xFF, 0x00, 0x01, 0x61])
        // With Session Expiry Interval (0x11) 3,600 s before it.
        #expect(MQTTPacketWriter.connect(clientID: "a", keepAlive: 60, cleanStart: false, version: .v5, sessionExpiry: 3_600)
            == [0x10, 0x13, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x05, 0x00, 0x00, 0x3C, 0x05, 0x11, 0x00, 0x00, 0x0E, 0x10, 0x00, 0x01, 0x61])
        // §3.8: fixed header flags 0010, packet identifier, (MQTT 5: no properties), filter, options.
        #expect(MQTTPacketWriter.subscribe(packetID: 10, filter: "a/#", qos: 2, version: .v311)
            == [0x82, 0x08, 0x00, 0x0A, 0x00, 0x03, 0x61, 0x2F, 0x23, 0x02])
        #expect(MQTTPacketWriter.subscribe(packetID: 10, filter: "a/#", qos: 1, version: .v5)
            == [0x82, 0x09, 0x00, 0x0A, 0x00, 0x00, 0x03, 0x61, 0x2F, 0x23, 0x01])
    }

    @Test("acknowledgements carry the packet identifier; PUBREL's flags are 0010")
    func acknowledgementBytes() throws {
        var bytes: [UInt8] = []
        for type in [MQTTPacketType.puback, .pubrec, .pubrel, .pubcomp] {
            MQTTPacketWriter.appendAcknowledgement(type, packetID: 0x1234, to: &bytes)
        }
        #expect(bytes == [0x40, 2, 0x12, 0x34, 0x50, 2, 0x12, 0x34, 0x62, 2, 0x12, 0x34, 0x70, 2, 0x12, 0x34])
        let found = try frames(in: bytes)
        #expect(found.map(\.type) == [.puback, .pubrec, .pubrel, .pubcomp])
        for frame in found {
            #expect(try bytes.withUnsafeBytes { try mqttPacketID(of: frame, in: $0) } == 0x1234)
        }
        // A PUBREL with other flags is malformed (MQTT 3.1.1 §3.6.1).
        let badRelease: [UInt8] = [0x60, 2, 0, 1]
        let badFrame = try #require(try frames(in: badRelease).first)
        #expect(throws: MQTTWireError.self) { try badRelease.withUnsafeBytes { try mqttPacketID(of: badFrame, in: $0) } }
    }

    @Test("a PUBLISH reads back as written", arguments: [MQTTWireVersion.v311, .v5], [UInt8(0), 1, 2])
    func publishRoundTrip(version: MQTTWireVersion, qos: UInt8) throws {
        // Payload sizes around where the remaining length grows a byte.
        for size in [0, 1, 100, 115, 116, 117, 118, 16_370, 16_384, 70_000] {
            var properties: [UInt8] = []
            if version == .v5 { MQTTPacketWriter.appendUserProperty("mqttSecondTopic", "/a/b", to: &properties) }
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let bytes = MQTTPacketWriter.publish(
                topic: "sensors/ü/temp", payload: payload, qos: qos, packetID: qos == 0 ? 0 : 513, retain: size == 1,
                version: version, properties: properties)
            let frame = try #require(try frames(in: bytes).first)
            #expect(frame.wireBytes == bytes.count)
            let publish = try bytes.withUnsafeBytes { try MQTTPublish(frame: frame, in: $0, version: version) }
            #expect(publish.qos == qos)
            #expect(publish.retain == (size == 1))
            #expect(!publish.duplicate)
            #expect(publish.packetID == (qos == 0 ? 0 : 513))
            #expect(String(decoding: bytes[publish.topic], as: UTF8.self) == "sensors/ü/temp")
            #expect(Array(bytes[publish.properties]) == properties)
            #expect(bytes[publish.payload].elementsEqual(payload))
        }
    }

    @Test("a PUBLISH whose fields do not fit is refused, never read past its end", arguments: [
        // topic length 5 in a body of 3
        ([0x30, 0x03, 0x00, 0x05, 0x61] as [UInt8], MQTTWireVersion.v311),
        // QoS 3
        ([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01], .v311),
        // QoS 1 without room for the packet identifier
        ([0x32, 0x04, 0x00, 0x01, 0x61, 0x00], .v311),
        // QoS 1 with packet identifier 0
        ([0x32, 0x05, 0x00, 0x01, 0x61, 0x00, 0x00], .v311),
        // MQTT 5: properties of 9 bytes in a packet with 1 left
        ([0x30, 0x05, 0x00, 0x01, 0x61, 0x09, 0x00], .v5),
        // MQTT 5: no property length at all
        ([0x30, 0x03, 0x00, 0x01, 0x61], .v5),
    ])
    func malformedPublish(bytes: [UInt8], version: MQTTWireVersion) throws {
        let frame = try #require(try frames(in: bytes).first)
        #expect(throws: MQTTWireError.self) {
            try bytes.withUnsafeBytes { try MQTTPublish(frame: frame, in: $0, version: version) }
        }
    }

    @Test("CONNACK and SUBACK are read in both versions")
    func connackAndSuback() throws {
        // MQTT 5 CONNACK: session present, success, no properties.
        let connack: [UInt8] = [0x20, 0x03, 0x01, 0x00, 0x00]
        let connackFrame = try #require(try frames(in: connack).first)
        let readConnack = try connack.withUnsafeBytes { try MQTTConnack(frame: connackFrame, in: $0) }
        #expect(readConnack.sessionPresent)
        #expect(readConnack.code == 0)
        // MQTT 5 SUBACK with a Reason String property ("x"), granted QoS 2 and a refusal.
        let suback: [UInt8] = [0x90, 0x09, 0x00, 0x07, 0x04, 0x1F, 0x00, 0x01, 0x78, 0x02, 0x87]
        let subackFrame = try #require(try frames(in: suback).first)
        let read = try suback.withUnsafeBytes { try MQTTSuback(frame: subackFrame, in: $0, version: .v5) }
        #expect(read.packetID == 7)
        #expect(read.codes == [0x02, 0x87])
        let legacy: [UInt8] = [0x90, 0x03, 0x00, 0x07, 0x01]
        let legacyFrame = try #require(try frames(in: legacy).first)
        #expect(try legacy.withUnsafeBytes { try MQTTSuback(frame: legacyFrame, in: $0, version: .v311) }.codes == [0x01])
    }

    @Test("a stream cut anywhere gives the same packets, in order, whatever the reads' sizes")
    func streamCutAnywhere() throws {
        var random = SplitMix64(seed: 0x5EED_0013)
        var stream: [UInt8] = []
        var expected: [[UInt8]] = []
        for index in 0..<400 {
            let size = Int(random.next() % 300) + (index % 50 == 0 ? 20_000 : 0)
            let qos = UInt8(index % 3)
            let payload = (0..<size).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            stream += MQTTPacketWriter.publish(
                topic: "t/\(index)", payload: payload, qos: qos, packetID: UInt16(index + 1), version: .v5)
            expected.append(payload)
            if index % 7 == 0 { MQTTPacketWriter.appendAcknowledgement(.pubrel, packetID: UInt16(index + 1), to: &stream) }
        }
        let buffer = MQTTReceiveBuffer(capacity: 32 * 1024)
        var payloads: [[UInt8]] = []
        var releases = 0
        var offset = 0
        while offset < stream.count {
            let space = buffer.freeSpace
            let chunk = min(space.count, Int(random.next() % 5_000) + 1, stream.count - offset)
            stream.withUnsafeBytes { space.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + chunk)])) }
            buffer.didWrite(chunk)
            offset += chunk
            try buffer.takePackets { frame, bytes in
                switch frame.type {
                case .publish: payloads.append(Array(bytes[try MQTTPublish(frame: frame, in: bytes, version: .v5).payload]))
                case .pubrel: releases += 1
                default: Issue.record("unexpected \(frame.type)")
                }
            }
        }
        #expect(buffer.unreadCount == 0)
        #expect(releases == 58)
        #expect(payloads.count == expected.count)
        let firstDifferent = zip(payloads, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifferent == nil)
    }

    @Test("a packet larger than the buffer is reported, not waited for")
    func packetOverCapacity() throws {
        let buffer = MQTTReceiveBuffer(capacity: 64)
        let bytes = MQTTPacketWriter.publish(topic: "t", payload: [UInt8](repeating: 1, count: 100), qos: 0, packetID: 0, version: .v311)
        let space = buffer.freeSpace
        bytes.withUnsafeBytes { space.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[..<64])) }
        buffer.didWrite(64)
        #expect(throws: MQTTWireError.packetTooLarge(size: 105, limit: 64)) { try buffer.takePackets { _, _ in } }
    }

    /// Every whole packet in `bytes`.
    func frames(in bytes: [UInt8]) throws -> [MQTTFrame] {
        try bytes.withUnsafeBytes { raw in
            var frames: [MQTTFrame] = []
            var offset = 0
            while let frame = try MQTTFraming.nextFrame(in: raw, at: offset, limit: 1 << 20) {
                frames.append(frame)
                offset += frame.wireBytes
            }
            return frames
        }
    }
}
