import Foundation
import LoadGenerator
import Mosquitto

/// Several bridges on one broker: 1, 2 and 3 `mqbridge run` processes of one `mqtt.sharedGroup` share the
/// outflow of `bench/#` (QoS 1) and store it in one JetStream stream. For each count: the rate, the CPU per
/// message of the bridges together and of every process, how the broker shared the messages, and what was lost.
struct ScaleBenchmark {
    let quick: Bool
    let rig: ScaleRig

    var count: Int { quick ? 3_000 : 30_000 }
    var warmUp: Int { quick ? 300 : 3_000 }
    var samples: Int { quick ? 300 : 1_000 }
    static let bridgeCounts = [1, 2, 3]

    func run() throws -> BenchmarkResult {
        var result = BenchmarkResult(name: "scale", title: "Several bridges, one broker, MQTT → JetStream (QoS 1, 100-byte payloads, loopback)")
        for bridges in Self.bridgeCounts {
            let queueTopic = "BENCH_SCALE\(bridges)"
            let stream = ScaleRig.stream(queueTopic)
            try rig.startBridges(bridges, queueTopic: queueTopic)
            defer { rig.stopBridges() }
            try rig.waitUntilEveryBridgeStores(stream: stream)
            try publish(count: warmUp, topic: "bench/warm", stream: stream)

            let (before, beforeLast) = try rig.messages(in: stream)
            let storedBefore = rig.bridges.map(rig.stored(by:))
            let clock = WallClockOffset.now()
            let machine = MachineCPU.now()
            let (published, cpu) = try rig.measureCPU { try publish(count: count, topic: "bench/t", stream: stream) }
            let machineBusy = MachineCPU.now().busyPercent(since: machine)
            let (after, afterLast) = try rig.messages(in: stream)
            let run = try rig.storedRun(stream: stream, first: beforeLast + 1, last: afterLast, samples: samples, clock: clock)
            var summary = DeliverySummary(
                sent: published, received: Int(after - before), seconds: run.seconds,
                p50Micros: run.quantile(0.5), p99Micros: run.quantile(0.99), maxMicros: run.quantile(1))
            summary.cpu = cpu
            let shares = zip(rig.bridges.map(rig.stored(by:)), storedBefore).map { $0 - $1 }

            let bridgeCPU = cpu.filter { $0.key.hasPrefix("bridge ") }.values.reduce(0, +)
            let perMessage = { (seconds: Double) in summary.received > 0 ? seconds * 1e6 / Double(summary.received) : 0 }
            let key = "bridges\(bridges)"
            result.add("\(key).rate", "\(bridges) bridge(s): stored per second", summary.rate, "msg/s")
            result.add("\(key).bridgeCPU", "\(bridges) bridge(s): CPU per message of the bridges together", perMessage(bridgeCPU), "µs")
            result.add("\(key).cpu", "\(bridges) bridge(s): CPU per message, every process (bridges, Mosquitto, nats-server, publishers)",
                       summary.cpuMicrosPerMessage, "µs")
            result.add("\(key).p50", "\(bridges) bridge(s): latency p50 at full rate (publish → stored)", summary.p50Micros / 1_000, "ms")
            result.add("\(key).lost", "\(bridges) bridge(s): messages published and not stored", Double(summary.lost), "msg")
            let busy = summary.seconds > 0 ? cpu.values.reduce(0, +) / summary.seconds : 0
            result.notes.append(
                "\(bridges) bridge(s): \(summary.cpuBreakdown); messages stored by each bridge: "
                    + shares.map { String(Int($0)) }.joined(separator: " / ") + "; \(TableRenderer.format(busy, digits: 2)) of "
                    + "\(ProcessInfo.processInfo.activeProcessorCount) cores busy (the machine: \(TableRenderer.format(machineBusy.busy, digits: 0))% busy)")
        }
        result.notes.append(
            "\(count) messages per run after \(warmUp) to warm up, \(OutflowBenchmark.connections) publisher connections; each bridge is an "
                + "`mqbridge run` process with its own client ID, spool and persistent session, subscribed through $share/\(ScaleRig.sharedGroup)/; "
                + "a fresh stream per bridge count; rate: messages / (time nats-server stored the last one − the earliest publish stamp)")
        result.notes.append("\(NATSServerVersion.current); stream storage: file, 1 replica")
        return result
    }

    /// Publishes `count` stamped QoS 1 messages and waits until the stream holds them; returns how many were published.
    func publish(count: Int, topic: String, stream: String) throws -> Int {
        let start = try rig.messages(in: stream).count
        let options = LoadOptions(
            host: rig.broker.host, port: rig.broker.port, topic: topic, qos: .atLeastOnce, connections: OutflowBenchmark.connections,
            count: count, size: 100, clientIdPrefix: "bench-pub-\(UUID().uuidString.prefix(6))")
        let report = try MQTTLoadGenerator(options: options).run()
        _ = try rig.waitUntilStored(start + UInt64(report.published), in: stream)
        return report.published
    }
}
