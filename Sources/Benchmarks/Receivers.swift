import BridgeRuntime
import Foundation
import LoopbackHarness
import Mosquitto
import Synchronization
import ZeroMQ

/// Something that receives stamped messages and records them.
protocol StampReceiver: AnyObject {
    var recorder: LatencyRecorder { get }
    func close()
}

/// A plain MQTT subscriber on the broker (libmosquitto's own thread), the raw baseline's receiver and the
/// inflow benchmark's.
final class MQTTStampSubscriber: StampReceiver {
    let recorder: LatencyRecorder
    let client: MQTTClient

    init(broker: MosquittoBroker, filter: String, capacity: Int, name: String) throws {
        let recorder = LatencyRecorder(capacity: capacity)
        self.recorder = recorder
        client = try MQTTClient(clientID: name, cleanStart: true)
        try client.setTCPNoDelay(true)
        client.onMessage = { message in recorder.record(message.payload) }
        let subacks = Mutex<Set<Int>>([])
        client.onSubscribe = { mid, _ in _ = subacks.withLock { $0.insert(mid) } }
        try client.connectAndWait(host: broker.host, port: broker.port)
        // QoS 2, like the bridge's own subscriptions: each message arrives with the QoS it was published with.
        let mid = try client.subscribe(filter: filter, qos: .exactlyOnce)
        guard waitUntilBlocking(timeout: .seconds(10), condition: { subacks.withLock { $0.contains(mid) } }) else {
            throw BenchError("no SUBACK for \(filter)")
        }
    }

    func close() {
        try? client.disconnect()
        try? client.stopLoop()
    }
}

/// A queue-side consumer of the bridge (`QueueConsumerClient`) on a thread of its own.
final class QueueStampConsumer: StampReceiver, @unchecked Sendable {
    // Safe: the client lives on the consumer thread only; the flags are atomics.
    let recorder: LatencyRecorder
    private let stopping = Atomic<Bool>(false)
    private let ready = Atomic<Bool>(false)
    private let failure = Mutex<String?>(nil)
    private let finished = DispatchSemaphore(value: 0)
    private let closed = Atomic<Bool>(false)

    init(context: ZMQContext, endpoint: String, topic: String, window: Int, capacity: Int, readsBatches: Bool = true) throws {
        let recorder = LatencyRecorder(capacity: capacity)
        self.recorder = recorder
        let thread = Thread { [self] in
            nameCurrentThread("bench-consumer")
            defer { finished.signal() }
            do {
                let client = try QueueConsumerClient(
                    context: context, endpoint: endpoint, topic: topic, window: window, name: "bench-consumer",
                    readsBatches: readsBatches)
                defer { client.close() }
                try client.run(
                    count: nil, timeoutMs: nil,
                    handler: { message in recorder.record(message.body) },
                    shouldContinue: { !stopping.load(ordering: .relaxed) },
                    onReady: { ready.store(true, ordering: .relaxed) })
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
        }
        thread.name = "bench-consumer"
        thread.start()
        guard waitUntilBlocking(timeout: .seconds(10), condition: { ready.load(ordering: .relaxed) || failure.withLock { $0 != nil } }),
            failure.withLock({ $0 }) == nil
        else {
            close()
            throw BenchError("the bench consumer got no WELCOME from \(endpoint): \(failure.withLock { $0 } ?? "timeout")")
        }
    }

    func close() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        stopping.store(true, ordering: .relaxed)
        finished.wait()
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
