import ArgumentParser
import Foundation
import Logging
import Mosquitto
import ZeroMQ

@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mqbridge-bench",
        abstract: "Run mqbridge's benchmarks and check them against the performance targets.",
        discussion: """
            Benchmarks: \(Benchmark.allCases.map(\.rawValue).joined(separator: ", ")). Build with -c release; \
            measure on a quiet machine (the load average is printed and kept in the JSON).
            """
    )

    enum Benchmark: String, CaseIterable, ExpressibleByArgument {
        case translation, presence, outflow, latency, inflow, receive, zmq, jetstream, pinned, scale
    }

    @Flag(name: .long, help: "Fewer messages and shorter runs (the full run takes about 7 minutes).")
    var quick = false

    @Option(name: .long, parsing: .singleValue, help: "Run only this benchmark (repeatable).")
    var only: [Benchmark] = []

    @Option(name: .customLong("latency-rate"), help: "The paced rate of the latency runs, in msg/s (default 10000); the latency targets are judged at 10000 only.")
    var latencyRate: Double = 10_000

    @Option(name: .long, help: "Where the report goes as JSON: '-' prints it after the table (the default), a path writes that file.")
    var json: String = "-"

    // The pinned benchmark's queue consumer runs as this program in a process of its own.
    @Option(name: .customLong("pinned-consumer"), help: .hidden)
    var pinnedConsumer: String?
    @Option(name: .customLong("pinned-topic"), help: .hidden)
    var pinnedTopic = MQBridgeSide.queueTopic
    @Option(name: .customLong("pinned-count"), help: .hidden)
    var pinnedCount = 0

    func validate() throws {
        guard (100...100_000).contains(latencyRate) else {
            throw ValidationError("--latency-rate must be between 100 and 100000 msg/s")
        }
    }

    func run() throws {
        if let pinnedConsumer {
            try PinnedConsumer.run(endpoint: pinnedConsumer, topic: pinnedTopic, count: pinnedCount)
            return
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let logger = Logger(label: "bench")
        let selected = only.isEmpty ? Benchmark.allCases : Benchmark.allCases.filter(only.contains)
        var report = BenchReport(machine: MachineInfo.current(), quick: quick)
        if report.machine.loadAverageAtStart >= 0.5 {
            progress("warning: load average \(report.machine.loadAverageAtStart) — other work on the machine will lower the figures")
        }
        #if DEBUG
        progress("warning: a debug build; run `swift run -c release mqbridge-bench` for real figures")
        #endif

        var rig: LoopbackRig?
        defer { rig?.stop() }
        func loopback() throws -> (LoopbackRig, RawBaselines) {
            if rig == nil { rig = try LoopbackRig(logger: logger) }
            if baselines == nil { baselines = RawBaselines(rig: rig!) }
            return (rig!, baselines!)
        }
        var baselines: RawBaselines?

        let runStart = MachineCPU.now()
        for benchmark in selected {
            progress("running \(benchmark.rawValue)…")
            let start = Date()
            let cpuStart = MachineCPU.now()
            var result: BenchmarkResult
            switch benchmark {
            case .translation: result = try TranslationBenchmark(quick: quick).run()
            case .presence: result = try PresenceBenchmark(quick: quick).run()
            case .outflow:
                let (rig, baselines) = try loopback()
                result = try OutflowBenchmark(quick: quick, rig: rig, baselines: baselines).run()
            case .latency:
                let (rig, baselines) = try loopback()
                result = try OutflowBenchmark(quick: quick, rig: rig, baselines: baselines, pacedRate: latencyRate).runLatency()
            case .inflow:
                let (rig, baselines) = try loopback()
                result = try InflowBenchmark(quick: quick, rig: rig, baselines: baselines).run()
            case .receive:
                let rig = try BrokerRig()
                defer { rig.stop() }
                result = try ReceivePathBenchmark(quick: quick, rig: rig).run()
            case .zmq: result = try HubRelayBenchmark(quick: quick, logger: logger).run()
            case .jetstream:
                // A Mosquitto, nats-server and bridge of its own: the other rig's bridge would take `bench/#` too.
                let rig = try JetStreamRig(logger: logger)
                defer { rig.stop() }
                result = try JetStreamBenchmark(quick: quick, rig: rig).run()
            case .pinned:
                // Processes of its own (a broker, mqbridge run, mosquitto_sub, a second Mosquitto), pinned to CPUs.
                result = try PinnedBenchmark(quick: quick).run()
            case .scale:
                // Bridges as `mqbridge run` processes, on a Mosquitto and nats-server of their own.
                let rig = try ScaleRig()
                defer { rig.stop() }
                result = try ScaleBenchmark(quick: quick, rig: rig).run()
            }
            result.seconds = Date().timeIntervalSince(start)
            result.stealPercent = MachineCPU.now().stealPercent(since: cpuStart)
            report.benchmarks.append(result)
        }
        report.machine.loadAverageAtEnd = MachineInfo.loadAverage()
        report.machine.stealPercent = MachineCPU.now().stealPercent(since: runStart)
        report.targets = Targets.evaluate(report)
        print(TableRenderer.render(report), terminator: "")
        let data = try report.json()
        if json == "-" {
            // Through print, like the table, so the two keep their order in a pipe.
            print("\nJSON report:\n" + String(decoding: data, as: UTF8.self))
        } else {
            try data.write(to: URL(fileURLWithPath: json))
            progress("JSON report written to \(json)")
        }
    }

    func progress(_ text: String) {
        FileHandle.standardError.write(Data(("mqbridge-bench: " + text + "\n").utf8))
    }
}

extension MachineInfo {
    static func current() -> MachineInfo {
        let zmq = ZMQ.version
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        return MachineInfo(
            cores: ProcessInfo.processInfo.activeProcessorCount,
            memoryGiB: Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30),
            loadAverageAtStart: loadAverage(), loadAverageAtEnd: nil,
            libzmq: "\(zmq.major).\(zmq.minor).\(zmq.patch)", libmosquitto: MosquittoLibrary.version,
            mosquitto: brokerVersion(), build: build, date: ISO8601DateFormatter().string(from: Date()))
    }

    /// The one-minute load average from /proc/loadavg.
    static func loadAverage() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8),
            let first = text.split(separator: " ").first, let value = Double(first)
        else { return -1 }
        return value
    }

    /// `mosquitto version 2.0.11`, from the broker binary's help text.
    static func brokerVersion() -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "PATH=$PATH:/usr/sbin:/usr/local/sbin mosquitto -h 2>&1 | head -1"]
        let pipe = Pipe()
        process.standardOutput = pipe
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            return "mosquitto (version unknown)"
        }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text.split(separator: "\n").first.map(String.init) ?? "mosquitto (version unknown)"
    }
}
