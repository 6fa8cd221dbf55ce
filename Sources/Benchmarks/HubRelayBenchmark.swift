import BridgeCore
import BridgeHub
import BridgeRuntime
import Foundation
import LoadGenerator
import LoopbackHarness
import Logging
import WireProtocol
import ZeroMQ

/// The ZeroMQ hop alone: a stand-in MQTT worker → hub → queue consumer over loopback tcp, with a rule
/// that only renames the topic, against raw libzmq (DEALER → ROUTER, the same two payload frames).
struct HubRelayBenchmark {
    let quick: Bool
    let logger: Logger

    static let workerWindow = 1_000
    static let consumerWindow = 1_000

    func run() throws -> BenchmarkResult {
        var result = BenchmarkResult(name: "zmq", title: "ZeroMQ hop: hub relay against raw libzmq (loopback tcp)")
        let count = quick ? 50_000 : 300_000
        let single = try relayRun(count: count, batched: false)
        let hub = try relayRun(count: count, batched: true)
        let raw = try rawRun(count: count, metadataBytes: Self.typicalMetadataBytes)
        result.add("single.rate", "worker → hub → consumer, one DATA per ZeroMQ message (peers without batchBytes)", single.rate, "msg/s")
        result.add("single.cpu", "CPU per relayed message, one DATA per ZeroMQ message", single.cpuMicrosPerMessage, "µs")
        result.notes.append("relay, one DATA per ZeroMQ message: \(single.cpuBreakdown)")
        result.add("hub.rate", "worker → hub → consumer in BATCHes (translate, route, ack back to the worker)", hub.rate, "msg/s")
        result.add("hub.cpu", "CPU per relayed message, hub + stand-in worker + consumer", hub.cpuMicrosPerMessage, "µs")
        result.notes.append("relay in BATCHes: \(hub.cpuBreakdown)")
        result.add("hub.p50", "hub relay latency p50 at full rate", hub.p50Micros / 1_000, "ms")
        result.add("hub.p99", "hub relay latency p99 at full rate", hub.p99Micros / 1_000, "ms")
        result.add("raw.rate", "raw libzmq DEALER → ROUTER, \(Self.typicalMetadataBytes) + 100 byte frames", raw, "msg/s")
        result.add("ratio", "hub relay / raw libzmq", hub.rate / raw, "ratio")
        result.add("single.ratio", "hub relay, one DATA per ZeroMQ message / raw libzmq", single.rate / raw, "ratio")
        result.notes.append("each relayed message has its JSON metadata decoded and encoded once at the hub and its share of the batched ACKs from the consumer and to the worker; one DATA per ZeroMQ message costs 2 socket operations at the hub per message (DATA in, DATA out), BATCHes (docs/wire-protocol.md, what the bridge's own workers and consumers use) share them among the messages one pass of the hub handles; the raw figure is one send and one receive")
        return result
    }

    /// The size of a delivered DATA's metadata, as the raw run's first frame.
    static var typicalMetadataBytes: Int {
        let message = QueueMessage(
            topic: "RELAY", properties: ["topic": "bench/t", "qoslevel": "1", "mqttSecondTopic": "/t"],
            msgId: String(repeating: "a", count: 32), bornTimestamp: 1_795_297_490_123)
        return WireCodec.encode(.queueData(seq: 123_456, message))[2].count
    }

    /// `batched`: the stand-in worker and the consumer say `batchBytes` in HELLO, as the bridge's own do.
    func relayRun(count: Int, batched: Bool) throws -> DeliverySummary {
        // Hub, worker and consumer each with a context (an I/O thread) of their own, as separate processes.
        let context = try ZMQContext()
        let consumerContext = try ZMQContext()
        let workerContext = try ZMQContext()
        let workers = "tcp://127.0.0.1:\(try FreePort.allocate())"
        let consumers = "tcp://127.0.0.1:\(try FreePort.allocate())"
        let mappings = MappingTable(outflow: [OutflowRule(id: "relay", filter: try TopicFilter("bench/#"), queueTopic: "RELAY")])
        let hub = try HubService(
            context: context, endpoints: HubService.Endpoints(workers: [workers], consumers: consumers, producers: nil),
            mappings: mappings, settings: HubSettings(), logger: logger)
        try hub.start()
        defer { hub.stop() }
        let warmUp = min(10_000, count / 5)
        let consumer = try QueueStampConsumer(
            context: consumerContext, endpoint: consumers, topic: "RELAY", window: Self.consumerWindow, capacity: max(count, warmUp),
            readsBatches: batched)
        defer { consumer.close() }
        let worker = try WirePeer(
            context: workerContext, endpoint: workers, hello: Hello(
                role: .mqttWorker, name: "bench-worker", window: Self.workerWindow, batchAck: true,
                batchBytes: batched ? BatchWriter.defaultBatchBytes : nil),
            form: .mqtt)
        defer { worker.close() }
        var nextSeq: UInt64 = 0
        func send(_ count: Int) throws {
            let outcome = try PipelinedSender.run(peer: worker, index: 0, count: count, window: Self.workerWindow) { _, body in
                nextSeq += 1
                return .mqttData(seq: nextSeq, MQTTMessage(topic: "bench/t", payload: body, qos: .atLeastOnce), clientId: nil)
            }
            if outcome.refused > 0 { throw BenchError("the hub refused \(outcome.refused) messages: \(outcome.firstRefusal ?? "")") }
        }
        try send(warmUp)
        _ = consumer.recorder.wait(for: warmUp)
        consumer.recorder.reset()
        let before = ThreadCPU.snapshot()
        try send(count)
        _ = consumer.recorder.wait(for: count)
        var summary = consumer.recorder.summary(sent: count)
        summary.cpu = ThreadCPU.snapshot().since(before)
        return summary
    }

    /// One DEALER sends `count` two-frame messages to a ROUTER as fast as it can (blocking at the default
    /// high-water marks); the rate is taken from the first send to the last receipt.
    func rawRun(count: Int, metadataBytes: Int) throws -> Double {
        let context = try ZMQContext()
        let senderContext = try ZMQContext()
        let endpoint = "tcp://127.0.0.1:\(try FreePort.allocate())"
        let router = try ZMQSocket(context: context, type: .router)
        try router.bind(endpoint)
        defer { router.close() }
        let ready = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        Thread {
            defer { done.signal() }
            guard let dealer = try? ZMQSocket(context: senderContext, type: .dealer), (try? dealer.connect(endpoint)) != nil else { return }
            defer { dealer.close() }
            let metadata = [UInt8](repeating: UInt8(ascii: "m"), count: metadataBytes)
            let body = LoadPayload.make(size: 100)
            ready.signal()
            for _ in 0..<(count + count / 5) {
                _ = try? dealer.send([metadata, body])
            }
            // Keep the socket open until the router has everything (linger 0 would drop the rest).
            done.wait()
        }.start()
        ready.wait()
        var received = 0
        var start: UInt64 = 0
        let warmUp = count / 5
        try router.setReceiveTimeout(milliseconds: 5_000)
        while received < count + warmUp {
            guard (try? router.receiveMessage()) != nil else { break }
            received += 1
            if received == warmUp { start = MonotonicNanos.now() }
        }
        let seconds = Double(MonotonicNanos.now() - start) / 1e9
        done.signal()
        done.wait()
        return Double(received - warmUp) / seconds
    }
}
