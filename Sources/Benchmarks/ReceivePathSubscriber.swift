import BridgeRuntime
import Foundation
import LoopbackHarness
import Mosquitto
import MQTTWire
import Synchronization
import TestSupport

/// One subscriber of the receive-path benchmark on a thread of its own (``Kind/threadName``), recording each
/// stamped payload it receives.
final class ReceivePathSubscriber: StampReceiver, @unchecked Sendable {
    // Safe: the connection lives on the subscriber's thread only; what other threads read is atomic or locked.

    enum Kind: String, CaseIterable {
        case libmosquitto, buffered

        /// At most 15 characters, as Linux keeps them.
        var threadName: String {
            switch self {
            case .libmosquitto: "recv-mosquitto"
            case .buffered: "recv-buffered"
            }
        }

        var title: String {
            switch self {
            case .libmosquitto: "libmosquitto, read as the MQTT worker reads"
            case .buffered: "buffered reader, every packet that arrived per read"
            }
        }

        /// What ``ReceivePathSubscriber/reads`` counts.
        var readsWord: String {
            switch self {
            case .libmosquitto: "polls that found the socket readable"
            case .buffered: "`recv` calls that returned bytes"
            }
        }
    }

    let recorder: LatencyRecorder
    private let stopping = Atomic<Bool>(false)
    private let ready = Atomic<Bool>(false)
    private let readCount = Atomic<Int>(0)
    private let failureText = Mutex<String?>(nil)
    private let finished = DispatchSemaphore(value: 0)
    private let closed = Atomic<Bool>(false)

    /// Reads so far (see ``Kind/readsWord``).
    var reads: Int { readCount.load(ordering: .relaxed) }
    /// Why the subscriber's thread ended early.
    var failure: String? { failureText.withLock { $0 } }

    /// Starts the thread, connects and subscribes to `filter`; throws when no SUBACK came within 10 s.
    init(kind: Kind, broker: MosquittoBroker, filter: String, capacity: Int) throws {
        recorder = LatencyRecorder(capacity: capacity)
        let thread = Thread { [self] in
            _ = nameCurrentThread(kind.threadName)
            defer { finished.signal() }
            do {
                switch kind {
                case .libmosquitto: try runLibmosquitto(broker: broker, filter: filter)
                case .buffered: try runBuffered(broker: broker, filter: filter)
                }
            } catch {
                failureText.withLock { $0 = "\(error)" }
            }
        }
        thread.start()
        let subscribed = waitUntilBlocking(timeout: .seconds(10)) { () -> Bool in
            ready.load(ordering: .relaxed) || failure != nil
        }
        guard subscribed, failure == nil else {
            close()
            throw BenchError("the \(kind.rawValue) receiver did not subscribe: \(failure ?? "no SUBACK within 10 s")")
        }
    }

    func close() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        stopping.store(true, ordering: .relaxed)
        finished.wait()
    }

    /// libmosquitto on this thread, as `MQTTWorkerLoop` drives it.
    private func runLibmosquitto(broker: MosquittoBroker, filter: String) throws {
        let client = try MQTTClient(clientID: "bench-recv-libmosquitto", cleanStart: true)
        try client.setTCPNoDelay(true)
        try client.setReceiveMaximum(65_535)
        try client.useExternalLoop()
        client.onMessage = { [recorder] message in recorder.record(message.payload) }
        client.onSubscribe = { [self] _, _ in ready.store(true, ordering: .relaxed) }
        try client.connect(host: broker.host, port: broker.port)
        defer { try? client.disconnect() }
        var subscribeSent = false
        var lastMisc = ContinuousClock.now
        while !stopping.load(ordering: .relaxed) {
            guard let socket = client.socketDescriptor else { throw BenchError("libmosquitto lost its connection") }
            let events: Int16 = client.hasPendingWrites ? Int16(POLLIN | POLLOUT) : Int16(POLLIN)
            var item = pollfd(fd: socket, events: events, revents: 0)
            var packets = 0
            if poll(&item, 1, 100) > 0, item.revents & Int16(POLLIN) != 0 {
                readCount.add(1, ordering: .relaxed)
                packets = try client.loopReadArrived(maxPackets: 1_000, while: { true })
            }
            if client.hasPendingWrites {
                if packets > 1 { try client.loopWriteCoalesced() } else { try client.loopWrite() }
            }
            if ContinuousClock.now - lastMisc > .seconds(1) {
                try client.loopMisc()
                lastMisc = ContinuousClock.now
            }
            if client.isConnected && !subscribeSent {
                _ = try client.subscribe(filter: filter, qos: .exactlyOnce)
                subscribeSent = true
            }
        }
    }

    /// The buffered reader: a TCP connection, ``MQTTPacketWriter`` and ``MQTTReceiveBuffer``.
    private func runBuffered(broker: MosquittoBroker, filter: String) throws {
        let connection = try HTTPClientConnection(host: broker.host, port: broker.port, timeout: .seconds(10))
        defer { connection.close() }
        let buffer = MQTTReceiveBuffer(capacity: 256 * 1024)
        let keepAlive: UInt16 = 60
        let pingInterval: Duration = .seconds(30)
        try connection.send(MQTTPacketWriter.connect(
            clientID: "bench-recv-buffered", keepAlive: keepAlive, cleanStart: true, version: .v5, receiveMaximum: 65_535))
        try connection.send(MQTTPacketWriter.subscribe(packetID: 1, filter: filter, qos: 2, version: .v5))
        connection.timeout = .milliseconds(100)
        var lastSend = ContinuousClock.now
        var acknowledgements: [UInt8] = []
        acknowledgements.reserveCapacity(64 * 1024)
        while !stopping.load(ordering: .relaxed) {
            let read = try Self.receive(connection, into: buffer)
            if read == 0 { throw BenchError("the broker closed the connection") }
            if let read, read > 0 {
                readCount.add(1, ordering: .relaxed)
                buffer.didWrite(read)
                try buffer.takePackets { frame, bytes in
                    switch frame.type {
                    case .publish:
                        let publish = try MQTTPublish(frame: frame, in: bytes, version: .v5)
                        // The owned copies a worker hands on, as libmosquitto's message callback makes them.
                        let topic = String(decoding: bytes[publish.topic], as: UTF8.self)
                        let payload = Array(bytes[publish.payload])
                        if !topic.isEmpty { recorder.record(payload) }
                        switch publish.qos {
                        case 1: MQTTPacketWriter.appendAcknowledgement(.puback, packetID: publish.packetID, to: &acknowledgements)
                        case 2: MQTTPacketWriter.appendAcknowledgement(.pubrec, packetID: publish.packetID, to: &acknowledgements)
                        default: break
                        }
                    case .pubrel:
                        MQTTPacketWriter.appendAcknowledgement(.pubcomp, packetID: try mqttPacketID(of: frame, in: bytes), to: &acknowledgements)
                    case .connack:
                        let connack = try MQTTConnack(frame: frame, in: bytes)
                        if connack.code != 0 { throw BenchError("CONNACK with reason code \(connack.code)") }
                    case .suback:
                        let codes = try MQTTSuback(frame: frame, in: bytes, version: .v5).codes
                        guard codes == [2] else { throw BenchError("SUBACK granted \(codes)") }
                        ready.store(true, ordering: .relaxed)
                    case .pingresp:
                        break
                    default:
                        throw BenchError("unexpected \(frame.type) from the broker")
                    }
                }
            }
            if !acknowledgements.isEmpty {
                connection.timeout = .seconds(10)
                try connection.send(acknowledgements)
                connection.timeout = .milliseconds(100)
                acknowledgements.removeAll(keepingCapacity: true)
                lastSend = ContinuousClock.now
            } else if ContinuousClock.now - lastSend > pingInterval {
                try connection.send(MQTTPacketWriter.pingreq)
                lastSend = ContinuousClock.now
            }
        }
        try? connection.send(MQTTPacketWriter.disconnect)
    }

    /// One read into `buffer`: the bytes it took, 0 once the broker closed the connection, nil when nothing
    /// came within the connection's timeout.
    private static func receive(_ connection: HTTPClientConnection, into buffer: MQTTReceiveBuffer) throws(HTTPClientError) -> Int? {
        do {
            return try connection.receive(into: buffer.freeSpace)
        } catch {
            if error.kind == .timedOut { return nil }
            throw error
        }
    }
}
