import Mosquitto

extension OutflowBenchmark {
    /// The broker's name in the CPU breakdown (``LoopbackRig/otherProcesses``).
    static let brokerName = "mosquitto broker"
    /// The benchmark's own main thread (named after the program).
    static let benchThread = "mqbridge-bench"

    /// Whether a thread (by grouped name) is the bridge's own: the hub, the MQTT worker (which also drives
    /// libmosquitto and writes the journal), and the bridge context's ZeroMQ threads. The publisher, the consumer (with its
    /// ZeroMQ context) and the broker are not.
    static func isBridgeThread(_ name: String) -> Bool {
        (name.hasPrefix("mqbridge-") && name != benchThread) || name.hasPrefix("ZMQbg/")
    }

    /// CPU per message of the bridge's own threads, each of them, and of the broker on the same run, and
    /// the bridge's against the broker's.
    func addBridgeCPU(_ bridge: DeliverySummary, qos: MQTTQoS, to result: inout BenchmarkResult) {
        guard bridge.received > 0 else { return }
        let perMessage = 1e6 / Double(bridge.received)
        let label = "QoS \(qos.rawValue)"
        let own = bridge.cpu.filter { Self.isBridgeThread($0.key) }
        let ownMicros = own.values.reduce(0, +) * perMessage
        let brokerMicros = (bridge.cpu[Self.brokerName] ?? 0) * perMessage
        result.add("qos\(qos.rawValue).bridge.ownCpu", "bridge's own threads: CPU per message, \(label)", ownMicros, "µs")
        for (name, seconds) in own.sorted(by: { $0.value > $1.value }) where seconds * perMessage >= 0.05 {
            result.add("qos\(qos.rawValue).bridge.thread.\(name)", "  \(name), \(label)", seconds * perMessage, "µs")
        }
        result.add("qos\(qos.rawValue).broker.cpu", "broker (Mosquitto) on the bridge's path: CPU per message, \(label)", brokerMicros, "µs")
        result.add("qos\(qos.rawValue).bridgeVsBroker", "bridge's own CPU / broker's CPU per message, \(label)",
                   brokerMicros > 0 ? ownMicros / brokerMicros : 0, "ratio")
    }
}
