/// The performance targets, each tied to the figure that decides it.
enum Targets {
    static let all: [TargetCheck] = [
        check("end to end MQTT → queue, QoS 0: bridge / raw broker", "outflow.qos0.ratio", .atLeast, 0.9, "ratio",
              "CPU: on 2 cores shared with Mosquitto and the load generator, the bridge path costs about 2.5 times the raw path's CPU per message (two ZeroMQ hops with acknowledgements, libmosquitto's reads, the journal)"),
        check("end to end MQTT → queue, QoS 1: bridge / raw broker", "outflow.qos1.ratio", .atLeast, 0.9, "ratio",
              "CPU, as for QoS 0; both paths are also held by Mosquitto's 20 QoS 1 messages in flight per client"),
        check("end to end queue → MQTT, QoS 0: bridge / raw broker", "inflow.qos0.ratio", .atLeast, 0.9, "ratio",
              "CPU: producers, hub, worker, libmosquitto and Mosquitto share 2 cores"),
        check("end to end queue → MQTT, QoS 1: bridge / raw broker", "inflow.qos1.ratio", .atLeast, 0.9, "ratio",
              "CPU: producers, hub, worker, libmosquitto and Mosquitto share 2 cores"),
        check("translation MQTT → queue, 10,000 rules, one core", "translation.outflow.rules10000", .atLeast, 1_000_000, "msg/s",
              "cache misses over 10,000 rules (trie nodes, level table, each rule's templates) and the allocations a QueueMessage needs (properties dictionary, keys, strings)"),
        check("translation queue → MQTT, 10,000 rules, one core", "translation.inflow.rules10000", .atLeast, 1_000_000, "msg/s",
              "cache misses over 10,000 rules and the MQTTMessage's allocations"),
        check("presence tracker events applied (connect/tcpclean mix)", "presence.mix.eventsPerSecond", .atLeast, 1_000_000, "events/s",
              "cache and TLB misses over 1,000,000 clients: the event's strings, an index slot, then the record (with the ID), and for a client with closed channels its pool nodes"),
        check("presence tracker memory per client at 1,000,000 clients", "presence.bytesPerClient", .atMost, 200, "bytes",
              "record (with the ID) and index slot per client"),
        check("added p99 latency at 10,000 msg/s, QoS 0", "latency.qos0.addedP99", .atMost, 1, "ms",
              "wake-ups: each message wakes about ten threads on 2 cores (libmosquitto, worker, hub, ZeroMQ I/O, consumer and back); the raw path's own p99 moves by milliseconds between rounds"),
        check("added p99 latency at 10,000 msg/s, QoS 1", "latency.qos1.addedP99", .atMost, 1, "ms",
              "wake-ups: each message wakes about ten threads on 2 cores (libmosquitto, worker, hub, ZeroMQ I/O, consumer and back); the raw path's own p99 moves by milliseconds between rounds"),
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
