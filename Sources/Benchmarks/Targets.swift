/// The performance targets, each tied to the figure that decides it.
enum Targets {
    static let all: [TargetCheck] = [
        check("end to end MQTT → queue, QoS 0: bridge / raw broker", "outflow.qos0.ratio", .atLeast, 0.9, "ratio",
              "Mosquitto's single thread, libmosquitto and the bridge share 2 cores with the load generator"),
        check("end to end MQTT → queue, QoS 1: bridge / raw broker", "outflow.qos1.ratio", .atLeast, 0.9, "ratio",
              "as QoS 0, plus the journal write per message and the acknowledgement path back to the broker"),
        check("end to end queue → MQTT, QoS 0: bridge / raw broker", "inflow.qos0.ratio", .atLeast, 0.9, "ratio",
              "producers, hub, worker and broker share 2 cores"),
        check("end to end queue → MQTT, QoS 1: bridge / raw broker", "inflow.qos1.ratio", .atLeast, 0.9, "ratio",
              "producers, hub, worker and broker share 2 cores"),
        check("translation MQTT → queue, 10,000 rules, one core", "translation.outflow.rules10000", .atLeast, 1_000_000, "msg/s",
              "per-message allocations of the queue-side message (properties, keys, strings)"),
        check("translation queue → MQTT, 10,000 rules, one core", "translation.inflow.rules10000", .atLeast, 1_000_000, "msg/s",
              "per-message allocations of the MQTT message"),
        check("presence tracker events applied (connect/tcpclean mix)", "presence.mix.eventsPerSecond", .atLeast, 1_000_000, "events/s",
              "hashing and probing the client index, random memory access over 1,000,000 clients"),
        check("presence tracker memory per client at 1,000,000 clients", "presence.bytesPerClient", .atMost, 200, "bytes",
              "record, ID bytes and index slot per client"),
        check("added p99 latency at 10,000 msg/s, QoS 0", "latency.qos0.addedP99", .atMost, 1, "ms",
              "thread hand-offs (libmosquitto → worker → hub → consumer) and the journal write"),
        check("added p99 latency at 10,000 msg/s, QoS 1", "latency.qos1.addedP99", .atMost, 1, "ms",
              "thread hand-offs (libmosquitto → worker → hub → consumer) and the journal write"),
    ]

    static func check(_ name: String, _ figure: String, _ direction: TargetCheck.Direction, _ target: Double, _ unit: String,
                      _ why: String) -> TargetCheck {
        TargetCheck(name: name, figure: figure, direction: direction, target: target, unit: unit, why: why)
    }

    /// The targets whose figures this run measured, evaluated.
    static func evaluate(_ report: BenchReport) -> [TargetCheck] {
        all.compactMap { target in
            guard let value = report.figure(target.figure) else { return nil }
            var checked = target
            checked.evaluate(value)
            return checked
        }
    }
}
