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
}
