import Foundation
import LoopbackHarness

/// b) mqbridge: a `mqbridge run` process (the release build beside this benchmark) with an outflow rule for
/// the topics, and a queue consumer process (this benchmark in its `--pinned-consumer` role), both on the
/// receivers' core.
final class MQBridgeSide: PinnedReceiver {
    let prefix = "pin/mqb"
    static let queueTopic = "PIN_OUT"
    static let consumerName = "consumer"
    let directory: URL
    var bridge: ManagedProcess?
    var consumer: ManagedProcess?
    private let expected: Int

    init(brokerPort: Int, expected: Int, cpus: String) throws {
        self.expected = expected
        guard let mqbridge = BuildProducts.executable(named: "mqbridge") else {
            throw BenchError("no mqbridge executable beside mqbridge-bench: build it first (swift build -c release --product mqbridge)")
        }
        let bench = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-pinned-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            let publish = "tcp://127.0.0.1:\(try FreePort.allocate())"
            let yaml = """
                mqtt:
                  url: mqtt://127.0.0.1:\(brokerPort)
                  clientId: pinned-\(UUID().uuidString.prefix(8))
                queue:
                  publish: \(publish)
                  accept: tcp://127.0.0.1:\(try FreePort.allocate())
                spool:
                  dir: \(directory.appendingPathComponent("spool").path)
                outflow:
                  - id: pinned
                    mqtt: \(prefix)/#
                    queueTopic: \(Self.queueTopic)
                    tag: "${level.3}"

                """
            let config = directory.appendingPathComponent("pinned.yaml")
            try yaml.write(to: config, atomically: true, encoding: .utf8)
            let (tool, arguments) = CPUAffinity.command(
                mqbridge.path, ["run", "--config", config.path, "--log-level", "warning", "--progress", "0"], cpus: cpus)
            let bridge = try ManagedProcess(executable: tool, arguments: arguments)
            self.bridge = bridge
            let (consumerTool, consumerArguments) = CPUAffinity.command(
                bench, ["--pinned-consumer", publish, "--pinned-topic", Self.queueTopic, "--pinned-count", String(expected)], cpus: cpus)
            let consumer = try ManagedProcess(executable: consumerTool, arguments: consumerArguments)
            self.consumer = consumer
            guard consumer.waitForOutput(containing: PinnedConsumer.readyLine, timeout: .seconds(30)) else {
                throw BenchError("the pinned consumer got no WELCOME from mqbridge run: \(consumer.stderrText) \(bridge.stderrText)")
            }
        } catch {
            stop()
            throw error
        }
    }

    var processes: [(pid: Int32, name: String)] {
        (bridge.map { [($0.pid, "mqbridge run")] } ?? []) + (consumer.map { [($0.pid, Self.consumerName)] } ?? [])
    }

    var sawProbe: Bool { consumer?.stdoutText.contains(PinnedConsumer.probeLine) ?? false }

    /// The consumer counts only stamped messages (the publisher's), so probes never count.
    func startCounting() {}

    func finish(expected: Int, idle: Duration) throws -> PinnedArrivals {
        guard let consumer else { throw BenchError("the pinned consumer is not running") }
        // It exits once it has them all, or when nothing more came for its own idle time.
        guard consumer.waitForExit(timeout: .seconds(600)) == 0 else {
            throw BenchError("the pinned consumer failed: \(consumer.stderrText)")
        }
        guard let line = consumer.stdoutLines.first(where: { $0.hasPrefix(PinnedConsumer.resultPrefix) }) else {
            throw BenchError("the pinned consumer printed no result: \(consumer.stdoutText)")
        }
        let result = try PinnedConsumer.parse(line)
        return PinnedArrivals(
            received: result.received, seconds: result.last > result.first ? Double(result.last - result.first) / 1e9 : 0,
            endedProcesses: [Self.consumerName: (result.cpuSeconds, result.threads)])
    }

    func stop() {
        consumer?.terminate(timeout: .seconds(5))
        bridge?.terminate(timeout: .seconds(10))
        consumer = nil
        bridge = nil
        try? FileManager.default.removeItem(at: directory)
    }
}
