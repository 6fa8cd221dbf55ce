import BridgeCore
import LoadGenerator

/// The pure translation engine on one core: MQTT → queue (`MappingTable.outflow`) and queue → MQTT
/// (`MappingTable.inflow`) with few and with many rules.
struct TranslationBenchmark {
    let quick: Bool

    /// Outflow rules with distinct filters, in three shapes so the trie has literal, `+` and `#` branches:
    /// `sensors/site<i>/+/temp`, `meters/site<i>/#`, `fleet/v<i>/+/status/+`. Every rule renders a tag,
    /// a key and the publisher's client ID from templates, like the example mapping's telemetry rule.
    static func outflowTable(rules: Int) throws -> MappingTable {
        var outflow: [OutflowRule] = []
        for index in 0..<rules {
            let filter: String
            switch index % 3 {
            case 0: filter = "sensors/site\(index)/+/temp"
            case 1: filter = "meters/site\(index)/#"
            default: filter = "fleet/v\(index)/+/status/+"
            }
            outflow.append(OutflowRule(
                id: "rule-\(index)", filter: try TopicFilter(filter), queueTopic: "QUEUE_\(index % 16)",
                tag: try Template("${level.3}"), keys: [try Template("${clientId}")],
                clientId: try Template("GID_bench@@@${level.3}")))
        }
        return MappingTable(outflow: outflow)
    }

    /// Topics that each match exactly one rule, spread over all of them.
    static func outflowMessages(rules: Int, count: Int) -> [MQTTMessage] {
        let payload = LoadPayload.make(size: 100)
        return (0..<count).map { number in
            let index = (number &* 7_919) % rules
            let topic: String
            switch index % 3 {
            case 0: topic = "sensors/site\(index)/dev-\(number % 1000)/temp"
            case 1: topic = "meters/site\(index)/dev-\(number % 1000)/power"
            default: topic = "fleet/v\(index)/dev-\(number % 1000)/status/engine"
            }
            return MQTTMessage(topic: topic, payload: payload, qos: .atLeastOnce)
        }
    }

    /// Inflow rules on distinct queue topics and tags: two rules per queue topic with disjoint tags.
    static func inflowTable(rules: Int) throws -> MappingTable {
        var inflow: [InflowRule] = []
        for index in 0..<rules {
            inflow.append(InflowRule(
                id: "in-\(index)", queueTopic: "CMD_\(index / 2)",
                tags: try TagExpression(index % 2 == 0 ? "set||ota" : "get||reset"), mqttParent: "devices\(index % 10)"))
        }
        return MappingTable(inflow: inflow)
    }

    static func inflowMessages(rules: Int, count: Int) -> [QueueMessage] {
        let body = LoadPayload.make(size: 100)
        let tags = ["set", "ota", "get", "reset"]
        return (0..<count).map { number in
            let index = (number &* 7_919) % rules
            let tag = tags[(index % 2) * 2 + number % 2]
            return QueueMessage(
                topic: "CMD_\(index / 2)", tag: tag, keys: ["dev-\(number % 1000)"],
                properties: ["mqttSecondTopic": "/dev-\(number % 1000)/\(tag)", "qoslevel": "1"], body: body)
        }
    }

    func run() throws -> BenchmarkResult {
        var result = BenchmarkResult(name: "translation", title: "Translation engine, one core")
        let duration = quick ? 0.3 : 1.0
        for rules in [10, 10_000] {
            let table = try Self.outflowTable(rules: rules)
            let messages = Self.outflowMessages(rules: rules, count: 4_096)
            let rate = try measure(seconds: duration) { index in
                try table.outflow(messages[index & 4_095]).count
            }
            result.add("outflow.rules\(rules)", "MQTT → queue, \(TableRenderer.grouped(rules)) outflow rules", rate, "msg/s")
        }
        for rules in [10, 10_000] {
            let table = try Self.inflowTable(rules: rules)
            let messages = Self.inflowMessages(rules: rules, count: 4_096)
            let rate = try measure(seconds: duration) { index in
                try table.inflow(messages[index & 4_095]).message.payload.count
            }
            result.add("inflow.rules\(rules)", "queue → MQTT, \(TableRenderer.grouped(rules)) inflow rules", rate, "msg/s")
        }
        return result
    }

    /// Calls `body` in batches for `seconds` (after a short warm-up), timed in ten windows; returns the median
    /// window's calls per second. Other work on a shared machine slows some windows down (and a busy neighbour
    /// going quiet speeds some up), so the median says more about the code than one long window would.
    func measure(seconds: Double, _ body: (Int) throws -> Int) throws -> Double {
        var sink = 0
        for index in 0..<20_000 { sink &+= try body(index) }
        var rates: [Double] = []
        var calls = 0
        for _ in 0..<10 {
            let start = MonotonicNanos.now()
            let end = start + UInt64(seconds * 1e8)
            var now = start
            var windowCalls = 0
            while now < end {
                for index in calls..<calls + 4_096 { sink &+= try body(index) }
                calls += 4_096
                windowCalls += 4_096
                now = MonotonicNanos.now()
            }
            rates.append(Double(windowCalls) / (Double(now - start) / 1e9))
        }
        blackHole(sink)
        rates.sort()
        return (rates[4] + rates[5]) / 2
    }
}

/// Keeps a value alive so the optimizer cannot drop the work that produced it.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
