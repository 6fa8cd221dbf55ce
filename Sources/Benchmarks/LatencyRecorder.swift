import Foundation
import LoadGenerator
import Synchronization

/// Receive times and latencies of stamped messages, recorded by one receiving thread and read by another
/// once the count says the messages are in.
final class LatencyRecorder: @unchecked Sendable {
    // Safe: only the receiving thread writes `samples`/`first`/`last`; it publishes each write with a
    // releasing store of `count`, and readers load `count` (acquiring) before reading what it covers.

    private let capacity: Int
    private let samples: UnsafeMutablePointer<UInt64>
    private let stored = Atomic<Int>(0)
    private let unstamped = Atomic<Int>(0)
    /// Messages seen that carry no stamp (probes) are not counted.
    private(set) var firstStamp: UInt64 = .max
    private(set) var lastReceive: UInt64 = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        samples = .allocate(capacity: self.capacity)
    }

    deinit { samples.deallocate() }

    var count: Int { stored.load(ordering: .acquiring) }
    /// Payloads without a stamp seen so far (readiness probes).
    var probes: Int { unstamped.load(ordering: .relaxed) }

    /// Forgets what was recorded; only while no messages arrive.
    func reset() {
        firstStamp = .max
        lastReceive = 0
        stored.store(0, ordering: .releasing)
    }

    /// Records one received payload; returns false for a payload without a stamp.
    @discardableResult
    func record(_ payload: UnsafeRawBufferPointer) -> Bool {
        guard let stamp = LoadPayload.read(payload) else {
            unstamped.add(1, ordering: .relaxed)
            return false
        }
        let now = MonotonicNanos.now()
        let index = stored.load(ordering: .relaxed)
        guard index < capacity else { return true }
        samples[index] = now &- stamp.time
        if stamp.time < firstStamp { firstStamp = stamp.time }
        lastReceive = now
        stored.store(index + 1, ordering: .releasing)
        return true
    }

    @discardableResult
    func record(_ payload: [UInt8]) -> Bool {
        payload.withUnsafeBytes { record($0) }
    }

    /// Waits until `expected` stamped messages are in, or nothing new came for `idle` (returns false then).
    func wait(for expected: Int, idle: Duration = .seconds(3), limit: Duration = .seconds(300)) -> Bool {
        let limitDeadline = ContinuousClock.now.advanced(by: limit)
        var lastCount = count
        var lastChange = ContinuousClock.now
        while count < expected {
            Thread.sleep(forTimeInterval: 0.005)
            let now = ContinuousClock.now
            let current = count
            if current != lastCount {
                lastCount = current
                lastChange = now
            } else if now - lastChange > idle || now > limitDeadline {
                return false
            }
        }
        return true
    }

    /// The summary of what arrived; `sent` is how many were published.
    func summary(sent: Int) -> DeliverySummary {
        let received = count
        var sorted = Array(UnsafeBufferPointer(start: samples, count: received))
        sorted.sort()
        func quantile(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            let index = min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)
            return Double(sorted[max(0, index)]) / 1_000
        }
        let seconds = received > 0 && lastReceive > firstStamp ? Double(lastReceive - firstStamp) / 1e9 : 0
        return DeliverySummary(
            sent: sent, received: received, seconds: seconds,
            p50Micros: quantile(0.50), p99Micros: quantile(0.99), maxMicros: sorted.last.map { Double($0) / 1_000 } ?? .nan)
    }
}

/// Rate and latency of one delivery run, as the receiver saw it.
struct DeliverySummary: Sendable {
    var sent: Int
    var received: Int
    /// From the first publish (its stamp) to the last receipt.
    var seconds: Double
    var p50Micros: Double
    var p99Micros: Double
    var maxMicros: Double
    /// In a paced bridge run, a plain subscriber on the same broker beside the bridge: its p50 and p99 split
    /// the bridge's latency into the broker's delivery (under the same load) and the bridge's own stages.
    var besideP50Micros: Double?
    var besideP99Micros: Double?
    /// CPU seconds spent during the run, per thread name (and the broker process).
    var cpu: [String: Double] = [:]
    /// Share of the machine's CPU time that went to any process during the run, and to waiting for I/O.
    var machineBusyPercent: Double?
    var machineIOWaitPercent: Double?

    var rate: Double { seconds > 0 ? Double(received) / seconds : 0 }
    var lost: Int { sent - received }

    /// CPU microseconds per delivered message, over every thread and the broker.
    var cpuMicrosPerMessage: Double {
        received > 0 ? cpu.values.reduce(0, +) * 1e6 / Double(received) : 0
    }

    /// `38.2 µs in all: broker 9.1, hub 10.3, …`, largest first.
    var cpuBreakdown: String {
        guard received > 0 else { return "no messages" }
        let parts = cpu.sorted { $0.value > $1.value }.filter { $0.value * 1e6 / Double(received) >= 0.05 }.map {
            "\($0.key) \(TableRenderer.format($0.value * 1e6 / Double(received), digits: 1))"
        }
        return "\(TableRenderer.format(cpuMicrosPerMessage, digits: 1)) µs of CPU per message: " + parts.joined(separator: ", ")
    }
}
