/// Figures measured before the work on the hot paths (release builds, a quiet 2-core machine, the same
/// benchmarks and a pinned run), shown beside today's in the table as "before" and kept in the JSON.
/// A range is what several runs gave.
enum Baseline {
    static let figures: [String: Reference] = [
        // CPU per outflow message (µs), the bridge's own threads and the broker.
        "outflow.qos0.bridge.ownCpu": Reference(56),
        "outflow.qos0.bridge.thread.mqbridge-hub": Reference(17.8),
        // Then the consumer's ZeroMQ I/O thread carried the same name and counted here; now it is `bench-peer-zmq`.
        "outflow.qos0.bridge.thread.ZMQbg/IO/0": Reference(12.6),
        // Then libmosquitto ran its own thread, mqbridge-mqtt (18.3), beside the worker (7.5); the worker thread now
        // drives libmosquitto itself, so its figure compares with the two together.
        "outflow.qos0.bridge.thread.mqbridge-worker": Reference(25.8),
        "outflow.qos0.broker.cpu": Reference(11.1),
        "outflow.qos1.bridge.ownCpu": Reference(88),
        "outflow.qos1.broker.cpu": Reference(38),
        // The two above divided.
        "outflow.qos0.bridgeVsBroker": Reference(5.05),
        "outflow.qos1.bridgeVsBroker": Reference(2.32),
        // Pinned run: the receiving side on one core.
        "pinned.qos0.vsSubscriber": Reference(0.57),
        "pinned.qos1.vsSubscriber": Reference(0.81),
        "pinned.qos0.vsMosquittoBridge": Reference(0.86),
        "pinned.qos1.vsMosquittoBridge": Reference(0.65),
        // Hub relay.
        "zmq.hub.rate": Reference(46_000, 50_000),
        "zmq.ratio": Reference(0.07, 0.10),
        // Latency at 10,000 msg/s (ms); the added figures are bridge − raw of the same rounds.
        "latency.qos0.bridge.p50": Reference(0.60),
        "latency.qos0.bridge.p99": Reference(1.56),
        "latency.qos0.raw.p50": Reference(0.07),
        "latency.qos0.raw.p99": Reference(0.17),
        "latency.qos0.addedP50": Reference(0.53),
        "latency.qos0.addedP99": Reference(1.39),
        "latency.qos1.bridge.p50": Reference(2.29),
        "latency.qos1.bridge.p99": Reference(16.7),
        "latency.qos1.raw.p50": Reference(0.06),
        "latency.qos1.raw.p99": Reference(0.85),
        "latency.qos1.addedP50": Reference(2.23),
        "latency.qos1.addedP99": Reference(15.85),
        // Translation, one core.
        "translation.outflow.rules10000": Reference(400_000, 830_000),
        // MQTT → JetStream, when the JetStream queue side was first measured (five runs on a loaded machine, load
        // average 2.3–5.3): bridge / raw JetStream, and CPU per message of every process (µs).
        "jetstream.qos0.jsRatio": Reference(0.19, 0.31),
        "jetstream.qos1.jsRatio": Reference(0.13, 0.22),
        "jetstream.qos0.js.cpu": Reference(27, 38),
        "jetstream.qos1.js.cpu": Reference(27, 38),
        "jetstream.qos0.bridge.cpu": Reference(104, 153),
        "jetstream.qos1.bridge.cpu": Reference(193, 234),
    ]

    /// One reference figure, or the range several runs gave.
    struct Reference: Codable, Sendable, Equatable {
        var low: Double
        var high: Double?

        init(_ low: Double, _ high: Double? = nil) {
            self.low = low
            self.high = high
        }
    }
}
