import Mosquitto
import Synchronization

/// One publishing connection: a libmosquitto client driven from its own thread (no libmosquitto thread),
/// so a publish is written to the socket at once and the thread waits whenever the socket is full.
final class LoadConnection: @unchecked Sendable {
    // Safe: the client is used by one thread at a time (the caller while connecting, then the
    // connection's thread); the counters are atomics; `error`, `lastPublish` and `finished` are written
    // by the connection's thread before it signals the end and read after.

    let index: Int
    let options: LoadOptions
    let client: MQTTClient
    let published = Atomic<Int>(0)
    let completed: Counter
    var error: String?
    var lastPublish: UInt64 = 0
    var finished: UInt64 = 0

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    /// Connects and waits for the CONNACK (10 s at most).
    init(index: Int, options: LoadOptions) throws {
        self.index = index
        self.options = options
        client = try MQTTClient(clientID: "\(options.clientIdPrefix)-\(index)", cleanStart: true, protocolVersion: options.protocolVersion)
        let completed = Counter()
        self.completed = completed
        // QoS 0: called once the packet is written; QoS 1/2: once the broker acknowledged it.
        client.onPublishCompleted = { _, _ in completed.value.add(1, ordering: .relaxed) }
        try client.setTCPNoDelay(true)
        try client.connect(host: options.host, port: options.port, keepAlive: 60)
        let deadline = MonotonicNanos.now() + 10_000_000_000
        while !client.isConnected {
            if MonotonicNanos.now() > deadline {
                throw LoadError("connection \(index): no CONNACK from \(options.host):\(options.port) within 10 s")
            }
            try client.runLoopOnce(timeoutMs: 50)
        }
    }

    /// Publishes this connection's share from `start` on (monotonic ns), then waits for the acknowledgements.
    func run(start: UInt64) {
        MonotonicNanos.sleep(until: start)
        do {
            try publishAll(start: start)
        } catch {
            self.error = "connection \(index): \(error)"
        }
        lastPublish = MonotonicNanos.now()
        drain()
        finished = MonotonicNanos.now()
        try? client.disconnect()
        for _ in 0..<3 where client.isConnected { try? client.runLoopOnce(timeoutMs: 20) }
    }

    private func publishAll(start: UInt64) throws {
        let share = options.share(of: index)
        let topics = options.topicCount == 1 ? [options.topic] : (0..<options.topicCount).map { "\(options.topic)/\($0)" }
        var payload = LoadPayload.make(size: options.size)
        let acknowledged = options.qos != .atMostOnce
        // Connection i publishes at start + (k * connections + i) / rate: the connections interleave evenly.
        let interval = options.rate.map { 1e9 * Double(options.connections) / $0 }
        let offset = options.rate.map { 1e9 * Double(index) / $0 } ?? 0
        var sent = 0
        var topicIndex = index % topics.count
        while sent < share {
            if let interval {
                try pace(until: start + UInt64(offset + Double(sent) * interval))
            }
            if acknowledged {
                while sent - completed.value.load(ordering: .relaxed) >= options.window {
                    try client.runLoopOnce(timeoutMs: 10)
                }
            }
            LoadPayload.stamp(&payload, time: MonotonicNanos.now(), connection: UInt32(index), sequence: UInt64(sent))
            _ = try client.publish(topic: topics[topicIndex], payload: payload, qos: options.qos)
            sent += 1
            published.store(sent, ordering: .relaxed)
            topicIndex = topicIndex + 1 == topics.count ? 0 : topicIndex + 1
            // Read acknowledgements as they come so libmosquitto releases queued publishes; QoS 0 only needs
            // the loop now and then for keep-alive.
            if acknowledged || sent & 255 == 0 {
                try client.runLoopOnce(timeoutMs: 0)
            }
            // Back-pressure: never more than the socket buffer ahead of the broker.
            while client.hasPendingWrites {
                try client.runLoopOnce(timeoutMs: 10)
            }
        }
    }

    /// Waits for `deadline`, serving the connection while the wait is long.
    private func pace(until deadline: UInt64) throws {
        while true {
            let now = MonotonicNanos.now()
            if now >= deadline { return }
            let wait = deadline - now
            if wait > 2_000_000 {
                try client.runLoopOnce(timeoutMs: Int(wait / 1_000_000) - 1)
            } else {
                MonotonicNanos.sleep(until: deadline)
                return
            }
        }
    }

    /// Serves the connection until every publish is completed or the drain timeout passes.
    private func drain() {
        let components = options.drainTimeout.components
        let timeout = UInt64(components.seconds) * 1_000_000_000 + UInt64(components.attoseconds / 1_000_000_000)
        let deadline = MonotonicNanos.now() + timeout
        while completed.value.load(ordering: .relaxed) < published.load(ordering: .relaxed) || client.hasPendingWrites {
            if MonotonicNanos.now() > deadline {
                let missing = published.load(ordering: .relaxed) - completed.value.load(ordering: .relaxed)
                if error == nil { error = "connection \(index): \(missing) publishes not completed within the drain timeout" }
                return
            }
            do {
                try client.runLoopOnce(timeoutMs: 10)
            } catch {
                if self.error == nil { self.error = "connection \(index): \(error)" }
                return
            }
        }
    }
}
