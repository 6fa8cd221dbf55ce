/// The performance targets, each tied to the figure that decides it.
enum Targets {
    static let all: [TargetCheck] = [
        check("end to end MQTT → queue, QoS 0: bridge / raw broker", "outflow.qos0.ratio", .atLeast, 0.9, "ratio",
              "CPU: on 2 cores every thread of both paths shares the same CPU, and the bridge's own MQTT subscription (Mosquitto sending to it, libmosquitto reading) already costs about what the whole raw path does; the hub, the ZeroMQ hops and the consumer come on top (see the CPU notes above)"),
        check("end to end MQTT → queue, QoS 1: bridge / raw broker", "outflow.qos1.ratio", .atLeast, 0.9, "ratio",
              "CPU, as for QoS 0; both paths are also paced by the publisher's own 20 QoS 1 messages in flight per connection"),
        check("end to end queue → MQTT, QoS 0: bridge / raw broker", "inflow.qos0.ratio", .atLeast, 0.9, "ratio",
              "CPU: the bridge's MQTT publisher (worker and libmosquitto) does what the raw publisher does, and the producers, the hub and a ZeroMQ hop share the same 2 cores"),
        check("end to end queue → MQTT, QoS 1: bridge / raw broker", "inflow.qos1.ratio", .atLeast, 0.9, "ratio",
              "CPU, as for QoS 0; both paths are also held by Mosquitto's 20 QoS 1 messages in flight per client"),
        check("end to end MQTT → JetStream, QoS 0: bridge / raw JetStream async publishing", "jetstream.qos0.jsRatio", .atLeast, 0.9, "ratio",
              "CPU: on 2 cores the rate follows the CPU spent per message (the notes compare the two ratios). The bridge's path holds the whole raw JetStream path (nats-server, nats.c, a publishing thread, here the JetStream worker, which also turns the MQTT properties into headers and answers the hub) and adds the MQTT side (Mosquitto delivering to the bridge, libmosquitto, the MQTT worker and its journal) and the hub; the MQTT side alone costs about what raw JetStream costs in all (see the jetstream notes)"),
        check("end to end MQTT → JetStream, QoS 1: bridge / raw JetStream async publishing", "jetstream.qos1.jsRatio", .atLeast, 0.9, "ratio",
              "CPU, as for QoS 0; at QoS 1 the MQTT side also acknowledges every message to the publishers and the broker (PUBACKs both ways), which raw JetStream publishing does not do"),
        check("translation MQTT → queue, 10,000 rules, one core", "translation.outflow.rules10000", .atLeast, 1_000_000, "msg/s",
              "reference counting and allocation: a QueueMessage is made of counted parts (the properties dictionary, the keys array, the client ID and sub-topic strings, the result array), and retaining, releasing and freeing them took about 45% of the time in a profile of this benchmark, the trie walk about 15%; 10 and 10,000 rules run at about the same rate, so the cache no longer bounds it. Other tenants of a shared machine move this figure by a third from one run to the next (see the 10-rule figure of the same run)"),
        check("translation queue → MQTT, 10,000 rules, one core", "translation.inflow.rules10000", .atLeast, 1_000_000, "msg/s",
              "cache misses over 10,000 rules and the MQTTMessage's allocations"),
        check("presence tracker events applied (connect/tcpclean mix)", "presence.mix.eventsPerSecond", .atLeast, 1_000_000, "events/s",
              "cache and TLB misses over 1,000,000 clients: the event's strings, an index slot, then the record (with the ID), and for a client with closed channels its pool nodes; batches fetch the next events' ahead, one event at a time waits for each"),
        check("presence tracker memory per client at 1,000,000 clients", "presence.bytesPerClient", .atMost, 200, "bytes",
              "record (with the ID) and index slot per client"),
        check("bridge's own CPU per outflow message / broker's, QoS 0", "outflow.qos0.bridgeVsBroker", .atMost, 1, "ratio",
              "CPU per message by thread (the figures above): the MQTT worker's thread (mqbridge-worker: libmosquitto reading each packet with three reads, its share of the burst's journal write, the hand-over to the hub) and the hub (mqbridge-hub: the DATA read, translation, routing, the DATA to the consumer) each cost more than half of what the broker spends on the whole message; the broker's QoS 0 delivery is a single write to the subscriber's socket. A receive path of our own reading every packet that arrived with one call would not close the gap alone: the receive benchmark (`--only receive`) puts it at 0.7–0.9× of libmosquitto's CPU per message, 2–3 µs less (README, eighth round)"),
        check("bridge's own CPU per outflow message / broker's, QoS 1", "outflow.qos1.bridgeVsBroker", .atMost, 1, "ratio",
              "CPU per message by thread (the figures above): at QoS 1 the worker also writes the burst's PUBACKs (after the burst's journal write) and the hub tracks each delivery to its acknowledgement and acknowledges the worker, where the broker's extra is the PUBACK it reads; a receive path of our own would save 4–5 µs a message (`--only receive`, 0.76–0.81× of libmosquitto's CPU)"),
        check("pinned, QoS 0: mqbridge / plain mosquitto_sub", "pinned.qos0.vsSubscriber", .atLeast, 0.95, "ratio",
              "CPU 1 is saturated by mqbridge run (its worker and hub) and its consumer, which together spend more per message there than mosquitto_sub does, while the plain subscriber's rate may be held by CPU 0 instead (its broker's CPU per message); the pinned notes give this run's breakdown, each core's load and the broker's CPU per message on each path"),
        check("pinned, QoS 1: mqbridge / plain mosquitto_sub", "pinned.qos1.vsSubscriber", .atLeast, 0.95, "ratio",
              "at QoS 1 CPU 0 (the broker with its PUBACKs, 20 messages in flight per client) holds every side to about the same rate, so the ratio sits near 1 and tips with the machine's load; the pinned notes give each core's load"),
        check("pinned, QoS 0: mqbridge / Mosquitto's own bridge", "pinned.qos0.vsMosquittoBridge", .atLeast, 1.0, "ratio",
              "CPU 1: the second Mosquitto and its mosquitto_sub together spend less per message there than mqbridge run and its consumer (the pinned notes)"),
        check("pinned, QoS 1: mqbridge / Mosquitto's own bridge", "pinned.qos1.vsMosquittoBridge", .atLeast, 1.0, "ratio",
              "both sides run near the rate CPU 0's broker and publisher allow, so the ratio sits near 1 and tips with the machine's load (the pinned notes)"),
        check("hub relay / raw libzmq", "zmq.ratio", .atLeast, 0.5, "ratio",
              "the hub thread spends several µs per relayed message even in BATCHes (the DATA metadata read, translate, route, the JSON metadata for the consumer, the batched acknowledgements back to the worker), against about 1 µs a frame for raw libzmq; in a profile the largest parts are making and freeing each QueueMessage and its delivery (reference counting and malloc), the JSON metadata written for the consumer and read from the worker, and translation (the zmq notes give this run's figures)"),
        check("added p50 latency at 10,000 msg/s, QoS 0", "latency.qos0.addedP50", .atMost, 0.2, "ms",
              "wake-ups: each message wakes the worker, the hub, the hub's ZeroMQ I/O thread, the consumer's ZeroMQ I/O thread and the consumer, and the acknowledgements wake them back, where a plain subscriber is one wake-up; each takes a few tens of µs when the 2 cores are busy"),
        check("added p50 latency at 10,000 msg/s, QoS 1", "latency.qos1.addedP50", .atMost, 0.2, "ms",
              "wake-ups as for QoS 0, and the PUBACK and journal write of each message on the worker's thread (after the message went to the hub); at 3,000 msg/s (`--latency-rate 3000`) it falls to a few tenths of a millisecond (0.15–0.47 ms in the README's runs)"),
        check("added p99 latency at 10,000 msg/s, QoS 0", "latency.qos0.addedP99", .atMost, 1, "ms",
              "wake-ups, as for the p50; the raw path's own p99 moves by milliseconds between rounds"),
        check("added p99 latency at 10,000 msg/s, QoS 1", "latency.qos1.addedP99", .atMost, 1, "ms",
              "a saturated machine: publisher, broker, bridge and consumer need about 1.9 of the 2 cores at this rate, and QoS 1 delivery waits on each PUBACK's thread being scheduled (Mosquitto sends a plain subscriber at most 20 unacknowledged messages; the bridge asks for up to 65,535, so on a saturated machine they wait in the bridge instead of the broker); a plain subscriber beside the bridge sees most of the same p99 (see the notes); at 3,000 msg/s the added p99 is within a couple of milliseconds either way of the raw path's, whose own p99 moves by as much"),
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
