import BridgeConfig
import BridgeRuntime
import Foundation
import LoadGenerator
import LoopbackHarness
import Logging
import Mosquitto
import NATS
import ZeroMQ

/// A private Mosquitto and a private `nats-server -js` on loopback, with a bridge between them started in this
/// process the way `mqbridge run` starts it with a `jetstream` section: the hub, the MQTT worker (journal on
/// disk) and the JetStream worker on one inproc endpoint. A JetStream connection of the benchmark's own
/// (`reader`) reads the streams back. Everything it starts, `stop()` stops (the servers by pid).
final class JetStreamRig: DeliveryRig {
    let broker: MosquittoBroker
    let nats: NATSServer
    let context: ZMQContext
    let directory: URL
    let configuration: BridgeConfiguration
    let settings: JetStreamSettings
    private(set) var host: BridgeHost?
    private(set) var worker: MQTTWorker?
    private(set) var jetStreamWorker: JetStreamWorker?
    /// The benchmark's own connection: stream state, stored messages, the raw stream.
    private(set) var reader: JetStreamContext?
    /// The JetStream worker's own thread; the nats.c threads it starts inherit its name and are renamed.
    private var jetStreamWorkerThread: Int32?

    /// Outflow: `bench/#` becomes queue topic `BENCH_JS` (stream `mq_BENCH_JS`), tagged by the second level.
    static let queueTopic = "BENCH_JS"
    static let stream = "mq_BENCH_JS"
    /// The raw baseline's stream, set up like the bridge's.
    static let rawStream = "BENCH_RAW"
    static let rawSubject = "benchraw.t"
    /// What the breakdown calls nats.c's threads (connection read loop, flusher, timers, PubAck delivery).
    static let natsThreads = "nats.c"
    static let readerThreads = "bench-reader"
    /// The JetStream worker's thread name (`mqbridge-js`; `mqbridge-js-in` are its inflow fetch threads).
    static let jetStreamWorkerThread = "mqbridge-js"

    init(logger: Logger) throws {
        broker = try MosquittoBroker(options: MosquittoBroker.Options(extraConfig: LoopbackRig.brokerConfig))
        do {
            nats = try NATSServer()
        } catch {
            broker.stop()
            throw error
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-bench-js-\(UUID().uuidString)")
        let yaml = """
            mqtt:
              url: \(broker.url)
              clientId: mqbridge-bench-js
            spool:
              dir: \(directory.appendingPathComponent("spool").path)
            jetstream:
              url: \(nats.url)
            outflow:
              - id: bench
                mqtt: bench/#
                queueTopic: \(Self.queueTopic)
                tag: "${level.2}"

            """
        do {
            context = try ZMQContext()
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            configuration = try ConfigLoader.parse(yaml: yaml, file: "bench-jetstream.yaml")
            settings = try configuration.jetstream ?? { throw BenchError("the bench mapping has no jetstream section") }()
        } catch {
            broker.stop()
            nats.stop()
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        self.directory = directory
        do {
            try start(logger: logger)
        } catch {
            stop()
            throw error
        }
    }

    private func start(logger: Logger) throws {
        let workers = "inproc://mqbridge-workers"
        let host = try BridgeHost(configuration: configuration, context: context, workers: [workers], logger: logger)
        try host.start()
        self.host = host

        let before = Set(ThreadCPU.threadNames().keys)
        let jetStream = try JetStreamWorker(
            options: JetStreamWorker.Options(settings, name: "jetstream-bench"), mappings: configuration.mappings,
            hubEndpoint: workers, context: context, logger: logger, onFatal: { _ in })
        host.attach(jetStream: jetStream)
        jetStream.start()
        jetStreamWorker = jetStream
        guard waitUntilBlocking(timeout: .seconds(30), condition: { jetStream.stats.streamsReady && jetStream.stats.hubConnected }) else {
            throw BenchError("the JetStream worker did not get ready within 30 s: \(jetStream.stats.lastError ?? "no error reported")")
        }
        // The worker thread is the first new thread; the others (nats.c's) started from it.
        jetStreamWorkerThread = Set(ThreadCPU.threadNames().keys).subtracting(before).min()
        relabelNATSThreads()

        // nats.c's threads of the reader connection start under this thread's name: named apart (before the
        // MQTT worker starts, so that none of its threads can be taken for them).
        let beforeReader = Set(ThreadCPU.threadNames().keys)
        let creator = ThreadCPU.currentThreadName()
        let connection = try NATSConnection(options: NATSConnectionOptions(servers: [nats.url], name: "mqbridge-bench-reader"))
        let reader = try JetStreamContext(connection: connection)
        self.reader = reader
        _ = try reader.streamInfo(name: Self.stream)
        ThreadCPU.rename(
            ThreadCPU.threadNames().filter { !beforeReader.contains($0.key) && $0.value == creator }.keys, to: Self.readerThreads)
        if try reader.streamInfo(name: Self.rawStream) == nil {
            _ = try reader.addStream(StreamConfig(
                name: Self.rawStream, subjects: ["benchraw.>"], replicas: settings.replicas, maxAge: settings.maxAge,
                maxBytes: settings.maxBytes.map(Int64.init) ?? -1, duplicateWindow: settings.duplicateWindow,
                discard: settings.discard == .new ? .new : .old, storage: .file))
        }
        let worker = try MQTTWorker(
            settings: configuration.mqtt, hubEndpoint: workers, context: context,
            options: MQTTWorker.Options(name: "mqtt-embedded", spool: configuration.spool), logger: logger)
        host.attach(worker: worker)
        worker.start()
        self.worker = worker
    }

    var otherProcesses: [(pid: Int32, name: String)] {
        [broker.pid.map { (pid: $0, name: "mosquitto broker") }, nats.pid.map { (pid: $0, name: "nats-server") }].compactMap { $0 }
    }

    /// nats.c names none of its threads, so they show under the name of the thread that started them: the
    /// JetStream worker's. Renames those (the PubAck delivery thread starts with the first publish, so this
    /// runs again after each warm-up).
    func relabelNATSThreads() {
        guard let jetStreamWorkerThread else { return }
        let threads = ThreadCPU.threadNames().filter { $0.value == Self.jetStreamWorkerThread && $0.key != jetStreamWorkerThread }
        ThreadCPU.rename(threads.keys, to: Self.natsThreads)
    }

    func stop() {
        worker?.stop()
        jetStreamWorker?.stop()
        host?.stop()
        worker = nil
        jetStreamWorker = nil
        host = nil
        reader?.connection.close()
        reader = nil
        broker.stop()
        nats.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }

    // MARK: - Reading the streams

    func messages(in stream: String) throws -> (count: UInt64, lastSequence: UInt64) {
        guard let info = try reader!.streamInfo(name: stream) else { return (0, 0) }
        return (info.state.messages, info.state.lastSequence)
    }

    /// Polls the stream until it holds `expected` messages; false when nothing new was stored for `idle`.
    func waitUntilStored(_ expected: UInt64, in stream: String, idle: Duration = .seconds(5), limit: Duration = .seconds(300)) throws -> Bool {
        let limitDeadline = ContinuousClock.now.advanced(by: limit)
        var last = try messages(in: stream).count
        var lastChange = ContinuousClock.now
        while last < expected {
            Thread.sleep(forTimeInterval: 0.01)
            let current = try messages(in: stream).count
            let now = ContinuousClock.now
            if current != last {
                last = current
                lastChange = now
            } else if now - lastChange > idle || now > limitDeadline {
                return false
            }
        }
        return true
    }

    /// Publishes unstamped probes on `bench/probe` until the stream has grown: then the path is live.
    func waitUntilStoring() throws {
        let start = try messages(in: Self.stream).count
        try publishProbes(broker: broker, topic: "bench/probe") { try messages(in: Self.stream).count != start }
    }

    /// What the stream stored of sequences `first...last`: how long from the first publish (the earliest
    /// stamp read) to the storing of the last message, and the latency of every `stride`-th message, each
    /// from the stamp taken just before its publish to the time nats-server gave it when storing it.
    func storedRun(stream: String, first: UInt64, last: UInt64, samples: Int, clock: WallClockOffset) throws -> StoredRun {
        guard last >= first else { return StoredRun() }
        let total = Int(last - first + 1)
        let stride = max(1, total / max(1, samples))
        var sequences = Set(Swift.stride(from: first, through: last, by: UInt64.Stride(stride)))
        for sequence in first...min(last, first + 63) { sequences.insert(sequence) }
        sequences.insert(last)
        var run = StoredRun()
        var firstStamp = Int64.max
        for sequence in sequences.sorted() {
            guard let message = try reader!.getMessage(stream: stream, sequence: sequence) else { continue }
            if sequence == last { run.lastStoredNanos = message.storedAtNanoseconds }
            if run.headerBytes == nil {
                run.headerBytes = message.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
            }
            guard let stamp = LoadPayload.read(message.body) else { continue }
            let published = clock.wallNanos(monotonic: stamp.time)
            firstStamp = min(firstStamp, published)
            if sequence == first || (sequence - first) % UInt64(stride) == 0 {
                run.latencies.append(Double(message.storedAtNanoseconds - published) / 1_000)
            }
        }
        if firstStamp != .max, run.lastStoredNanos > firstStamp { run.seconds = Double(run.lastStoredNanos - firstStamp) / 1e9 }
        return run
    }
}

/// What a run stored, read back from the stream.
struct StoredRun {
    /// From the first publish to the storing of the last message.
    var seconds = 0.0
    var lastStoredNanos: Int64 = 0
    /// Publish → stored, µs, for the sampled messages.
    var latencies: [Double] = []
    /// Header bytes of one stored message (names, values, `: ` and CRLF).
    var headerBytes: Int?

    func quantile(_ q: Double) -> Double {
        guard !latencies.isEmpty else { return .nan }
        let sorted = latencies.sorted()
        return sorted[max(0, min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1))]
    }
}

/// The offset between the monotonic clock the payload stamps use and the wall clock nats-server stamps stored
/// messages with, both this machine's.
struct WallClockOffset {
    let nanos: Int64

    static func now() -> WallClockOffset {
        var best = Int64.max
        var offset: Int64 = 0
        for _ in 0..<5 {
            let before = MonotonicNanos.now()
            var spec = timespec()
            clock_gettime(CLOCK_REALTIME, &spec)
            let after = MonotonicNanos.now()
            let wall = Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
            if Int64(after - before) < best {
                best = Int64(after - before)
                offset = wall - Int64(before + (after - before) / 2)
            }
        }
        return WallClockOffset(nanos: offset)
    }

    func wallNanos(monotonic: UInt64) -> Int64 { Int64(monotonic) + nanos }
}
