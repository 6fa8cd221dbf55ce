import Foundation
import LoadGenerator
import LoopbackHarness
import Mosquitto
import Synchronization
import Testing

@Suite("The load generator against a real mosquitto")
struct LoadGeneratorTests {
    @Test("every message arrives once, stamped with its connection and number", arguments: [MQTTQoS.atMostOnce, .atLeastOnce])
    func deliversStampedMessages(qos: MQTTQoS) throws {
        let broker = try MosquittoBroker()
        let subscriber = try MQTTClient(clientID: "loadgen-sub", cleanStart: true)
        let stamps = Mutex<[String]>([])
        let subacks = Mutex(0)
        subscriber.onMessage = { message in
            guard let stamp = LoadPayload.read(message.payload), message.payload.count == 64 else { return }
            stamps.withLock { $0.append("\(message.topic) \(stamp.connection)/\(stamp.sequence)") }
        }
        subscriber.onSubscribe = { _, _ in subacks.withLock { $0 += 1 } }
        try subscriber.connectAndWait(host: broker.host, port: broker.port)
        defer {
            try? subscriber.disconnect()
            try? subscriber.stopLoop()
        }
        _ = try subscriber.subscribe(filter: "load/#", qos: .atLeastOnce)
        #expect(waitUntilBlocking(timeout: .seconds(10)) { subacks.withLock { $0 } == 1 })

        let options = LoadOptions(
            host: broker.host, port: broker.port, topic: "load/t", topicCount: 2, qos: qos, connections: 3, count: 1_000,
            size: 64)
        let report = try MQTTLoadGenerator(options: options).run(progressInterval: .milliseconds(50)) { _ in }
        #expect(report.errors.isEmpty)
        #expect(report.published == 1_000)
        #expect(report.completed == 1_000)
        #expect(report.summary.contains("1000 of 1000 messages completed"))
        #expect(waitUntilBlocking(timeout: .seconds(10)) { stamps.withLock { $0.count } >= 1_000 })

        // Connection i publishes numbers 0..<share(i) in turn over the topics, each once.
        var expected: Set<String> = []
        for connection in 0..<3 {
            for sequence in 0..<(1_000 / 3 + (connection < 1_000 % 3 ? 1 : 0)) {
                expected.insert("load/t/\((connection + sequence) % 2) \(connection)/\(sequence)")
            }
        }
        #expect(Set(stamps.withLock { $0 }) == expected)
        #expect(stamps.withLock { $0.count } == 1_000)
    }

    @Test("a paced run keeps to its rate")
    func pacedRun() throws {
        let broker = try MosquittoBroker()
        let options = LoadOptions(
            host: broker.host, port: broker.port, topic: "paced", qos: .atMostOnce, connections: 2, count: 400, rate: 2_000)
        let report = try MQTTLoadGenerator(options: options).run()
        #expect(report.completed == 400)
        // 400 messages at 2,000 per second take 0.2 s: never much less.
        #expect(report.publishSeconds >= 0.18)
    }

    @Test("options are checked before anything connects")
    func refusesBadOptions() {
        #expect(throws: LoadError.self) { try MQTTLoadGenerator(options: LoadOptions(topic: "a/+", count: 1)) }
        #expect(throws: LoadError.self) { try MQTTLoadGenerator(options: LoadOptions(topic: "a", connections: 0, count: 1)) }
        #expect(throws: LoadError.self) { try MQTTLoadGenerator(options: LoadOptions(topic: "a", count: 1, rate: 0)) }
    }

    @Test("a stamp reads back; payloads too short or unstamped read as none")
    func payloadStamp() {
        var payload = LoadPayload.make(size: 100)
        LoadPayload.stamp(&payload, time: 123_456_789, connection: 3, sequence: 42)
        let stamp = LoadPayload.read(payload)
        #expect(stamp?.time == 123_456_789)
        #expect(stamp?.connection == 3)
        #expect(stamp?.sequence == 42)
        #expect(LoadPayload.read(Array("probe".utf8)) == nil)
        #expect(LoadPayload.read([UInt8](repeating: 0, count: 100)) == nil)
    }
}
