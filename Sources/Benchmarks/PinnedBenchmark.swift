import Foundation
import LoadGenerator
import LoopbackHarness

/// The receiving side on one core. The broker (a private Mosquitto) and the publisher (`mqbridge loadgen`,
/// full speed) share CPU 0; on CPU 1, in turn and in the same run: a plain `mosquitto_sub`, mqbridge (`mqbridge
/// run` and a queue consumer process) and Mosquitto's own bridge (a second Mosquitto pulling the topics, with a
/// `mosquitto_sub` on it). Each carries what it can; the ratios compare them.
struct PinnedBenchmark {
    let quick: Bool

    static let publisherCPU = "0"
    static let receiverCPU = "1"
    static let connections = 2
    static let idle = Duration.seconds(3)

    enum Side: String, CaseIterable {
        case subscriber, mqbridge, mosquittoBridge

        var label: String {
            switch self {
            case .subscriber: "plain mosquitto_sub"
            case .mqbridge: "mqbridge (run + queue consumer)"
            case .mosquittoBridge: "Mosquitto's bridge (second Mosquitto + mosquitto_sub)"
            }
        }
    }

    /// One side's run: what arrived, and the CPU spent meanwhile.
    struct Run {
        var sent: Int
        var arrivals: PinnedArrivals
        var cpu: [String: (total: Double, threads: [String: Double])]
        var brokerSeconds: Double
        var publisherCorePercent: Double
        var receiverCorePercent: Double
        /// Wall-clock seconds between the CPU readings.
        var wallSeconds: Double

        var lost: Int { sent - arrivals.received }

        /// `mqbridge run 11.6 (mqbridge-hub 5.8, mqbridge-worker 5.6, …), consumer 2.4` µs per message.
        var breakdown: String {
            let received = Double(max(1, arrivals.received))
            func micros(_ seconds: Double) -> String { TableRenderer.format(seconds * 1e6 / received, digits: 1) }
            return cpu.sorted { $0.value.total > $1.value.total }.map { name, process in
                let threads = process.threads.sorted { $0.value > $1.value }.filter { $0.value * 1e6 / received >= 0.05 }
                let inner = threads.count > 1 ? " (" + threads.map { "\($0.key) \(micros($0.value))" }.joined(separator: ", ") + ")" : ""
                return "\(name) \(micros(process.total))\(inner)"
            }.joined(separator: ", ")
        }

        var receiverMicros: Double {
            cpu.values.map(\.total).reduce(0, +) * 1e6 / Double(max(1, arrivals.received))
        }

        /// Per cent of CPU 1's time the receiving side itself used (the rest of its busy time went to other work).
        var receiverSharePercent: Double {
            wallSeconds > 0 ? cpu.values.map(\.total).reduce(0, +) / wallSeconds * 100 : 0
        }
    }

    func run() throws -> BenchmarkResult {
        var result = BenchmarkResult(
            name: "pinned", title: "Pinned: broker and publisher on CPU 0, the receiving side on CPU 1 (100-byte payloads)")
        guard ProcessInfo.processInfo.activeProcessorCount >= 2 else {
            throw BenchError("the pinned comparison needs 2 CPUs, this machine has \(ProcessInfo.processInfo.activeProcessorCount)")
        }
        guard let mqbridge = BuildProducts.executable(named: "mqbridge") else {
            result.notes.append("not measured: no mqbridge executable beside mqbridge-bench; build it first (swift build -c release --product mqbridge)")
            return result
        }
        let broker = try MosquittoBroker(options: MosquittoBroker.Options(extraConfig: LoopbackRig.brokerConfig))
        defer { broker.stop() }
        guard let brokerPID = broker.pid else { throw BenchError("the broker is not running") }
        try CPUAffinity.pin(pid: brokerPID, cpus: Self.publisherCPU)
        // This process (probes, watching mosquitto_sub's output) keeps off the receivers' CPU too.
        try CPUAffinity.pin(pid: getpid(), cpus: Self.publisherCPU)
        defer { try? CPUAffinity.pin(pid: getpid(), cpus: CPUAffinity.allCPUs) }

        let count = quick ? 5_000 : 200_000
        for qos in [0, 1] {
            var runs: [Side: Run] = [:]
            for side in Side.allCases {
                runs[side] = try measure(side, qos: qos, count: count, broker: broker, brokerPID: brokerPID, mqbridge: mqbridge.path)
            }
            let label = "QoS \(qos)"
            for side in Side.allCases {
                guard let run = runs[side] else { continue }
                result.add("qos\(qos).\(side.rawValue).rate", "\(side.label), \(label)", run.arrivals.rate, "msg/s")
                result.add("qos\(qos).\(side.rawValue).cpu", "\(side.rawValue): CPU on CPU 1 per message, \(label)", run.receiverMicros, "µs")
                result.add("qos\(qos).\(side.rawValue).lost", "\(side.rawValue): messages that did not arrive, \(label)", Double(run.lost), "msgs")
                result.notes.append(
                    "\(label) \(side.rawValue): CPU 1 \(TableRenderer.format(run.receiverCorePercent, digits: 0))% busy "
                        + "(\(TableRenderer.format(run.receiverSharePercent, digits: 0))% for the receiving side), CPU 0 "
                        + "\(TableRenderer.format(run.publisherCorePercent, digits: 0))% busy (broker "
                        + "\(TableRenderer.format(run.brokerSeconds * 1e6 / Double(max(1, run.arrivals.received)), digits: 1)) µs/msg); "
                        + "µs of CPU per message on CPU 1: \(run.breakdown)")
            }
            if let bridge = runs[.mqbridge]?.arrivals.rate, let plain = runs[.subscriber]?.arrivals.rate,
               let mosquitto = runs[.mosquittoBridge]?.arrivals.rate {
                result.add("qos\(qos).vsSubscriber", "mqbridge / plain mosquitto_sub, \(label)", plain > 0 ? bridge / plain : 0, "ratio")
                result.add("qos\(qos).vsMosquittoBridge", "mqbridge / Mosquitto's bridge, \(label)", mosquitto > 0 ? bridge / mosquitto : 0, "ratio")
            }
        }
        result.notes.append(
            "\(count) messages per side, `mqbridge loadgen` with \(Self.connections) connections at full speed; rates from the first "
                + "arrival to the last; the broker and the publisher on CPU \(Self.publisherCPU), each receiving side alone on CPU "
                + "\(Self.receiverCPU) (taskset); mosquitto_sub writes a byte per message to a file in /dev/shm")
        return result
    }

    func measure(_ side: Side, qos: Int, count: Int, broker: MosquittoBroker, brokerPID: Int32, mqbridge: String) throws -> Run {
        let receiver: any PinnedReceiver
        switch side {
        case .subscriber: receiver = try PlainSubscriberSide(port: broker.port, qos: qos, cpus: Self.receiverCPU)
        case .mqbridge: receiver = try MQBridgeSide(brokerPort: broker.port, expected: count, cpus: Self.receiverCPU)
        case .mosquittoBridge: receiver = try MosquittoBridgeSide(upstreamPort: broker.port, qos: qos, cpus: Self.receiverCPU)
        }
        defer { receiver.stop() }
        try publishProbes(broker: broker, topic: "\(receiver.prefix)/probe") { receiver.sawProbe }
        // A probe still on its way would count as a message.
        Thread.sleep(forTimeInterval: 0.3)
        try receiver.startCounting()

        let processes = receiver.processes
        let cpuBefore = ProcessCPU.snapshot(processes)
        let brokerBefore = ThreadCPU.read("/proc/\(brokerPID)/stat")?.1 ?? 0
        let coresBefore = PerCPUTime.now()
        let started = MonotonicNanos.now()
        let (tool, arguments) = CPUAffinity.command(mqbridge, [
            "loadgen", "--url", broker.url, "--topic", "\(receiver.prefix)/t", "--qos", String(qos),
            "--connections", String(Self.connections), "--count", String(count),
            "--client-id-prefix", "pinned-pub-\(UUID().uuidString.prefix(6))",
        ], cpus: Self.publisherCPU)
        let publisher = try ManagedProcess(executable: tool, arguments: arguments)
        guard let status = publisher.waitForExit(timeout: .seconds(600)) else {
            publisher.terminate()
            throw BenchError("mqbridge loadgen did not finish within 600 s")
        }
        guard status == 0 else { throw BenchError("mqbridge loadgen failed (exit \(status)): \(publisher.stderrText.suffix(1_000))") }
        let arrivals = try receiver.finish(expected: count, idle: Self.idle)
        let coresAfter = PerCPUTime.now()
        let wallSeconds = Double(MonotonicNanos.now() - started) / 1e9
        var cpu = ProcessCPU.snapshot(processes).since(cpuBefore)
        for (name, ended) in arrivals.endedProcesses {
            cpu[name] = ProcessCPU(processes: [name: ended]).since(cpuBefore)[name]
        }
        let brokerAfter = ThreadCPU.read("/proc/\(brokerPID)/stat")?.1 ?? 0
        return Run(
            sent: count, arrivals: arrivals, cpu: cpu, brokerSeconds: brokerAfter - brokerBefore,
            publisherCorePercent: coresAfter.busyPercent(0, since: coresBefore),
            receiverCorePercent: coresAfter.busyPercent(1, since: coresBefore), wallSeconds: wallSeconds)
    }
}
