import BridgeCore
import BridgeRuntime
import Foundation
import LoopbackHarness
import Mosquitto
import Synchronization
import WireProtocol

/// End to end on loopback, queue → MQTT: pipelined producers → bridge (hub, worker) → Mosquitto → MQTT
/// subscriber, against the same raw broker baseline as outflow. `QueueProducerClient` sends one message
/// at a time, so the producers here speak the wire protocol themselves and keep a window in flight.
struct InflowBenchmark {
    let quick: Bool
    let rig: LoopbackRig
    let baselines: RawBaselines

    static let producers = 2
    static let producerWindow = 500

    func run() throws -> BenchmarkResult {
        var result = BenchmarkResult(name: "inflow", title: "End to end, queue → MQTT (100-byte bodies, loopback)")
        let count = quick ? 30_000 : 200_000
        for qos in [MQTTQoS.atMostOnce, .atLeastOnce] {
            let raw = try baselines.fullRate(qos: qos, count: count)
            let bridge = try bridgeRun(qos: qos, count: count, result: &result)
            let label = "QoS \(qos.rawValue)"
            result.add("qos\(qos.rawValue).raw.rate", "raw broker (publisher → Mosquitto → subscriber), \(label)", raw.rate, "msg/s")
            result.add("qos\(qos.rawValue).bridge.rate", "through the bridge (producers → bridge → Mosquitto → subscriber), \(label)", bridge.rate, "msg/s")
            result.add("qos\(qos.rawValue).ratio", "bridge / raw broker, \(label)", bridge.rate / raw.rate, "ratio")
            result.add("qos\(qos.rawValue).bridge.p50", "bridge latency p50 at full rate, \(label)", bridge.p50Micros / 1_000, "ms")
            result.add("qos\(qos.rawValue).bridge.p99", "bridge latency p99 at full rate, \(label)", bridge.p99Micros / 1_000, "ms")
            result.add("qos\(qos.rawValue).raw.cpu", "raw: CPU per message, all threads and the broker, \(label)", raw.cpuMicrosPerMessage, "µs")
            result.add("qos\(qos.rawValue).bridge.cpu", "bridge: CPU per message, all threads and the broker, \(label)", bridge.cpuMicrosPerMessage, "µs")
            result.notes.append("\(label) raw: \(raw.cpuBreakdown)")
            result.notes.append("\(label) bridge: \(bridge.cpuBreakdown)")
            if bridge.lost != 0 { result.notes.append("\(label): \(bridge.lost) of \(bridge.sent) messages did not arrive") }
        }
        result.notes.append("\(Self.producers) producers with \(Self.producerWindow) messages in flight each")
        return result
    }

    func bridgeRun(qos: MQTTQoS, count: Int, result: inout BenchmarkResult) throws -> DeliverySummary {
        let warmUp = min(5_000, count / 5)
        let subscriber = try MQTTStampSubscriber(
            broker: rig.broker, filter: "benchin/#", capacity: max(count, warmUp), name: "bench-in-\(UUID().uuidString.prefix(6))")
        defer { subscriber.close() }
        try waitUntilFlowing(subscriber)
        _ = try produce(count: warmUp, qos: qos)
        _ = subscriber.recorder.wait(for: warmUp)
        subscriber.recorder.reset()
        let (outcomes, cpu) = try rig.measureCPU {
            let outcomes = try produce(count: count, qos: qos)
            _ = subscriber.recorder.wait(for: count)
            return outcomes
        }
        if let refusal = outcomes.compactMap(\.firstRefusal).first {
            result.notes.append("QoS \(qos.rawValue): the bridge refused \(outcomes.reduce(0) { $0 + $1.refused }) messages, first: \(refusal)")
        }
        var summary = subscriber.recorder.summary(sent: count)
        summary.cpu = cpu
        return summary
    }

    /// Sends one probe at a time with `QueueProducerClient` until the subscriber has one.
    func waitUntilFlowing(_ subscriber: MQTTStampSubscriber) throws {
        let producer = try QueueProducerClient(context: rig.peerContext, endpoint: rig.acceptEndpoint, name: "bench-probe")
        defer { producer.close() }
        let deadline = Deadline(timeout: .seconds(30))
        while subscriber.recorder.probes == 0 {
            if deadline.hasPassed { throw BenchError("no inflow probe reached the subscriber within 30 s") }
            _ = try? producer.send(
                QueueMessage(topic: LoopbackRig.inflowTopic, properties: ["mqttSecondTopic": "/probe"], body: Array("probe".utf8)),
                timeoutMs: 2_000)
            _ = waitUntilBlocking(timeout: .milliseconds(300)) { subscriber.recorder.probes > 0 }
        }
    }

    /// Runs the producers, each on its own thread with its share of `count`.
    func produce(count: Int, qos: MQTTQoS) throws -> [PipelinedSender.Outcome] {
        let outcomes = Mutex<[Result<PipelinedSender.Outcome, any Error>]>([])
        let group = DispatchGroup()
        let context = rig.peerContext
        let endpoint = rig.acceptEndpoint
        for index in 0..<Self.producers {
            let share = count / Self.producers + (index < count % Self.producers ? 1 : 0)
            group.enter()
            Thread {
                nameCurrentThread("bench-producer")
                let outcome = Result {
                    let peer = try WirePeer(
                        context: context, endpoint: endpoint,
                        hello: Hello(role: .producer, name: "bench-producer-\(index)", window: Self.producerWindow), form: .queue)
                    defer { peer.close() }
                    return try PipelinedSender.run(peer: peer, index: index, count: share, window: Self.producerWindow) { seq, body in
                        .queueData(seq: seq, QueueMessage(
                            topic: LoopbackRig.inflowTopic, tag: "cmd", keys: ["dev-\(seq % 100)"],
                            properties: ["mqttSecondTopic": "/dev-\(seq % 100)/cmd", "qoslevel": "\(qos.rawValue)"], body: body))
                    }
                }
                outcomes.withLock { $0.append(outcome) }
                group.leave()
            }.start()
        }
        group.wait()
        return try outcomes.withLock { $0 }.map { try $0.get() }
    }
}
