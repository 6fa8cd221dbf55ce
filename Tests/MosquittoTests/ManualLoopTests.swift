import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LoopbackHarness
import Mosquitto
import Synchronization
import Testing

@Suite("MQTTClient driven from the calling thread, against a real mosquitto")
struct ManualLoopTests {
    @Test("connect, publish at QoS 1 and get the PUBACK with runLoopOnce; nothing left to write after")
    func publishWithoutTheLoopThread() async throws {
        let broker = try MosquittoBroker()
        let (subscriber, received) = try connectedClient(broker, id: "manual-sub")
        try await subscribeAndWait(subscriber, received, filter: "manual/#", qos: .atLeastOnce)

        let client = try MQTTClient(clientID: "manual-pub", cleanStart: true)
        try client.setTCPNoDelay(true)
        let completed = Mutex<[Int]>([])
        client.onPublishCompleted = { mid, _ in completed.withLock { $0.append(mid) } }
        try client.connect(host: broker.host, port: broker.port)
        let deadline = Deadline(timeout: eventTimeout)
        while !client.isConnected, !deadline.hasPassed { try client.runLoopOnce(timeoutMs: 20) }
        #expect(client.isConnected)
        #expect(!client.isLoopRunning)

        var mids: [Int] = []
        for index in 0..<50 {
            mids.append(try client.publish(topic: "manual/\(index)", payload: Array("m\(index)".utf8), qos: .atLeastOnce))
        }
        while completed.withLock({ $0.count }) < mids.count || client.hasPendingWrites, !deadline.hasPassed {
            try client.runLoopOnce(timeoutMs: 20)
        }
        #expect(Set(completed.withLock { $0 }) == Set(mids))
        #expect(!client.hasPendingWrites)
        #expect(await waitUntil(timeout: eventTimeout) { received.messages.count == 50 })
        try client.disconnect()
        // Writes the DISCONNECT; the loop then reports that the client is no longer connected.
        #expect(throws: MosquittoError.self) {
            for _ in 0..<50 { try client.runLoopOnce(timeoutMs: 20) }
        }
    }

    @Test("onLog hears libmosquitto's lines only while it is set")
    func logHandlerInstalledOnDemand() throws {
        let broker = try MosquittoBroker()
        let client = try MQTTClient(clientID: "logging", cleanStart: true)
        let lines = Mutex<[String]>([])
        let completed = Mutex(0)
        client.onLog = { _, text in lines.withLock { $0.append(text) } }
        client.onPublishCompleted = { _, _ in completed.withLock { $0 += 1 } }
        try client.connectAndWait(host: broker.host, port: broker.port, timeout: eventTimeout)
        #expect(waitUntilBlocking(timeout: eventTimeout) { lines.withLock { $0.contains { $0.contains("CONNACK") } } })

        client.onLog = nil
        let before = lines.withLock { $0.count }
        _ = try client.publish(topic: "quiet", payload: [1], qos: .atLeastOnce)
        // The publish's line would be logged as it is sent and its PUBACK's before the completion is reported.
        #expect(waitUntilBlocking(timeout: eventTimeout) { completed.withLock { $0 } == 1 })
        #expect(lines.withLock { $0.count } == before)
        try client.disconnect()
        try client.stopLoop()
    }

    @Test("a thread polling the socket itself: loopRead takes a burst of QoS 1 messages and acknowledges each, a lost broker throws")
    func externalLoopReadsAndAcknowledges() throws {
        let broker = try MosquittoBroker(options: .init(extraConfig: ["log_type all"]))
        let client = try MQTTClient(clientID: "external-loop", cleanStart: true)
        let received = Mutex<[String]>([])
        let disconnects = Mutex<[Int]>([])
        let subacks = Mutex<[Int]>([])
        client.onSubscribe = { mid, _ in subacks.withLock { $0.append(mid) } }
        client.onMessage = { message in received.withLock { $0.append(String(decoding: message.payload, as: UTF8.self)) } }
        client.onDisconnect = { code in disconnects.withLock { $0.append(code) } }
        try client.connect(host: broker.host, port: broker.port)
        let socket = try #require(client.socketDescriptor)
        /// One round as a caller's own loop does it: poll the socket, read what is there, write what is queued.
        func round() throws {
            var item = pollfd(fd: socket, events: Int16(POLLIN) | (client.hasPendingWrites ? Int16(POLLOUT) : 0), revents: 0)
            if poll(&item, 1, 20) > 0, item.revents & Int16(POLLIN) != 0 {
                repeat { try client.loopRead() } while client.hasBytesWaiting
            }
            if client.hasPendingWrites { try client.loopWrite() }
            try client.loopMisc()
        }
        /// Runs rounds until `condition` holds, for at most 30 s (a loaded machine runs many tests at once).
        func roundsUntil(_ condition: () -> Bool) throws -> Bool {
            let deadline = Deadline(timeout: .seconds(30))
            while !condition() {
                if deadline.hasPassed { return false }
                try round()
            }
            return true
        }
        #expect(try roundsUntil { client.isConnected })
        #expect(!client.isLoopRunning, "no libmosquitto thread")
        let mid = try client.subscribe(filter: "burst/#", qos: .atLeastOnce)
        #expect(mid > 0)

        let (publisher, sent) = try connectedClient(broker, id: "burst-pub")
        #expect(try roundsUntil { subacks.withLock { $0.contains(mid) } })
        #expect(subacks.withLock { $0 } == [mid])
        for index in 0..<200 {
            _ = try publisher.publish(topic: "burst/\(index)", payload: Array("m\(index)".utf8), qos: .atLeastOnce)
        }
        #expect(waitUntilBlocking(timeout: .seconds(30)) { sent.completed.count == 200 })
        #expect(try roundsUntil { received.withLock { $0.count } >= 200 })
        #expect(received.withLock { $0 } == (0..<200).map { "m\($0)" }, "every message, in order, once")
        // Each was acknowledged as its callback returned: the broker holds nothing for the client.
        #expect(try roundsUntil { broker.logText.contains("Received PUBACK from external-loop (Mid: 200") })

        broker.kill()
        let deadline = Deadline(timeout: .seconds(30))
        var lost = false
        while !lost, !deadline.hasPassed {
            do { try round() } catch { lost = true }
        }
        #expect(lost, "a call that finds the connection gone throws")
        #expect(disconnects.withLock { $0 }.count == 1, "and the disconnect handler heard it once")
        #expect(client.socketDescriptor == nil)
    }

    /// Payload sizes that put a PUBLISH's remaining length on each side of the one-, two- and three-byte encodings.
    static let burstSizes = [0, 1, 100, 117, 130, 2_000, 16_360, 16_400]

    @Test("loopReadArrived reads a burst already in the socket in one call, one read per message, at MQTT 3.1.1 and 5",
          arguments: [MQTTProtocolVersion.v311, .v5])
    func loopReadArrivedTakesABurstInOneCall(version: MQTTProtocolVersion) throws {
        let broker = try MosquittoBroker()
        let client = try MQTTClient(clientID: "arrived-\(version)", cleanStart: true, protocolVersion: version)
        let received = Mutex<[[UInt8]]>([])
        let subscribed = Mutex(false)
        client.onMessage = { message in received.withLock { $0.append(message.payload) } }
        client.onSubscribe = { _, _ in subscribed.withLock { $0 = true } }
        let loop = try ArrivedReadingLoop(client, broker: broker, maxPackets: 1_000)
        #expect(try loop.roundsUntil { client.isConnected })
        _ = try client.subscribe(filter: "arrived/#", qos: .atMostOnce)
        #expect(try loop.roundsUntil { subscribed.withLock { $0 } })

        // QoS 0 messages without properties: the bytes they take are exactly what loopReadArrived counts down.
        let (publisher, sent) = try connectedClient(broker, id: "arrived-pub-\(version)")
        // 48 messages, about 40 KB: the socket's receive buffer holds the whole burst.
        let payloads = (0..<48).map { index in
            [UInt8](repeating: UInt8(index), count: index < Self.burstSizes.count ? Self.burstSizes[index] : 100 + index)
        }
        let topic = "arrived/t"
        let wireBytes = payloads.reduce(0) { total, payload in
            let remaining = 2 + topic.utf8.count + (version == .v5 ? 1 : 0) + payload.count
            return total + 1 + (remaining < 128 ? 1 : remaining < 16_384 ? 2 : 3) + remaining
        }
        for payload in payloads { _ = try publisher.publish(topic: topic, payload: payload, qos: .atMostOnce) }
        #expect(waitUntilBlocking(timeout: .seconds(30)) { sent.completed.count == payloads.count })
        #expect(waitUntilBlocking(timeout: .seconds(30)) { client.bytesWaiting >= wireBytes })
        #expect(client.bytesWaiting == wireBytes)

        var reads = 0
        let taken = try client.loopReadArrived(maxPackets: 1_000, while: {
            reads += 1
            return true
        })
        #expect(taken == payloads.count, "one read per message, none after the last")
        #expect(received.withLock { $0.map(\.count) } == payloads.map(\.count))
        #expect(received.withLock { $0 == payloads }, "every message, in order, once")
        #expect(client.bytesWaiting == 0)
        #expect(reads == payloads.count - 1, "asked before each read after the first")

        // maxPackets and keepReading end a burst early; what is left is read by the next calls.
        for payload in payloads.prefix(10) { _ = try publisher.publish(topic: topic, payload: payload, qos: .atMostOnce) }
        let tenBytes = payloads.prefix(10).reduce(0) { total, payload in
            let remaining = 2 + topic.utf8.count + (version == .v5 ? 1 : 0) + payload.count
            return total + 1 + (remaining < 128 ? 1 : remaining < 16_384 ? 2 : 3) + remaining
        }
        #expect(waitUntilBlocking(timeout: .seconds(30)) { client.bytesWaiting >= tenBytes })
        #expect(try client.loopReadArrived(maxPackets: 3, while: { true }) == 3)
        #expect(try client.loopReadArrived(maxPackets: 1_000, while: { false }) == 1)
        #expect(try client.loopReadArrived(maxPackets: 1_000, while: { true }) == 6)
        #expect(received.withLock { $0.count } == payloads.count + 10)
        #expect(received.withLock { Array($0.suffix(10)) == Array(payloads.prefix(10)) })
        try client.disconnect()
    }

    @Test("loopReadArrived carries QoS 1 and 2 bursts whole, with properties it does not count, acknowledging each",
          arguments: [MQTTQoS.atLeastOnce, .exactlyOnce])
    func loopReadArrivedCarriesAcknowledgedBursts(qos: MQTTQoS) throws {
        let broker = try MosquittoBroker()
        let client = try MQTTClient(clientID: "arrived-\(qos)", cleanStart: true)
        // As the MQTT worker does: with libmosquitto's default of 20, Mosquitto 2.0 goes over it with QoS 2 bursts
        // (see MQTTWorker.makeClient) and the read fails with a protocol error.
        try client.setReceiveMaximum(65_535)
        let received = Mutex<[String]>([])
        let subscribed = Mutex(false)
        client.onMessage = { message in received.withLock { $0.append(String(decoding: message.payload, as: UTF8.self)) } }
        client.onSubscribe = { _, _ in subscribed.withLock { $0 = true } }
        let loop = try ArrivedReadingLoop(client, broker: broker, maxPackets: 256)
        #expect(try loop.roundsUntil { client.isConnected })
        _ = try client.subscribe(filter: "acked/#", qos: qos)
        #expect(try loop.roundsUntil { subscribed.withLock { $0 } })
        let (publisher, sent) = try connectedClient(broker, id: "acked-pub-\(qos)")
        for index in 0..<500 {
            let properties = MQTTPublishProperties(
                userProperties: [MQTTUserProperty("index", "\(index)"), MQTTUserProperty("pad", String(repeating: "p", count: index % 300))])
            _ = try publisher.publish(topic: "acked/\(index % 7)", payload: Array("m\(index)".utf8), qos: qos, properties: properties)
        }
        #expect(waitUntilBlocking(timeout: .seconds(30)) { sent.completed.count == 500 })
        #expect(try loop.roundsUntil { received.withLock { $0.count } >= 500 })
        #expect(received.withLock { $0 } == (0..<500).map { "m\($0)" }, "every message, in order, once")
        #expect(loop.reads < 500, "bursts were read after one poll")
        try client.disconnect()
    }

    @Test("a QoS 1 message's PUBACK is written before onMessage runs, unless useExternalLoop holds it for loopWrite")
    func externalLoopHoldsThePubackForLoopWrite() throws {
        let broker = try MosquittoBroker(options: .init(extraConfig: ["log_type all"]))
        let (publisher, _) = try connectedClient(broker, id: "ack-pub")
        for external in [false, true] {
            let id = external ? "ack-held" : "ack-at-once"
            let client = try MQTTClient(clientID: id, cleanStart: true)
            if external { try client.useExternalLoop() }
            // What libmosquitto still has to write while the message is handled: the PUBACK, when it was held.
            let pendingInHandler = Mutex<[Bool]>([])
            client.onMessage = { [weak client] _ in pendingInHandler.withLock { $0.append(client?.hasPendingWrites ?? false) } }
            let subscribed = Mutex(false)
            client.onSubscribe = { _, _ in subscribed.withLock { $0 = true } }
            try client.connect(host: broker.host, port: broker.port)
            let socket = try #require(client.socketDescriptor)
            /// Polls the socket and reads what is there; writes what is queued only when `write` says so.
            func round(write: Bool) throws {
                var item = pollfd(fd: socket, events: Int16(POLLIN) | (write && client.hasPendingWrites ? Int16(POLLOUT) : 0), revents: 0)
                if poll(&item, 1, 20) > 0, item.revents & Int16(POLLIN) != 0 {
                    repeat { try client.loopRead() } while client.hasBytesWaiting
                }
                if write && client.hasPendingWrites { try client.loopWrite() }
            }
            func roundsUntil(write: Bool, _ condition: () -> Bool) throws -> Bool {
                let deadline = Deadline(timeout: .seconds(30))
                while !condition() {
                    if deadline.hasPassed { return false }
                    try round(write: write)
                }
                return true
            }
            #expect(try roundsUntil(write: true) { client.isConnected })
            _ = try client.subscribe(filter: "held/\(id)", qos: .atLeastOnce)
            #expect(try roundsUntil(write: true) { subscribed.withLock { $0 } })
            #expect(!client.hasPendingWrites)

            _ = try publisher.publish(topic: "held/\(id)", payload: [1], qos: .atLeastOnce)
            #expect(try roundsUntil(write: false) { !pendingInHandler.withLock { $0 }.isEmpty })
            #expect(pendingInHandler.withLock { $0 } == [external], "the PUBACK waits for loopWrite only with useExternalLoop")
            #expect(client.hasPendingWrites == external)
            // Written now, when it was held; either way the broker hears it.
            #expect(try roundsUntil(write: true) { broker.logText.contains("Received PUBACK from \(id) (Mid: 1") })
            #expect(!client.hasPendingWrites)
            try client.disconnect()
            _ = try? roundsUntil(write: true) { !client.hasPendingWrites }
        }
    }

    @Test("with logsWhileConnected off, onLog hears each connection attempt but not a connected client's packets")
    func logHandlerQuietWhileConnected() throws {
        let broker = try MosquittoBroker()
        let client = try MQTTClient(clientID: "quiet-connected", cleanStart: true)
        try client.setReconnectDelay(min: 1, max: 1, exponential: false)
        let lines = Mutex<[String]>([])
        let completed = Mutex(0)
        let disconnects = Mutex(0)
        client.onLog = { _, text in lines.withLock { $0.append(text) } }
        client.onPublishCompleted = { _, _ in completed.withLock { $0 += 1 } }
        client.onDisconnect = { _ in disconnects.withLock { $0 += 1 } }
        client.logsWhileConnected = false
        try client.connectAndWait(host: broker.host, port: broker.port, timeout: eventTimeout)
        #expect(lines.withLock { $0.contains { $0.contains("sending CONNECT") } }, "the attempt is heard")
        #expect(lines.withLock { $0.contains { $0.contains("received CONNACK") } })

        // Connected: each publish would log a line on this thread and its PUBACK one on the loop thread, before
        // the completion is reported; none come.
        func publishQuietly(_ count: Int) {
            let before = lines.withLock { $0 }
            let done = completed.withLock { $0 }
            for index in 0..<count { _ = try? client.publish(topic: "quiet/\(index)", payload: [1], qos: .atLeastOnce) }
            #expect(waitUntilBlocking(timeout: eventTimeout) { completed.withLock { $0 } == done + count })
            #expect(lines.withLock { $0 } == before, "no lines while connected")
        }
        publishQuietly(20)

        // The connection drops and comes back: the reconnection is heard, then the client is quiet again.
        broker.kill()
        #expect(waitUntilBlocking(timeout: eventTimeout) { disconnects.withLock { $0 } == 1 })
        let beforeReconnect = lines.withLock { $0.count }
        try broker.start()
        #expect(waitUntilBlocking(timeout: .seconds(20)) {
            client.isConnected && lines.withLock { $0.dropFirst(beforeReconnect).contains { $0.contains("received CONNACK") } }
        })
        publishQuietly(20)
        try client.disconnect()
        try client.stopLoop()
    }
}

/// The worker's way of driving a client (after ``MQTTClient/useExternalLoop()``, which this calls before it
/// connects): poll the socket, read what arrived with ``MQTTClient/loopReadArrived(maxPackets:while:)``, write
/// what is queued.
final class ArrivedReadingLoop {
    let client: MQTTClient
    let socket: Int32
    let maxPackets: Int
    /// Polls that found the socket readable.
    private(set) var reads = 0

    init(_ client: MQTTClient, broker: MosquittoBroker, maxPackets: Int) throws {
        try client.useExternalLoop()
        try client.connect(host: broker.host, port: broker.port)
        self.client = client
        self.socket = try #require(client.socketDescriptor)
        self.maxPackets = maxPackets
    }

    func round() throws {
        var item = pollfd(fd: socket, events: Int16(POLLIN) | (client.hasPendingWrites ? Int16(POLLOUT) : 0), revents: 0)
        if poll(&item, 1, 20) > 0, item.revents & Int16(POLLIN) != 0 {
            reads += 1
            _ = try client.loopReadArrived(maxPackets: maxPackets, while: { true })
        }
        if client.hasPendingWrites { try client.loopWrite() }
    }

    /// Runs rounds until `condition` holds, for at most 30 s.
    func roundsUntil(_ condition: () -> Bool) throws -> Bool {
        let deadline = Deadline(timeout: .seconds(30))
        while !condition() {
            if deadline.hasPassed { return false }
            try round()
        }
        return true
    }
}
