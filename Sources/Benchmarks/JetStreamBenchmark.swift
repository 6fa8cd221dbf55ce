import BridgeRuntime
import Foundation
import LoadGenerator
import Mosquitto
import NATS
import Synchronization

/// End to end on loopback, MQTT → JetStream: publisher → Mosquitto → bridge (MQTT worker, journal, hub,
/// JetStream worker) → stored in the stream, against two baselines with the same messages: publisher →
/// Mosquitto → plain MQTT subscriber, and one thread publishing straight to a stream with `publishAsync`.
struct JetStreamBenchmark {
    let quick: Bool
    let rig: JetStreamRig

    /// Latency samples read back per run (`getMessage` of every n-th message).
    var samples: Int { quick ? 1_000 : 2_000 }
    var count: Int { quick ? 3_000 : 40_000 }
    var warmUp: Int { quick ? 500 : 5_000 }

    func run() throws -> BenchmarkResult {
        var result = BenchmarkResult(name: "jetstream", title: "End to end, MQTT → JetStream (100-byte payloads, loopback, file storage)")
        let baselines = RawBaselines(rig: rig)
        var headerBytes: Int?
        for qos in [MQTTQoS.atMostOnce, .atLeastOnce] {
            let raw = try baselines.fullRate(qos: qos, count: count)
            let direct = try rawJetStream(count: count)
            let (bridge, bridgeHeaders) = try bridgeRun(qos: qos, count: count)
            headerBytes = headerBytes ?? bridgeHeaders
            let q = "qos\(qos.rawValue)"
            let label = "QoS \(qos.rawValue)"
            result.add("\(q).raw.rate", "raw broker (publisher → Mosquitto → subscriber), \(label)", raw.rate, "msg/s")
            result.add("\(q).js.rate", "raw JetStream (one thread, publishAsync → stored)", direct.rate, "msg/s")
            result.add("\(q).bridge.rate", "through the bridge (publisher → Mosquitto → bridge → stored), \(label)", bridge.rate, "msg/s")
            result.add("\(q).brokerRatio", "bridge / raw broker, \(label)", bridge.rate / raw.rate, "ratio")
            result.add("\(q).jsRatio", "bridge / raw JetStream, \(label)", bridge.rate / direct.rate, "ratio")
            result.add("\(q).raw.p50", "raw broker latency p50 at full rate (publish → received), \(label)", raw.p50Micros / 1_000, "ms")
            result.add("\(q).raw.p99", "raw broker latency p99 at full rate (publish → received), \(label)", raw.p99Micros / 1_000, "ms")
            result.add("\(q).js.p50", "raw JetStream latency p50 at full rate (publish → stored)", direct.p50Micros / 1_000, "ms")
            result.add("\(q).js.p99", "raw JetStream latency p99 at full rate (publish → stored)", direct.p99Micros / 1_000, "ms")
            result.add("\(q).bridge.p50", "bridge latency p50 at full rate (publish → stored), \(label)", bridge.p50Micros / 1_000, "ms")
            result.add("\(q).bridge.p99", "bridge latency p99 at full rate (publish → stored), \(label)", bridge.p99Micros / 1_000, "ms")
            result.add("\(q).raw.cpu", "raw broker: CPU per message, all threads and the broker, \(label)", raw.cpuMicrosPerMessage, "µs")
            result.add("\(q).js.cpu", "raw JetStream: CPU per message, all threads and nats-server", direct.cpuMicrosPerMessage, "µs")
            result.add("\(q).bridge.cpu", "bridge: CPU per message, all threads, Mosquitto and nats-server, \(label)", bridge.cpuMicrosPerMessage, "µs")
            result.notes.append("\(label) raw broker: \(raw.cpuBreakdown)")
            result.notes.append("\(label) raw JetStream: \(direct.cpuBreakdown)")
            result.notes.append("\(label) bridge: \(bridge.cpuBreakdown)")
            result.notes.append("\(label): \(bounds(bridge: bridge, direct: direct))")
            for (name, summary) in [("raw broker", raw), ("raw JetStream", direct), ("bridge", bridge)] where summary.lost != 0 {
                result.notes.append("\(label) \(name): \(summary.lost) of \(summary.sent) messages were not stored/received")
            }
        }
        result.notes.append(
            "\(count) messages per run after \(warmUp) to warm up; \(OutflowBenchmark.connections) MQTT publisher connections "
                + "(mqbridge loadgen's engine); the bridge journals every message before the broker's acknowledgement and acknowledges "
                + "to the hub after the PubAck, maxPending \(rig.settings.maxPending); raw JetStream: one thread, publishAsync with a "
                + "Nats-Msg-Id per message and maxPending \(rig.settings.maxPending), into a stream set up like the bridge's")
        result.notes.append(
            "rates: messages / (time nats-server stored the last one − the earliest publish stamp); latency: 1 message in "
                + "\(max(1, count / samples)) read back with getMessage, from the stamp taken just before its publish "
                + "(monotonic clock, carried in the payload) to the time nats-server gave it when storing it (wall clock, same machine)")
        result.notes.append("\(NATSServerVersion.current), nats.c \(NATSLibrary.version); stream storage: file, 1 replica")
        if let headerBytes {
            result.notes.append("a bridge message carries \(headerBytes) header bytes (Nats-Msg-Id, the MQTT properties, Mq-Born-Timestamp) "
                + "besides its 100-byte body; a raw JetStream message carries only its Nats-Msg-Id")
        }
        return result
    }

    /// Where the CPU went: how many of the machine's cores both runs kept busy, and the bridge's largest
    /// costs over what the raw JetStream run spends.
    func bounds(bridge: DeliverySummary, direct: DeliverySummary) -> String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        func busy(_ summary: DeliverySummary) -> Double {
            summary.seconds > 0 ? summary.cpu.values.reduce(0, +) / summary.seconds : 0
        }
        func perMessage(_ summary: DeliverySummary, _ key: String) -> Double {
            summary.received > 0 ? (summary.cpu[key] ?? 0) * 1e6 / Double(summary.received) : 0
        }
        let extra = Set(bridge.cpu.keys).union(direct.cpu.keys)
            .map { ($0, perMessage(bridge, $0) - perMessage(direct, $0)) }
            .filter { $0.1 >= 0.5 }.sorted { $0.1 > $1.1 }.prefix(5)
            .map { "\($0.0) +\(TableRenderer.format($0.1, digits: 1))" }
        // The MQTT side alone: what the bridge spends before the hub (the broker delivering to it, the worker with libmosquitto).
        let mqttSide = ["mosquitto broker", "mqbridge-worker"].reduce(0) { $0 + perMessage(bridge, $1) }
        let cpuRatio = bridge.cpuMicrosPerMessage > 0 ? direct.cpuMicrosPerMessage / bridge.cpuMicrosPerMessage : 0
        func machine(_ summary: DeliverySummary) -> String {
            guard let busy = summary.machineBusyPercent, let iowait = summary.machineIOWaitPercent else { return "" }
            return " (the machine: \(TableRenderer.format(busy, digits: 0))% busy with every process, \(TableRenderer.format(iowait, digits: 0))% I/O wait)"
        }
        return "the bridge run kept \(TableRenderer.format(busy(bridge), digits: 2)) of \(cores) cores busy\(machine(bridge)), the raw JetStream run "
            + "\(TableRenderer.format(busy(direct), digits: 2))\(machine(direct)); CPU per message raw JetStream / bridge = "
            + "\(TableRenderer.format(cpuRatio, digits: 3)) (the rate ratio is \(TableRenderer.format(direct.rate > 0 ? bridge.rate / direct.rate : 0, digits: 3))); "
            + "the MQTT side alone (Mosquitto, mqbridge-worker) costs \(TableRenderer.format(mqttSide, digits: 1)) µs, "
            + "raw JetStream in all \(TableRenderer.format(direct.cpuMicrosPerMessage, digits: 1)) µs; the bridge's CPU per message over "
            + "raw JetStream's (µs): " + (extra.isEmpty ? "none" : extra.joined(separator: ", "))
    }

    /// MQTT publishers → Mosquitto → the bridge → the stream, until the stream holds all of them.
    func bridgeRun(qos: MQTTQoS, count: Int) throws -> (DeliverySummary, Int?) {
        try rig.waitUntilStoring()
        try publish(topic: "bench/warm", qos: qos, count: warmUp)
        rig.relabelNATSThreads()
        let (before, beforeLast) = try rig.messages(in: JetStreamRig.stream)
        let clock = WallClockOffset.now()
        let machine = MachineCPU.now()
        let (published, cpu) = try rig.measureCPU { () throws -> Int in
            let published = try publish(topic: "bench/t", qos: qos, count: count, base: before)
            return published
        }
        let machineBusy = MachineCPU.now().busyPercent(since: machine)
        let (after, afterLast) = try rig.messages(in: JetStreamRig.stream)
        let stored = try rig.storedRun(stream: JetStreamRig.stream, first: beforeLast + 1, last: afterLast, samples: samples, clock: clock)
        var summary = DeliverySummary(
            sent: published, received: Int(after - before), seconds: stored.seconds,
            p50Micros: stored.quantile(0.5), p99Micros: stored.quantile(0.99), maxMicros: stored.quantile(1))
        summary.cpu = cpu
        summary.machineBusyPercent = machineBusy.busy
        summary.machineIOWaitPercent = machineBusy.iowait
        return (summary, stored.headerBytes)
    }

    /// Publishes `count` stamped messages with the load generator and waits until the bridge's stream holds
    /// them; returns how many were published.
    @discardableResult
    func publish(topic: String, qos: MQTTQoS, count: Int, base: UInt64? = nil) throws -> Int {
        let start = try base ?? rig.messages(in: JetStreamRig.stream).count
        let options = LoadOptions(
            host: rig.broker.host, port: rig.broker.port, topic: topic, qos: qos, connections: OutflowBenchmark.connections,
            count: count, size: 100, clientIdPrefix: "bench-pub-\(UUID().uuidString.prefix(6))")
        let report = try MQTTLoadGenerator(options: options).run()
        _ = try rig.waitUntilStored(start + UInt64(report.published), in: JetStreamRig.stream)
        return report.published
    }

    /// One thread publishing `count` stamped 100-byte messages straight to the raw stream with `publishAsync`
    /// (a Nats-Msg-Id each, the bridge's maxPending), until the stream holds them all.
    func rawJetStream(count: Int) throws -> DeliverySummary {
        let publisher = RawJetStreamPublisher(rig: rig, maxPending: rig.settings.maxPending)
        _ = try publisher.run(count: warmUp)
        let (before, beforeLast) = try rig.messages(in: JetStreamRig.rawStream)
        let clock = WallClockOffset.now()
        let machine = MachineCPU.now()
        var (published, cpu) = try rig.measureCPU { try publisher.run(count: count) }
        let machineBusy = MachineCPU.now().busyPercent(since: machine)
        publisher.close()
        // The publisher's thread has ended by the second snapshot: the process's CPU of ended threads is its.
        if let ended = cpu.removeValue(forKey: ThreadCPU.endedThreads) { cpu[RawJetStreamPublisher.threadName, default: 0] += ended }
        let (after, afterLast) = try rig.messages(in: JetStreamRig.rawStream)
        let stored = try rig.storedRun(stream: JetStreamRig.rawStream, first: beforeLast + 1, last: afterLast, samples: samples, clock: clock)
        var summary = DeliverySummary(
            sent: published, received: Int(after - before), seconds: stored.seconds,
            p50Micros: stored.quantile(0.5), p99Micros: stored.quantile(0.99), maxMicros: stored.quantile(1))
        summary.cpu = cpu
        summary.machineBusyPercent = machineBusy.busy
        summary.machineIOWaitPercent = machineBusy.iowait
        return summary
    }
}

/// Publishes to the raw stream from a thread of its own (`bench-js-pub`) with a connection of its own, the
/// way the JetStream worker publishes: `publishAsync`, a message ID each, at most `maxPending` unacknowledged.
final class RawJetStreamPublisher: @unchecked Sendable {
    // Safe: `connection` and `jetStream` are made and used on the publisher's thread, one run at a time;
    // the counters are atomics.
    let rig: JetStreamRig
    let maxPending: Int
    private var connection: NATSConnection?
    private var jetStream: JetStreamContext?
    private let results = Counters()
    private var next = 0
    private let run = UUID().uuidString.prefix(8)

    final class Counters: Sendable {
        let stored = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
    }

    static let threadName = "bench-js-pub"

    init(rig: JetStreamRig, maxPending: Int) {
        self.rig = rig
        self.maxPending = maxPending
    }

    /// Publishes `count` messages on the publisher thread and waits until the stream holds them; returns how
    /// many were published.
    func run(count: Int) throws -> Int {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<Int, any Error>>(.success(0))
        let thread = Thread { [self] in
            nameCurrentThread(Self.threadName)
            defer { done.signal() }
            outcome.withLock { $0 = Result { try publish(count: count) } }
        }
        thread.name = Self.threadName
        thread.start()
        done.wait()
        let published = try outcome.withLock { try $0.get() }
        return published
    }

    private func publish(count: Int) throws -> Int {
        let me = currentThreadID()
        if jetStream == nil {
            let connection = try NATSConnection(options: NATSConnectionOptions(servers: [rig.nats.url], name: "mqbridge-bench-raw"))
            self.connection = connection
            let results = self.results
            jetStream = try JetStreamContext(
                connection: connection,
                options: AsyncPublishOptions(maxPending: maxPending, onResult: { result in
                    if result.isStored { results.stored.add(1, ordering: .relaxed) } else { results.failed.add(1, ordering: .relaxed) }
                }))
        }
        let start = try rig.messages(in: JetStreamRig.rawStream).count
        var payload = LoadPayload.make(size: 100)
        for index in 0..<count {
            LoadPayload.stamp(&payload, time: MonotonicNanos.now(), connection: 0, sequence: UInt64(index))
            let message = NATSOutgoingMessage(subject: JetStreamRig.rawSubject, body: payload)
            let msgId = "raw-\(run)-\(next)"
            next += 1
            // A window that stayed full for stallWaitMs: wait again, as the worker's publisher does.
            while try !Self.offer(message, msgId: msgId, to: jetStream!) {}
        }
        // nats.c starts threads (e.g. the PubAck delivery) named after this one.
        if let me {
            ThreadCPU.rename(ThreadCPU.threadNames().filter { $0.value == Self.threadName && $0.key != me }.keys, to: JetStreamRig.natsThreads)
        }
        _ = try rig.waitUntilStored(start + UInt64(count), in: JetStreamRig.rawStream)
        return count
    }

    /// Publishes asynchronously; false when nats.c's window stayed full (the message was not taken).
    private static func offer(_ message: NATSOutgoingMessage, msgId: String, to jetStream: JetStreamContext) throws(NATSError) -> Bool {
        do {
            try jetStream.publishAsync(message, msgId: msgId)
        } catch {
            if error.status == .timeout { return false }
            throw error
        }
        return true
    }

    func close() {
        jetStream = nil
        connection?.close()
        connection = nil
    }

    deinit { close() }
}

/// `nats-server: v2.9.10`, from the server binary.
enum NATSServerVersion {
    static var current: String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "PATH=$PATH:/usr/sbin:/usr/local/bin:/usr/local/sbin nats-server --version 2>&1 | head -1"]
        let pipe = Pipe()
        process.standardOutput = pipe
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            return "nats-server (version unknown)"
        }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text.split(separator: "\n").first.map(String.init) ?? "nats-server (version unknown)"
    }
}
