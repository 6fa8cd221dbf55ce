import Foundation
import LoopbackHarness
import Testing

/// The benchmark command's report: the table and the JSON it prints, and the targets checked against the
/// figures. Only the shape is asserted (a debug build's figures mean nothing); the figures themselves come
/// from `swift run -c release mqbridge-bench`.
@Suite struct BenchCommandTests {
    static let executable = BuildProducts.executable(named: "mqbridge-bench")
        ?? CLIRunner.repositoryRoot.appendingPathComponent(".build/debug/mqbridge-bench")

    @Test func translationReportHasTheTableTheJSONAndItsTargets() throws {
        let result = try CLIRunner.run(["--quick", "--only", "translation"], executable: Self.executable)
        #expect(result.status == 0, "\(result.stderr)")
        let marker = "\nJSON report:\n"
        let parts = result.stdout.components(separatedBy: marker)
        try #require(parts.count == 2, "the JSON follows the table: \(result.stdout.prefix(2_000))")
        let table = parts[0]
        for label in ["MQTT → queue, 10 outflow rules", "MQTT → queue, 10,000 outflow rules",
                      "queue → MQTT, 10 inflow rules", "queue → MQTT, 10,000 inflow rules"] {
            #expect(table.contains(label), "table lacks '\(label)'")
        }

        let report = try #require(try JSONSerialization.jsonObject(with: Data(parts[1].utf8)) as? [String: Any])
        let machine = try #require(report["machine"] as? [String: Any])
        #expect(machine["build"] as? String == "debug")
        #expect((machine["cores"] as? Int ?? 0) >= 1)
        let benchmarks = try #require(report["benchmarks"] as? [[String: Any]])
        #expect(benchmarks.map { $0["name"] as? String } == ["translation"])
        let figures = try #require(benchmarks.first?["figures"] as? [[String: Any]])
        let keys = Set(figures.compactMap { $0["key"] as? String })
        #expect(keys == [
            "translation.outflow.rules10", "translation.outflow.rules10000",
            "translation.inflow.rules10", "translation.inflow.rules10000",
        ])
        for figure in figures {
            let value = try #require(figure["value"] as? Double)
            #expect(value > 0, "\(figure)")
            #expect(figure["unit"] as? String == "msg/s")
        }

        // The figure measured before the work on the hot paths stands beside today's, in the table and the JSON.
        #expect(table.contains(" before | unit"), "the table lacks the before column")
        #expect(table.contains("400,000–830,000"), "the table lacks the before range")
        let tenThousand = try #require(figures.first { $0["key"] as? String == "translation.outflow.rules10000" })
        let before = try #require(tenThousand["before"] as? [String: Double], "\(tenThousand)")
        #expect(before == ["low": 400_000, "high": 830_000])
        #expect(figures.first { $0["key"] as? String == "translation.outflow.rules10" }?["before"] == nil)

        // Both translation targets are checked, each with a verdict and, in the table, the figure it judged.
        let targets = try #require(report["targets"] as? [[String: Any]])
        let judged = targets.filter { ($0["figure"] as? String)?.hasPrefix("translation.") == true }
        #expect(judged.count == 2, "\(targets)")
        for target in judged {
            #expect(target["met"] is Bool, "\(target)")
            #expect(target["measured"] is Double, "\(target)")
        }
        #expect(table.contains("1,000,000"), "the table names the target")
    }

    /// MQTT → JetStream end to end: a private Mosquitto and nats-server, the bridge in process, and both
    /// baselines (raw broker, raw JetStream async publishing), with the ratio target judged.
    @Test(.timeLimit(.minutes(5))) func jetStreamReportHasTheBridgeAndBothBaselines() throws {
        let result = try CLIRunner.run(["--quick", "--only", "jetstream"], executable: Self.executable)
        #expect(result.status == 0, "\(result.stderr)")
        let parts = result.stdout.components(separatedBy: "\nJSON report:\n")
        try #require(parts.count == 2, "the JSON follows the table: \(result.stdout.prefix(2_000)) \(result.stderr.suffix(2_000))")
        let table = parts[0]
        for label in ["End to end, MQTT → JetStream", "raw JetStream (one thread, publishAsync → stored)",
                      "through the bridge (publisher → Mosquitto → bridge → stored), QoS 1", "bridge / raw JetStream, QoS 1",
                      "bridge / raw broker, QoS 0", "bridge latency p99 at full rate (publish → stored), QoS 1",
                      "bridge / raw JetStream async publishing"] {
            #expect(table.contains(label), "table lacks '\(label)'")
        }
        // The per-thread breakdown names the bridge's threads, nats.c's and both servers.
        for thread in ["mqbridge-js", "mqbridge-worker", "nats.c", "nats-server", "mosquitto broker"] {
            #expect(table.contains(thread), "the CPU notes lack \(thread)")
        }

        let report = try #require(try JSONSerialization.jsonObject(with: Data(parts[1].utf8)) as? [String: Any])
        let benchmarks = try #require(report["benchmarks"] as? [[String: Any]])
        #expect(benchmarks.map { $0["name"] as? String } == ["jetstream"])
        let figures = try #require(benchmarks.first?["figures"] as? [[String: Any]])
        let values = Self.values(figures)
        for qos in ["qos0", "qos1"] {
            for path in ["raw", "js", "bridge"] {
                for measure in ["rate", "p50", "p99", "cpu"] {
                    let key = "jetstream.\(qos).\(path).\(measure)"
                    let value = try #require(values[key], "no \(key) in \(values.keys.sorted())")
                    #expect(value > 0, "\(key) = \(value)")
                }
            }
            for ratio in ["brokerRatio", "jsRatio"] {
                #expect((values["jetstream.\(qos).\(ratio)"] ?? 0) > 0, "\(qos).\(ratio)")
            }
        }
        let notes = try #require(benchmarks.first?["notes"] as? [String])
        #expect(!notes.contains { $0.contains("were not stored") }, "\(notes)")

        let targets = try #require(report["targets"] as? [[String: Any]])
        let judged = targets.filter { ($0["figure"] as? String)?.hasPrefix("jetstream.") == true }
        #expect(Set(judged.compactMap { $0["figure"] as? String }) == ["jetstream.qos0.jsRatio", "jetstream.qos1.jsRatio"])
        for target in judged {
            #expect(target["met"] is Bool, "\(target)")
            #expect(target["measured"] is Double, "\(target)")
            #expect(target["marginPercent"] is Double, "\(target)")
        }
    }

    /// The receive path alone: libmosquitto read as the worker reads it and the buffered reader on MQTTWire, each
    /// taking every message at QoS 0 and 1 from a private Mosquitto, with the CPU of each receiving thread.
    @Test(.timeLimit(.minutes(3))) func receiveReportHasBothReadersAndEveryMessage() throws {
        let result = try CLIRunner.run(["--quick", "--only", "receive"], executable: Self.executable)
        #expect(result.status == 0, "\(result.stderr)")
        let parts = result.stdout.components(separatedBy: "\nJSON report:\n")
        try #require(parts.count == 2, "the JSON follows the table: \(result.stdout.prefix(2_000)) \(result.stderr.suffix(2_000))")
        for thread in ["recv-mosquitto", "recv-buffered", "mosquitto broker"] {
            #expect(parts[0].contains(thread), "the CPU notes lack \(thread)")
        }
        let report = try #require(try JSONSerialization.jsonObject(with: Data(parts[1].utf8)) as? [String: Any])
        let benchmarks = try #require(report["benchmarks"] as? [[String: Any]])
        #expect(benchmarks.map { $0["name"] as? String } == ["receive"])
        let values = Self.values(try #require(benchmarks.first?["figures"] as? [[String: Any]]))
        for qos in ["qos0", "qos1"] {
            for reader in ["libmosquitto", "buffered"] {
                for measure in ["rate", "cpu", "broker"] {
                    let key = "receive.\(qos).\(reader).\(measure)"
                    let value = try #require(values[key], "no \(key) in \(values.keys.sorted())")
                    #expect(value > 0, "\(key) = \(value)")
                }
                #expect(values["receive.\(qos).\(reader).lost"] == 0, "\(qos) \(reader): messages lost")
            }
            #expect((values["receive.\(qos).cpuRatio"] ?? 0) > 0, "\(qos).cpuRatio")
        }
    }

    /// The pinned comparison: a broker and the publisher on CPU 0, each receiving side in turn on CPU 1 (plain
    /// mosquitto_sub, mqbridge run with a consumer process, Mosquitto's own bridge), every message counted.
    @Test(.timeLimit(.minutes(3))) func pinnedReportHasEveryReceivingSideAndTheRatios() throws {
        let result = try CLIRunner.run(["--quick", "--only", "pinned"], executable: Self.executable)
        #expect(result.status == 0, "\(result.stderr)")
        let parts = result.stdout.components(separatedBy: "\nJSON report:\n")
        try #require(parts.count == 2, "the JSON follows the table: \(result.stdout.prefix(2_000)) \(result.stderr.suffix(2_000))")
        // Each side's CPU on CPU 1, by process and, for mqbridge, by thread.
        for name in ["mosquitto_sub", "bridging mosquitto", "mqbridge run", "mqbridge-hub", "consumer"] {
            #expect(parts[0].contains(name), "the notes lack \(name)")
        }

        let report = try #require(try JSONSerialization.jsonObject(with: Data(parts[1].utf8)) as? [String: Any])
        let benchmarks = try #require(report["benchmarks"] as? [[String: Any]])
        let figures = try #require(benchmarks.first?["figures"] as? [[String: Any]])
        let values = Self.values(figures)
        for qos in ["qos0", "qos1"] {
            for side in ["subscriber", "mqbridge", "mosquittoBridge"] {
                #expect((values["pinned.\(qos).\(side).rate"] ?? 0) > 0, "\(qos) \(side) rate in \(values)")
                #expect((values["pinned.\(qos).\(side).cpu"] ?? 0) > 0, "\(qos) \(side) cpu")
                #expect(values["pinned.\(qos).\(side).lost"] == 0, "\(qos) \(side): messages lost")
            }
            for ratio in ["vsSubscriber", "vsMosquittoBridge"] {
                #expect((values["pinned.\(qos).\(ratio)"] ?? 0) > 0, "\(qos).\(ratio)")
                let figure = figures.first { $0["key"] as? String == "pinned.\(qos).\(ratio)" }
                #expect(figure?["before"] != nil, "\(qos).\(ratio) has no figure from before")
            }
        }
        let targets = try #require(report["targets"] as? [[String: Any]])
        let judged = targets.filter { ($0["figure"] as? String)?.hasPrefix("pinned.") == true }
        #expect(judged.count == 4, "\(targets)")
        for target in judged {
            #expect(target["met"] is Bool, "\(target)")
        }
    }

    /// A report's figures: key → value.
    static func values(_ figures: [[String: Any]]) -> [String: Double] {
        var values: [String: Double] = [:]
        for figure in figures {
            if let key = figure["key"] as? String, let value = figure["value"] as? Double { values[key] = value }
        }
        return values
    }

    @Test func jsonGoesToAFileWhenAsked() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-bench-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try CLIRunner.run(["--quick", "--only", "translation", "--json", file.path], executable: Self.executable)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("JSON report:"))
        #expect(result.stderr.contains("JSON report written to \(file.path)"))
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        #expect((report?["benchmarks"] as? [Any])?.count == 1)
    }

    @Test func unknownBenchmarkIsAUsageError() throws {
        let result = try CLIRunner.run(["--only", "nonsense"], executable: Self.executable)
        #expect(result.status == 64)
        #expect(result.stderr.contains("nonsense"))
    }

    @Test func aLatencyRateOutOfRangeIsAUsageError() throws {
        let result = try CLIRunner.run(["--only", "latency", "--latency-rate", "5"], executable: Self.executable)
        #expect(result.status == 64)
        #expect(result.stderr.contains("--latency-rate must be between 100 and 100000 msg/s"))
    }
}
