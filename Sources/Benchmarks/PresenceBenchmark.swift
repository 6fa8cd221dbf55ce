import BridgeCore
import BridgePresence
import LoadGenerator
import TestSupport

/// The online-status tracker with a million clients: events applied per second, `isOnline` latency and
/// memory per client.
struct PresenceBenchmark {
    let quick: Bool

    func run() throws -> BenchmarkResult {
        var result = BenchmarkResult(name: "presence", title: "Presence tracker")
        let clients = 1_000_000
        let mixedEvents = quick ? 300_000 : 1_000_000
        let queries = quick ? 200_000 : 1_000_000

        // Events are made before the measurements, so neither the clock nor the memory figures include them.
        var channels = ChannelIDGenerator(seed: 0x6d71_6272_6964_6765)
        var random = SplitMix64(seed: 42)
        let ids = (0..<clients).map { Self.clientId($0) }
        let addresses = (0..<clients).map { "10.\($0 >> 16 & 255).\($0 >> 8 & 255).\($0 & 255):\(40_000 + $0 % 20_000)" }
        var time: Int64 = 1_795_000_000_000
        var current = [String](repeating: "", count: clients)
        var online = [Bool](repeating: false, count: clients)
        var connects: [StatusEvent] = []
        connects.reserveCapacity(clients)
        for client in 0..<clients {
            time += 1
            current[client] = channels.next()
            online[client] = true
            connects.append(StatusEvent(clientId: ids[client], time: time, eventType: .connect, channelId: current[client], clientIp: addresses[client]))
        }
        // The mix: a random client goes offline (tcpclean of its channel) when online, and reconnects on a new
        // channel when offline, so about half the events are connects and half tcpcleans.
        var mixed: [StatusEvent] = []
        mixed.reserveCapacity(mixedEvents)
        for _ in 0..<mixedEvents {
            time += 1
            let client = Int(random.next() % UInt64(clients))
            if online[client] {
                mixed.append(StatusEvent(clientId: ids[client], time: time, eventType: .tcpclean, channelId: current[client], clientIp: addresses[client]))
            } else {
                current[client] = channels.next()
                mixed.append(StatusEvent(clientId: ids[client], time: time, eventType: .connect, channelId: current[client], clientIp: addresses[client]))
            }
            online[client].toggle()
        }
        // Split before the memory is measured: the first half is applied one at a time, the second as a batch.
        let half = mixed.count / 2
        let batch = Array(mixed[half...])
        mixed.removeSubrange(half...)
        let queryOrder = (0..<queries).map { _ in ids[Int(random.next() % UInt64(clients))] }

        let before = MallocStatistics.bytesInUse()
        var tracker = PresenceTracker()
        var start = MonotonicNanos.now()
        // Through buffers: a for-in loop would copy (retain and release) every event on the way.
        connects.withUnsafeBufferPointer { events in
            for index in events.indices { tracker.apply(events[index]) }
        }
        let connectSeconds = Double(MonotonicNanos.now() - start) / 1e9
        let afterConnects = MallocStatistics.bytesInUse()
        // The mix's first half one event at a time, as the live path applies a status message's event; the
        // second half in one batch (`apply(contentsOf:)`, as a restore does), where the tracker reads the next
        // events' strings, index slots and records ahead.
        start = MonotonicNanos.now()
        mixed.withUnsafeBufferPointer { events in
            for index in 0..<half { tracker.apply(events[index]) }
        }
        let singleSeconds = Double(MonotonicNanos.now() - start) / 1e9
        start = MonotonicNanos.now()
        tracker.apply(contentsOf: batch)
        let batchSeconds = Double(MonotonicNanos.now() - start) / 1e9
        let afterMix = MallocStatistics.bytesInUse()

        result.add("connectNew.eventsPerSecond", "connect of a new client (1,000,000 clients)", Double(clients) / connectSeconds, "events/s")
        result.add("mix.eventsPerSecond", "connect/tcpclean mix over 1,000,000 known clients, in batches",
                   Double(batch.count) / batchSeconds, "events/s")
        result.add("mix.oneAtATime.eventsPerSecond", "the same mix, one event at a time (the live path)",
                   Double(half) / singleSeconds, "events/s")
        result.add("bytesPerClient", "memory per client, one channel each (1,000,000 clients)",
                   Double(afterConnects.bytes - before.bytes) / Double(clients), "bytes")
        result.add("bytesPerClientAfterMix", "memory per client after the mix (closed channels remembered)",
                   Double(afterMix.bytes - before.bytes) / Double(clients), "bytes")
        result.notes.append("memory is \(before.source) growth while the tracker filled; \(tracker.onlineClientCount) of \(tracker.clientCount) clients online after the mix")

        // isOnline: each query timed alone; the clock's own cost is measured the same way and reported.
        var latencies = [UInt64](repeating: 0, count: queries)
        var onlineAnswers = 0
        for (index, id) in queryOrder.enumerated() {
            let begin = MonotonicNanos.now()
            let isOnline = tracker.isOnline(id)
            let end = MonotonicNanos.now()
            latencies[index] = end - begin
            if isOnline { onlineAnswers += 1 }
        }
        blackHole(onlineAnswers)
        var clock = [UInt64](repeating: 0, count: 100_000)
        for index in clock.indices {
            let begin = MonotonicNanos.now()
            clock[index] = MonotonicNanos.now() - begin
        }
        latencies.sort()
        clock.sort()
        result.add("isOnline.p50", "isOnline, p50 (1,000,000 clients, random IDs)", Double(latencies[queries / 2]), "ns")
        result.add("isOnline.p99", "isOnline, p99", Double(latencies[queries * 99 / 100]), "ns")
        result.notes.append("isOnline times include reading the clock twice (p50 of an empty measurement: \(clock[clock.count / 2]) ns)")
        blackHole(tracker)
        return result
    }

    /// `GID_bench@@@device-0000042`: 26 bytes, in the range the README's memory figure assumes.
    static func clientId(_ number: Int) -> String {
        var digits = String(number)
        while digits.count < 7 { digits = "0" + digits }
        return "GID_bench@@@device-" + digits
    }
}
