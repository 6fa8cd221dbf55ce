import BridgeConfig
import BridgeRuntime
import Foundation
import LoadGenerator
import LoopbackHarness
import Logging
import Mosquitto
import ZeroMQ

/// The real pieces the delivery benchmarks share: a private Mosquitto on loopback and a bridge in front of
/// it, started in this process the way `mqbridge run` starts it (hub and MQTT worker over inproc, the outflow
/// journal on disk, consumers and producers over tcp). Everything it starts, `stop()` stops.
final class LoopbackRig: DeliveryRig {
    let broker: MosquittoBroker
    /// The bridge's context (its ZeroMQ I/O thread).
    let context: ZMQContext
    /// The consumers' and producers' context: peers are other processes in production, with I/O threads
    /// of their own, so they do not share the bridge's.
    let peerContext: ZMQContext
    let directory: URL
    let configuration: BridgeConfiguration
    private(set) var host: BridgeHost?
    private(set) var worker: MQTTWorker?

    /// Outflow: `bench/#` becomes queue topic `BENCH_OUT`, tagged by the second level.
    static let outflowTopic = "BENCH_OUT"
    /// Inflow: queue topic `BENCH_IN` is published under `benchin`.
    static let inflowTopic = "BENCH_IN"

    /// Mosquitto keeps at most `max_queued_messages` QoS 1/2 messages per client (default 1000) and drops the
    /// rest; a publisher that runs ahead of a subscriber needs a deeper queue (as the README advises).
    /// `set_tcp_nodelay`: acknowledgements leave at once rather than waiting on Nagle's algorithm (which
    /// with delayed TCP acknowledgements costs up to 40 ms a packet); every client here does the same.
    static let brokerConfig = ["max_queued_messages 1000000", "set_tcp_nodelay true"]

    init(logger: Logger) throws {
        broker = try MosquittoBroker(options: MosquittoBroker.Options(extraConfig: Self.brokerConfig))
        context = try ZMQContext()
        peerContext = try Self.peerContext()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let yaml = """
            mqtt:
              url: \(broker.url)
              clientId: mqbridge-bench
            queue:
              publish: tcp://127.0.0.1:\(try FreePort.allocate())
              accept: tcp://127.0.0.1:\(try FreePort.allocate())
            spool:
              dir: \(directory.appendingPathComponent("spool").path)
            outflow:
              - id: bench
                mqtt: bench/#
                queueTopic: \(Self.outflowTopic)
                tag: "${level.2}"
            inflow:
              - id: bench-in
                queueTopic: \(Self.inflowTopic)
                mqttParent: benchin

            """
        configuration = try ConfigLoader.parse(yaml: yaml, file: "bench.yaml")
        let workers = "inproc://mqbridge-workers"
        let host = try BridgeHost(configuration: configuration, context: context, workers: [workers], logger: logger)
        try host.start()
        self.host = host
        let worker = try MQTTWorker(
            settings: configuration.mqtt, hubEndpoint: workers, context: context,
            options: MQTTWorker.Options(name: "mqtt-embedded", spool: configuration.spool), logger: logger)
        host.attach(worker: worker)
        worker.start()
        self.worker = worker
    }

    /// The peers' thread names in the CPU breakdown: libzmq names its threads `ZMQbg/…` in every context, and
    /// the peers' are not the bridge's.
    static let peerZeroMQThreads = "bench-peer-zmq"

    /// A context whose I/O threads (started by a first socket) carry ``peerZeroMQThreads``.
    static func peerContext() throws -> ZMQContext {
        let before = Set(ThreadCPU.threadNames().keys)
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .dealer)
        socket.close()
        // libzmq names each thread as it starts (its I/O thread and its reaper); rename them after that.
        func started() -> [Int32] {
            ThreadCPU.threadNames().filter { !before.contains($0.key) && $0.value.hasPrefix("ZMQbg/") }.map(\.key)
        }
        _ = waitUntilBlocking(timeout: .seconds(2), pollInterval: .milliseconds(1)) { started().count >= 2 }
        ThreadCPU.rename(started(), to: peerZeroMQThreads)
        return context
    }

    var otherProcesses: [(pid: Int32, name: String)] { broker.pid.map { [(pid: $0, name: "mosquitto broker")] } ?? [] }

    var publishEndpoint: String { configuration.queue!.publish! }
    var acceptEndpoint: String { configuration.queue!.accept! }

    func stop() {
        worker?.stop()
        host?.stop()
        worker = nil
        host = nil
        broker.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}

/// A private Mosquitto (and whatever else a rig starts) that stamped messages can be published through.
protocol DeliveryRig: AnyObject {
    var broker: MosquittoBroker { get }
    /// Processes besides this one whose CPU time counts in a run, with the names the breakdown shows.
    var otherProcesses: [(pid: Int32, name: String)] { get }
}

extension DeliveryRig {
    /// Publishes unstamped probes on `topic` until `receiver` has seen one: then the path is live.
    func waitUntilFlowing(topic: String, receiver: StampReceiver) throws {
        try probing(every: .milliseconds(300), topic: topic, timeout: .seconds(30), until: { receiver.recorder.probes > 0 }) {
            "nothing published on \(topic) arrived within 30 s"
        }
    }

    /// Publishes unstamped probes on `topic` from a client of its own until `done` holds (checked before each
    /// probe and for `interval` after it); throws `failure()` after `timeout`.
    func probing(every interval: Duration, topic: String = "bench/probe", timeout: Duration, until done: () throws -> Bool,
                 failure: () -> String) throws {
        try publishProbes(broker: broker, topic: topic, every: interval, timeout: timeout, until: done, failure: failure)
    }

    /// Publishes `count` stamped messages with the load generator and waits for `receiver` to have them.
    func deliver(topic: String, qos: MQTTQoS, count: Int, connections: Int, rate: Double? = nil,
                 to receiver: StampReceiver) throws -> (DeliverySummary, LoadReport) {
        let options = LoadOptions(
            host: broker.host, port: broker.port, topic: topic, qos: qos, connections: connections, count: count,
            size: 100, rate: rate, clientIdPrefix: "bench-pub-\(UUID().uuidString.prefix(6))")
        let (report, cpu) = try measureCPU {
            let report = try MQTTLoadGenerator(options: options).run()
            _ = receiver.recorder.wait(for: count)
            return report
        }
        var summary = receiver.recorder.summary(sent: report.published)
        summary.cpu = cpu
        return (summary, report)
    }

    /// Runs `body` and returns what each thread of this process and the rig's other processes (the broker,
    /// nats-server) spent on CPU meanwhile.
    func measureCPU<T>(_ body: () throws -> T) rethrows -> (T, [String: Double]) {
        let processes = otherProcesses
        let before = ThreadCPU.snapshot(otherProcesses: processes)
        let value = try body()
        return (value, ThreadCPU.snapshot(otherProcesses: processes).since(before))
    }
}

/// Publishes unstamped probes on `topic` through `broker`, one every 300 ms or so, until `arrived` says one
/// came through: then the path is live. Throws when none did within 30 s.
func publishProbes(
    broker: MosquittoBroker, topic: String, every interval: Duration = .milliseconds(300), timeout: Duration = .seconds(30),
    until arrived: () throws -> Bool, failure: () -> String = { "" }
) throws {
    let probe = try MQTTClient(clientID: "bench-probe-\(UUID().uuidString.prefix(8))", cleanStart: true)
    try probe.connectAndWait(host: broker.host, port: broker.port)
    defer {
        try? probe.disconnect()
        try? probe.stopLoop()
    }
    let deadline = Deadline(timeout: timeout)
    while try !arrived() {
        if deadline.hasPassed {
            let reason = failure()
            throw BenchError(reason.isEmpty ? "nothing published on \(topic) arrived within \(timeout)" : reason)
        }
        _ = try probe.publish(topic: topic, payload: Array("probe".utf8), qos: .atLeastOnce)
        _ = waitUntilBlocking(timeout: interval) { (try? arrived()) ?? false }
    }
}
