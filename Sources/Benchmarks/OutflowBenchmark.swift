import Foundation
import LoadGenerator
import Mosquitto

/// End to end on loopback, MQTT → queue: publisher → Mosquitto → bridge (worker, journal, hub) → queue
/// consumer, against publisher → Mosquitto → plain MQTT subscriber with the same publisher.
struct OutflowBenchmark {
    let quick: Bool
    let rig: LoopbackRig
    let baselines: RawBaselines

    /// Publisher connections for the full-rate runs.
    static let connections = 2
    /// The consumer's window (messages unacknowledged).
    static let consumerWindow = 1_000
    /// The rate of the latency runs (`--latency-rate`); the latency targets are judged at 10,000 msg/s only.
    var pacedRate = 10_000.0

    func run() throws -> BenchmarkResult {
        var result = BenchmarkResult(name: "outflow", title: "End to end, MQTT → queue (100-byte payloads, loopback)")
        let count = quick ? 30_000 : 200_000
        for qos in [MQTTQoS.atMostOnce, .atLeastOnce] {
            let raw = try baselines.fullRate(qos: qos, count: count)
            let bridge = try bridgeRun(qos: qos, count: count, rate: nil)
            let label = "QoS \(qos.rawValue)"
            result.add("qos\(qos.rawValue).raw.rate", "raw broker (publisher → Mosquitto → subscriber), \(label)", raw.rate, "msg/s")
            result.add("qos\(qos.rawValue).bridge.rate", "through the bridge (publisher → Mosquitto → bridge → consumer), \(label)", bridge.rate, "msg/s")
            result.add("qos\(qos.rawValue).ratio", "bridge / raw broker, \(label)", bridge.rate / raw.rate, "ratio")
            result.add("qos\(qos.rawValue).raw.p50", "raw latency p50 at full rate, \(label)", raw.p50Micros / 1_000, "ms")
            result.add("qos\(qos.rawValue).raw.p99", "raw latency p99 at full rate, \(label)", raw.p99Micros / 1_000, "ms")
            result.add("qos\(qos.rawValue).bridge.p50", "bridge latency p50 at full rate, \(label)", bridge.p50Micros / 1_000, "ms")
            result.add("qos\(qos.rawValue).bridge.p99", "bridge latency p99 at full rate, \(label)", bridge.p99Micros / 1_000, "ms")
            result.add("qos\(qos.rawValue).raw.cpu", "raw: CPU per message, all threads and the broker, \(label)", raw.cpuMicrosPerMessage, "µs")
            result.add("qos\(qos.rawValue).bridge.cpu", "bridge: CPU per message, all threads and the broker, \(label)", bridge.cpuMicrosPerMessage, "µs")
            addBridgeCPU(bridge, qos: qos, to: &result)
            result.notes.append("\(label) raw: \(raw.cpuBreakdown)")
            result.notes.append("\(label) bridge: \(bridge.cpuBreakdown)")
            for (name, summary) in [("raw", raw), ("bridge", bridge)] where summary.lost != 0 {
                result.notes.append("\(label) \(name): \(summary.lost) of \(summary.sent) messages did not arrive")
            }
        }
        result.notes.append("\(Self.connections) publisher connections (mqbridge loadgen's engine); consumer window \(Self.consumerWindow); the bridge journals every message to disk before the broker's acknowledgement, as `mqbridge run` does")
        return result
    }

    /// Latency at a fixed 10,000 msg/s through the bridge and through the raw broker, in alternating rounds
    /// (the median of the rounds' p99s is reported, so one noisy second does not decide the figure).
    func runLatency() throws -> BenchmarkResult {
        let digits = String(Int(pacedRate))
        let grouped = digits.enumerated().map { ($0.offset > 0 && (digits.count - $0.offset) % 3 == 0 ? "," : "") + String($0.element) }.joined()
        let rateText = "\(grouped) msg/s"
        // At another rate the figures go under another name, so the targets (set at 10,000 msg/s) leave them alone.
        var result = BenchmarkResult(
            name: pacedRate == 10_000 ? "latency" : "latency-\(Int(pacedRate))",
            title: "End to end latency at \(rateText), MQTT → queue (100-byte payloads)")
        let rounds = quick ? 1 : 3
        let perRound = max(2_000, Int(pacedRate) * 2)
        for qos in [MQTTQoS.atMostOnce, .atLeastOnce] {
            var raws: [DeliverySummary] = []
            var bridges: [DeliverySummary] = []
            for _ in 0..<rounds {
                raws.append(try baselines.paced(qos: qos, count: perRound, rate: pacedRate))
                bridges.append(try bridgeRun(qos: qos, count: perRound, rate: pacedRate))
            }
            func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
            let rawP99 = median(raws.map(\.p99Micros)) / 1_000
            let bridgeP99 = median(bridges.map(\.p99Micros)) / 1_000
            let label = "QoS \(qos.rawValue) at \(rateText)"
            result.add("qos\(qos.rawValue).raw.p50", "raw latency p50, \(label)", median(raws.map(\.p50Micros)) / 1_000, "ms")
            result.add("qos\(qos.rawValue).raw.p99", "raw latency p99, \(label)", rawP99, "ms")
            result.add("qos\(qos.rawValue).bridge.p50", "bridge latency p50, \(label)", median(bridges.map(\.p50Micros)) / 1_000, "ms")
            result.add("qos\(qos.rawValue).bridge.p99", "bridge latency p99, \(label)", bridgeP99, "ms")
            result.add("qos\(qos.rawValue).addedP50", "added p50 latency (bridge − raw), \(label)",
                       (median(bridges.map(\.p50Micros)) - median(raws.map(\.p50Micros))) / 1_000, "ms")
            result.add("qos\(qos.rawValue).addedP99", "added p99 latency (bridge − raw), \(label)", bridgeP99 - rawP99, "ms")
            result.notes.append("\(label): p99 per round, raw \(raws.map { TableRenderer.format($0.p99Micros / 1_000, digits: 2) }.joined(separator: " ")) ms, bridge \(bridges.map { TableRenderer.format($0.p99Micros / 1_000, digits: 2) }.joined(separator: " ")) ms")
            result.notes.append("\(label) bridge: \(bridges[0].cpuBreakdown)")
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let busy = bridges[0].cpuMicrosPerMessage * 1e-6 * pacedRate * 100 / Double(cores)
            result.notes.append("\(label): publisher, broker, bridge and consumer together kept \(TableRenderer.format(busy, digits: 0)) % of the machine's \(cores) cores busy in the bridge's first round")
            let beside = bridges.compactMap(\.besideP99Micros)
            if !beside.isEmpty {
                result.add("qos\(qos.rawValue).besideBridge.p99", "a plain subscriber beside the bridge, p99, \(label)", median(beside) / 1_000, "ms")
                result.notes.append("\(label): a plain subscriber on the same broker during the bridge's rounds, p50 \(bridges.compactMap(\.besideP50Micros).map { TableRenderer.format($0 / 1_000, digits: 2) }.joined(separator: " ")) ms, p99 \(beside.map { TableRenderer.format($0 / 1_000, digits: 2) }.joined(separator: " ")) ms: what the broker's delivery itself takes under the bridge's load")
            }
        }
        result.notes.append("\(rounds) alternating round\(rounds == 1 ? "" : "s") of \(perRound) messages each; a paced publisher (\(Self.connections) connections, absolute deadlines); latency from the stamp taken just before each publish to the receiver's clock")
        return result
    }

    func bridgeRun(qos: MQTTQoS, count: Int, rate: Double?) throws -> DeliverySummary {
        let warmUp = min(5_000, count / 5)
        let consumer = try QueueStampConsumer(
            context: rig.peerContext, endpoint: rig.publishEndpoint, topic: LoopbackRig.outflowTopic, window: Self.consumerWindow,
            capacity: max(count, warmUp))
        defer { consumer.close() }
        try rig.waitUntilFlowing(topic: "bench/probe", receiver: consumer)
        _ = try rig.deliver(topic: "bench/warm", qos: qos, count: warmUp, connections: Self.connections, rate: rate, to: consumer)
        // Paced runs: a plain subscriber beside the bridge takes the same messages from the broker.
        let beside = try rate.map { _ in
            try MQTTStampSubscriber(broker: rig.broker, filter: "bench/t", capacity: count, name: "bench-beside-\(UUID().uuidString.prefix(6))")
        }
        defer { beside?.close() }
        consumer.recorder.reset()
        var (summary, _) = try rig.deliver(
            topic: "bench/t", qos: qos, count: count, connections: Self.connections, rate: rate, to: consumer)
        if let beside, beside.recorder.wait(for: count, idle: .seconds(1), limit: .seconds(10)) {
            let plain = beside.recorder.summary(sent: count)
            summary.besideP50Micros = plain.p50Micros
            summary.besideP99Micros = plain.p99Micros
        }
        return summary
    }
}

/// The raw broker's figures (publisher → Mosquitto → plain subscriber), measured once per setting and shared
/// by the outflow and inflow benchmarks.
final class RawBaselines {
    let rig: any DeliveryRig
    private var cache: [String: DeliverySummary] = [:]

    init(rig: any DeliveryRig) { self.rig = rig }

    func fullRate(qos: MQTTQoS, count: Int) throws -> DeliverySummary {
        try measure(qos: qos, count: count, rate: nil)
    }

    /// Measured every time (latency rounds alternate with the bridge's).
    func paced(qos: MQTTQoS, count: Int, rate: Double) throws -> DeliverySummary {
        try measure(qos: qos, count: count, rate: rate, cached: false)
    }

    private func measure(qos: MQTTQoS, count: Int, rate: Double?, cached: Bool = true) throws -> DeliverySummary {
        let key = "\(qos.rawValue)/\(count)/\(rate ?? 0)"
        if cached, let known = cache[key] { return known }
        let warmUp = min(5_000, count / 5)
        let subscriber = try MQTTStampSubscriber(
            broker: rig.broker, filter: "raw/#", capacity: max(count, warmUp), name: "bench-raw-\(UUID().uuidString.prefix(6))")
        defer { subscriber.close() }
        try rig.waitUntilFlowing(topic: "raw/probe", receiver: subscriber)
        _ = try rig.deliver(topic: "raw/warm", qos: qos, count: warmUp, connections: OutflowBenchmark.connections, rate: rate, to: subscriber)
        subscriber.recorder.reset()
        let (summary, _) = try rig.deliver(
            topic: "raw/t", qos: qos, count: count, connections: OutflowBenchmark.connections, rate: rate, to: subscriber)
        cache[key] = summary
        return summary
    }
}
