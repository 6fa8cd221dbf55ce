import Foundation
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
        client.onLog = { _, text in lines.withLock { $0.append(text) } }
        try client.connectAndWait(host: broker.host, port: broker.port, timeout: eventTimeout)
        #expect(waitUntilBlocking(timeout: eventTimeout) { lines.withLock { $0.contains { $0.contains("CONNACK") } } })

        client.onLog = nil
        let before = lines.withLock { $0.count }
        _ = try client.publish(topic: "quiet", payload: [1], qos: .atLeastOnce)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(lines.withLock { $0.count } == before)
        try client.disconnect()
        try client.stopLoop()
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
