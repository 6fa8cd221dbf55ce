import Foundation
import LoadGenerator
import LoopbackHarness
import Mosquitto
import NATS

/// A rig whose bridge stores into JetStream streams, read back through a connection of the benchmark's own.
protocol JetStreamReading: DeliveryRig {
    /// The benchmark's own connection: stream state, stored messages.
    var reader: JetStreamContext? { get }
}

extension JetStreamReading {
    func messages(in stream: String) throws -> (count: UInt64, lastSequence: UInt64) {
        guard let info = try reader!.streamInfo(name: stream) else { return (0, 0) }
        return (info.state.messages, info.state.lastSequence)
    }

    /// Polls the stream until it holds `expected` messages; false when nothing new was stored for `idle`.
    func waitUntilStored(_ expected: UInt64, in stream: String, idle: Duration = .seconds(5), limit: Duration = .seconds(300)) throws -> Bool {
        let limitDeadline = ContinuousClock.now.advanced(by: limit)
        var last = try messages(in: stream).count
        var lastChange = ContinuousClock.now
        while last < expected {
            Thread.sleep(forTimeInterval: 0.01)
            let current = try messages(in: stream).count
            let now = ContinuousClock.now
            if current != last {
                last = current
                lastChange = now
            } else if now - lastChange > idle || now > limitDeadline {
                return false
            }
        }
        return true
    }

    /// Publishes unstamped probes on `bench/probe` until `stream` has grown: then the path is live.
    func waitUntilStoring(stream: String) throws {
        let start = try messages(in: stream).count
        try probing(every: .milliseconds(100), timeout: .seconds(30), until: { try messages(in: stream).count > start }) {
            "nothing published on bench/probe was stored in \(stream) within 30 s"
        }
    }

    /// What the stream stored of sequences `first...last`: how long from the first publish (the earliest
    /// stamp read) to the storing of the last message, and the latency of every `stride`-th message, each
    /// from the stamp taken just before its publish to the time nats-server gave it when storing it.
    func storedRun(stream: String, first: UInt64, last: UInt64, samples: Int, clock: WallClockOffset) throws -> StoredRun {
        guard last >= first else { return StoredRun() }
        let total = Int(last - first + 1)
        let stride = max(1, total / max(1, samples))
        var sequences = Set(Swift.stride(from: first, through: last, by: UInt64.Stride(stride)))
        for sequence in first...min(last, first + 63) { sequences.insert(sequence) }
        sequences.insert(last)
        var run = StoredRun()
        var firstStamp = Int64.max
        for sequence in sequences.sorted() {
            guard let message = try reader!.getMessage(stream: stream, sequence: sequence) else { continue }
            if sequence == last { run.lastStoredNanos = message.storedAtNanoseconds }
            if run.headerBytes == nil {
                run.headerBytes = message.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
            }
            guard let stamp = LoadPayload.read(message.body) else { continue }
            let published = clock.wallNanos(monotonic: stamp.time)
            firstStamp = min(firstStamp, published)
            if sequence == first || (sequence - first) % UInt64(stride) == 0 {
                run.latencies.append(Double(message.storedAtNanoseconds - published) / 1_000)
            }
        }
        if firstStamp != .max, run.lastStoredNanos > firstStamp { run.seconds = Double(run.lastStoredNanos - firstStamp) / 1e9 }
        return run
    }
}
