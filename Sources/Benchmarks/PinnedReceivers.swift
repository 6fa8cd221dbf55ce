import Foundation
import LoadGenerator
import LoopbackHarness
import Synchronization

/// One receiving side of the pinned run, started on the receivers' core: it takes what the publisher sends
/// under `prefix/` from the first broker and counts it.
protocol PinnedReceiver: AnyObject {
    /// The publisher sends to `prefix/t`, readiness probes go to `prefix/probe`.
    var prefix: String { get }
    /// The processes on the receivers' core, with the names the CPU breakdown shows.
    var processes: [(pid: Int32, name: String)] { get }
    /// Whether a probe has come through (the path is live).
    var sawProbe: Bool { get }
    /// From now on arrivals count (probes seen so far do not).
    func startCounting() throws
    /// Waits until `expected` messages have arrived, or nothing more came for `idle`.
    func finish(expected: Int, idle: Duration) throws -> PinnedArrivals
    func stop()
}

/// What a receiving side took: how many, and over how long (first arrival to last).
struct PinnedArrivals {
    var received: Int
    var seconds: Double
    /// Processes that ended before their CPU time could be read from /proc, with what they said they spent
    /// since they started, in all and by thread name.
    var endedProcesses: [String: (total: Double, threads: [String: Double])] = [:]
    var rate: Double { seconds > 0 ? Double(received) / seconds : 0 }
}

/// `mosquitto_sub` on a core of its own, writing one byte per message (`-F x -N`) to a file in /dev/shm; a
/// thread of this process (on the publisher's core) watches the file's size every 2 ms. mosquitto_sub
/// writes each message as it comes (a write per message), and nothing reads the file meanwhile.
final class CountingSubscriber: @unchecked Sendable {
    // Safe: `watch` is written by the watching thread only and read after `done`; the rest is immutable.
    let process: ManagedProcess
    let file: String
    private let stopping = Atomic<Bool>(false)
    private let watch = Mutex(Watch())
    private let done = DispatchSemaphore(value: 0)
    private var watching = false

    struct Watch {
        var base = 0
        var size = 0
        var first: UInt64 = 0
        var last: UInt64 = 0
        var lastChange: UInt64 = 0
    }

    init(port: Int, filter: String, qos: Int, cpus: String, name: String) throws {
        let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        file = "\(directory)/\(name)-\(UUID().uuidString.prefix(8)).out"
        let subscriber = try ManagedProcess.resolve("mosquitto_sub")
        // exec: the pid stays mosquitto_sub's (taskset execs it too).
        let command = "exec taskset -c \(cpus) \(subscriber) -h 127.0.0.1 -p \(port) -t '\(filter)' -q \(qos) -i \(name) --nodelay -F x -N > \(file)"
        process = try ManagedProcess(executable: "/bin/sh", arguments: ["-c", command])
    }

    var size: Int {
        ((try? FileManager.default.attributesOfItem(atPath: file)[.size]) as? NSNumber)?.intValue ?? 0
    }

    /// Counts from the current size on, in a thread that watches the file until `finish`.
    func startCounting() {
        let base = size
        watch.withLock { $0 = Watch(base: base, size: base, lastChange: MonotonicNanos.now()) }
        watching = true
        let thread = Thread { [self] in
            defer { done.signal() }
            while !stopping.load(ordering: .relaxed) {
                let current = size
                let now = MonotonicNanos.now()
                watch.withLock { watch in
                    guard current != watch.size else { return }
                    if watch.first == 0 { watch.first = now }
                    watch.size = current
                    watch.last = now
                    watch.lastChange = now
                }
                usleep(2_000)
            }
        }
        thread.name = "pinned-watch"
        thread.start()
    }

    func finish(expected: Int, idle: Duration) -> PinnedArrivals {
        let idleNanos = UInt64(idle.components.seconds) * 1_000_000_000 + UInt64(idle.components.attoseconds / 1_000_000_000)
        while true {
            let state = watch.withLock { $0 }
            if state.size - state.base >= expected || MonotonicNanos.now() - state.lastChange > idleNanos { break }
            usleep(10_000)
        }
        stopWatching()
        let state = watch.withLock { $0 }
        return PinnedArrivals(received: state.size - state.base, seconds: state.last > state.first ? Double(state.last - state.first) / 1e9 : 0)
    }

    private func stopWatching() {
        guard watching else { return }
        watching = false
        stopping.store(true, ordering: .relaxed)
        done.wait()
    }

    func stop() {
        stopWatching()
        process.terminate(timeout: .seconds(5))
        try? FileManager.default.removeItem(atPath: file)
    }
}

/// a) A plain `mosquitto_sub` subscribed on the first broker.
final class PlainSubscriberSide: PinnedReceiver {
    let prefix = "pin/sub"
    let subscriber: CountingSubscriber

    init(port: Int, qos: Int, cpus: String) throws {
        subscriber = try CountingSubscriber(port: port, filter: "\(prefix)/#", qos: qos, cpus: cpus, name: "pinned-sub")
    }

    var processes: [(pid: Int32, name: String)] { [(subscriber.process.pid, "mosquitto_sub")] }
    var sawProbe: Bool { subscriber.size > 0 }
    func startCounting() { subscriber.startCounting() }
    func finish(expected: Int, idle: Duration) -> PinnedArrivals { subscriber.finish(expected: expected, idle: idle) }
    func stop() { subscriber.stop() }
}

/// c) Mosquitto's own bridge: a second Mosquitto on the receivers' core pulls the topics from the first
/// (`connection` / `address` / `topic … in QOS`), and a `mosquitto_sub` on it, also on that core, counts.
final class MosquittoBridgeSide: PinnedReceiver {
    let prefix = "pin/mbr"
    let broker: MosquittoBroker
    var subscriber: CountingSubscriber?

    init(upstreamPort: Int, qos: Int, cpus: String) throws {
        broker = try MosquittoBroker(options: MosquittoBroker.Options(extraConfig: LoopbackRig.brokerConfig + [
            "connection pinned-bridge", "address 127.0.0.1:\(upstreamPort)", "topic \(prefix)/# in \(qos)",
            "cleansession true", "notifications false",
        ]))
        do {
            guard let pid = broker.pid else { throw BenchError("the bridging Mosquitto is not running") }
            try CPUAffinity.pin(pid: pid, cpus: cpus)
            subscriber = try CountingSubscriber(port: broker.port, filter: "\(prefix)/#", qos: qos, cpus: cpus, name: "pinned-mbr")
        } catch {
            stop()
            throw error
        }
    }

    var processes: [(pid: Int32, name: String)] {
        (broker.pid.map { [($0, "bridging mosquitto")] } ?? []) + (subscriber.map { [($0.process.pid, "mosquitto_sub")] } ?? [])
    }

    var sawProbe: Bool { (subscriber?.size ?? 0) > 0 }
    func startCounting() { subscriber?.startCounting() }

    func finish(expected: Int, idle: Duration) -> PinnedArrivals {
        subscriber?.finish(expected: expected, idle: idle) ?? PinnedArrivals(received: 0, seconds: 0)
    }

    func stop() {
        subscriber?.stop()
        broker.stop()
    }
}
