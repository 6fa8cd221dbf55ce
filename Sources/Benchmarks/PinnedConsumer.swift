import BridgeRuntime
import Foundation
import LoadGenerator
import ZeroMQ

/// The queue consumer of the pinned run, in a process of its own (`mqbridge-bench --pinned-consumer`):
/// takes the bridge's messages and counts the publisher's (stamped) ones, ignoring probes. It says
/// `ready` once the hub welcomed it and `probe` at the first probe, and ends with
/// `received {JSON}` (the count, the monotonic ns of the first and last arrival, its CPU time) once it has
/// `count` messages, or when nothing more came for `idle` after the first.
enum PinnedConsumer {
    static let readyLine = "ready"
    static let probeLine = "probe"
    static let resultPrefix = "received "
    static let window = 1_000

    static func run(endpoint: String, topic: String, count: Int, idleNanos: UInt64 = 3_000_000_000,
                    noneNanos: UInt64 = 120_000_000_000) throws {
        let context = try ZMQContext()
        let client = try QueueConsumerClient(context: context, endpoint: endpoint, topic: topic, window: window, name: "pinned-consumer")
        defer { client.close() }
        let start = MonotonicNanos.now()
        var received = 0
        var probes = 0
        var first: UInt64 = 0
        var last: UInt64 = 0
        try client.run(
            count: nil, timeoutMs: nil,
            handler: { message in
                guard LoadPayload.read(message.body) != nil else {
                    probes += 1
                    if probes == 1 { say(probeLine) }
                    return
                }
                let now = MonotonicNanos.now()
                if first == 0 { first = now }
                last = now
                received += 1
            },
            shouldContinue: {
                guard received < count else { return false }
                let now = MonotonicNanos.now()
                return first == 0 ? now - start < noneNanos : now - last < idleNanos
            },
            onReady: { say(readyLine) })
        // Its CPU time too: once it has exited, /proc no longer has it.
        let threads = ThreadCPU.snapshot().threads.values.reduce(into: [String: Double]()) { $0[ThreadCPU.group($1.name), default: 0] += $1.seconds }
        let result = Result(received: received, first: first, last: last, cpuSeconds: ThreadCPU.snapshot().processSeconds, threads: threads)
        say(resultPrefix + String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
    }

    /// What the consumer says at the end (after ``resultPrefix``, as JSON).
    struct Result: Codable {
        var received: Int
        /// Monotonic ns of the first and last arrival.
        var first: UInt64
        var last: UInt64
        /// The process's CPU seconds since it started, in all and by thread name.
        var cpuSeconds: Double
        var threads: [String: Double]
    }

    static func parse(_ line: String) throws -> Result {
        do {
            return try JSONDecoder().decode(Result.self, from: Data(line.dropFirst(resultPrefix.count).utf8))
        } catch {
            throw BenchError("unreadable pinned consumer result: \(line)")
        }
    }

    /// A line on standard output at once (a pipe would hold it in a buffer).
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
