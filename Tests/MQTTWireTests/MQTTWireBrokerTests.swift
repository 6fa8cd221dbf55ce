import LoopbackHarness
import Mosquitto
import MQTTWire
import Synchronization
import Testing
import TestSupport

/// The framing against a real Mosquitto: a raw connection that writes only what ``MQTTPacketWriter`` makes and
/// reads only through ``MQTTReceiveBuffer``, many packets per read, with messages from a libmosquitto publisher.
@Suite("MQTT framing against Mosquitto", .serialized)
struct MQTTWireBrokerTests {
    @Test("every PUBLISH Mosquitto sends reads back whole, at each QoS, with its properties",
          arguments: [MQTTWireVersion.v311, .v5])
    func readsWhatTheBrokerSends(version: MQTTWireVersion) throws {
        let broker = try MosquittoBroker()
        defer { broker.stop() }
        let clientID = "raw-\(version.rawValue)"
        let subscriber = try RawSubscriber(broker: broker, version: version, clientID: clientID, cleanStart: true)
        try subscriber.subscribe("wire/#")
        let publisher = try Publisher(broker: broker, version: version)
        defer { publisher.close() }

        let sizes = [0, 1, 100, 127, 128, 16_384, 70_000]
        let count = 300
        var expected: [String: (payload: [UInt8], qos: UInt8)] = [:]
        for index in 0..<count {
            let payload = (0..<sizes[index % sizes.count]).map { UInt8(truncatingIfNeeded: $0 &+ index) }
            let qos = UInt8(index % 3)
            expected["wire/\(index)"] = (payload, qos)
            _ = try publisher.client.publish(
                topic: "wire/\(index)", payload: payload, qos: MQTTQoS(rawValue: Int(qos))!,
                properties: version == .v5 ? MQTTPublishProperties(userProperties: [MQTTUserProperty("n", "\(index)")]) : nil)
        }
        let received = try subscriber.receive(count: count)
        #expect(received.count == count)
        var wrong: [String] = []
        for message in received {
            guard let want = expected.removeValue(forKey: message.topic) else {
                wrong.append("\(message.topic): unexpected or twice")
                continue
            }
            if message.payload != want.payload { wrong.append("\(message.topic): payload of \(message.payload.count) bytes, not \(want.payload.count)") }
            if message.qos != want.qos { wrong.append("\(message.topic): QoS \(message.qos), not \(want.qos)") }
            if version == .v5 {
                var property: [UInt8] = []
                MQTTPacketWriter.appendUserProperty("n", String(message.topic.dropFirst(5)), to: &property)
                if message.properties != property { wrong.append("\(message.topic): properties \(message.properties)") }
            } else if !message.properties.isEmpty {
                wrong.append("\(message.topic): properties in MQTT 3.1.1")
            }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
        #expect(expected.isEmpty, "\(expected.count) messages never arrived")
        // The publisher's QoS 1 and 2 messages were all acknowledged to it, so the broker took them.
        #expect(publisher.waitForCompletions(count))
    }

    @Test("a session resumed after every message was acknowledged holds nothing to deliver again",
          arguments: [MQTTWireVersion.v311, .v5])
    func acknowledgedMessagesAreNotRedelivered(version: MQTTWireVersion) throws {
        let broker = try MosquittoBroker()
        defer { broker.stop() }
        let clientID = "raw-session-\(version.rawValue)"
        let publisher = try Publisher(broker: broker, version: version)
        defer { publisher.close() }
        do {
            let subscriber = try RawSubscriber(broker: broker, version: version, clientID: clientID, cleanStart: false)
            try subscriber.subscribe("session/#")
            for index in 0..<200 {
                _ = try publisher.client.publish(topic: "session/\(index)", payload: Array("m\(index)".utf8),
                                                 qos: index.isMultiple(of: 2) ? .atLeastOnce : .exactlyOnce)
            }
            #expect(try subscriber.receive(count: 200).count == 200)
            // The last PUBCOMP is written; PINGRESP after it says the broker read everything before it.
            try subscriber.ping()
            try subscriber.disconnect()
        }
        let resumed = try RawSubscriber(broker: broker, version: version, clientID: clientID, cleanStart: false)
        #expect(resumed.sessionPresent)
        _ = try publisher.client.publish(topic: "session/last", payload: Array("last".utf8), qos: .atLeastOnce)
        // Whatever the broker still held would come before the new message.
        let next = try resumed.receive(count: 1)
        #expect(next.map(\.topic) == ["session/last"])
    }
}

/// A message as the raw subscriber read it.
struct RawMessage {
    var topic: String
    var payload: [UInt8]
    var qos: UInt8
    var properties: [UInt8]
}

/// A subscriber made of a TCP connection, ``MQTTPacketWriter`` and ``MQTTReceiveBuffer``: it acknowledges each
/// read's messages with one write, as a receive path that reads many packets per call would.
final class RawSubscriber {
    let connection: HTTPClientConnection
    let buffer = MQTTReceiveBuffer(capacity: 256 * 1024)
    let version: MQTTWireVersion
    private(set) var sessionPresent = false
    private var nextPacketID: UInt16 = 1

    init(broker: MosquittoBroker, version: MQTTWireVersion, clientID: String, cleanStart: Bool) throws {
        self.version = version
        connection = try HTTPClientConnection(host: broker.host, port: broker.port, timeout: .seconds(10))
        try connection.send(MQTTPacketWriter.connect(
            clientID: clientID, keepAlive: 60, cleanStart: cleanStart, version: version,
            sessionExpiry: version == .v5 && !cleanStart ? 3_600 : nil, receiveMaximum: version == .v5 ? 65_535 : nil))
        var connack: MQTTConnack?
        try readUntil({ connack != nil }) { frame, bytes in
            guard frame.type == .connack else { throw WireTestError("\(frame.type) before CONNACK") }
            connack = try MQTTConnack(frame: frame, in: bytes)
        }
        guard let connack, connack.code == 0 else { throw WireTestError("CONNACK refused: \(connack?.code ?? 0xFF)") }
        sessionPresent = connack.sessionPresent
    }

    func subscribe(_ filter: String) throws {
        let packetID = nextPacketID
        nextPacketID += 1
        try connection.send(MQTTPacketWriter.subscribe(packetID: packetID, filter: filter, qos: 2, version: version))
        var codes: [UInt8]?
        try readUntil({ codes != nil }) { frame, bytes in
            guard frame.type == .suback else { throw WireTestError("\(frame.type) before SUBACK") }
            let suback = try MQTTSuback(frame: frame, in: bytes, version: version)
            guard suback.packetID == packetID else { throw WireTestError("SUBACK for \(suback.packetID), not \(packetID)") }
            codes = suback.codes
        }
        guard codes == [2] else { throw WireTestError("SUBACK granted \(codes ?? [])") }
    }

    /// Reads until `count` messages arrived and the PUBREL of each QoS 2 one among them was answered,
    /// acknowledging them.
    func receive(count: Int) throws -> [RawMessage] {
        var messages: [RawMessage] = []
        var acknowledgements: [UInt8] = []
        var awaitingRelease: Set<UInt16> = []
        try readUntil({ messages.count >= count && awaitingRelease.isEmpty }, afterEachRead: {
            if !acknowledgements.isEmpty { try connection.send(acknowledgements) }
            acknowledgements.removeAll(keepingCapacity: true)
        }) { frame, bytes in
            switch frame.type {
            case .publish:
                let publish = try MQTTPublish(frame: frame, in: bytes, version: version)
                messages.append(RawMessage(
                    topic: String(decoding: bytes[publish.topic], as: UTF8.self), payload: Array(bytes[publish.payload]),
                    qos: publish.qos, properties: Array(bytes[publish.properties])))
                switch publish.qos {
                case 1: MQTTPacketWriter.appendAcknowledgement(.puback, packetID: publish.packetID, to: &acknowledgements)
                case 2:
                    MQTTPacketWriter.appendAcknowledgement(.pubrec, packetID: publish.packetID, to: &acknowledgements)
                    awaitingRelease.insert(publish.packetID)
                default: break
                }
            case .pubrel:
                let packetID = try mqttPacketID(of: frame, in: bytes)
                guard awaitingRelease.remove(packetID) != nil else { throw WireTestError("PUBREL for \(packetID), which is not awaiting one") }
                MQTTPacketWriter.appendAcknowledgement(.pubcomp, packetID: packetID, to: &acknowledgements)
            default:
                throw WireTestError("unexpected \(frame.type)")
            }
        }
        return messages
    }

    func ping() throws {
        try connection.send(MQTTPacketWriter.pingreq)
        var answered = false
        try readUntil({ answered }) { frame, _ in
            guard frame.type == .pingresp else { throw WireTestError("\(frame.type) before PINGRESP") }
            answered = true
        }
    }

    func disconnect() throws {
        try connection.send(MQTTPacketWriter.disconnect)
        connection.close()
    }

    /// Reads (one `recv` each time, waiting at most the connection's timeout) and hands each whole packet to
    /// `handle` until `done` holds; `afterEachRead` runs after each read's packets.
    private func readUntil(_ done: () -> Bool, afterEachRead: () throws -> Void = {},
                           _ handle: (MQTTFrame, UnsafeRawBufferPointer) throws -> Void) throws {
        while !done() {
            let read = try connection.receive(into: buffer.freeSpace)
            guard read > 0 else { throw WireTestError("the broker closed the connection") }
            buffer.didWrite(read)
            try buffer.takePackets(handle)
            try afterEachRead()
        }
    }
}

/// A libmosquitto publisher on its own loop thread that counts what the broker acknowledged.
final class Publisher {
    let client: MQTTClient
    let completions = Count()

    final class Count: Sendable {
        let value = Atomic<Int>(0)
    }

    init(broker: MosquittoBroker, version: MQTTWireVersion) throws {
        client = try MQTTClient(clientID: "wire-publisher", cleanStart: true, protocolVersion: version == .v5 ? .v5 : .v311)
        client.onPublishCompleted = { [completions] _, _ in completions.value.add(1, ordering: .relaxed) }
        try client.connectAndWait(host: broker.host, port: broker.port)
    }

    func waitForCompletions(_ count: Int) -> Bool {
        waitUntilBlocking(timeout: .seconds(30), pollInterval: .milliseconds(5)) { completions.value.load(ordering: .relaxed) >= count }
    }

    func close() {
        try? client.disconnect()
        try? client.stopLoop()
    }
}

struct WireTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
