import TestSupport
import BridgeCore
import Testing

@testable import BridgePresence

/// Random Mosquitto logs (many lines per second, takeovers, every closing form), checked against a model of
/// who is connected, then replayed in full after a restore.
///
/// The logs make clients reconnect up to a dozen times within one second. A redelivered connect line is
/// recognised through the remembered channels (the current one and `tombstoneLimit` closed ones) or by being
/// older than the current connect's second, so these trackers remember more closed channels than the default
/// four; `StatusTrackerMosquittoTests` covers the default.
@Suite struct StatusTrackerRandomTests {
    static let tombstoneLimit = 32

    typealias Line = StatusTrackerMosquittoTests.Line

    /// Lines in log order, and who is connected at the end.
    static func log(seed: UInt64) -> (lines: [Line], online: Set<String>) {
        var random = SplitMix64(seed: seed)
        var second: Int64 = 1_795_300_000
        var port = 10_000
        var connected: Set<String> = []
        var lines: [Line] = []
        let clients = (0..<6).map { "GID_r@@@dev \($0) as x" }
        let endings = [
            "disconnected.", "closed its connection.", "has exceeded timeout, disconnecting.",
            "disconnected due to protocol error.", "disconnected: Broken pipe.",
        ]
        for _ in 0..<120 {
            if Int.random(in: 0..<3, using: &random) == 0 { second += Int64.random(in: 1...3, using: &random) }
            let receivedAt = second * 1000 + Int64.random(in: 0...1500, using: &random)
            guard let client = clients.randomElement(using: &random) else { continue }
            if connected.contains(client), Bool.random(using: &random) {
                let ending = endings.randomElement(using: &random) ?? endings[0]
                lines.append(Line(text: "\(second): Client \(client) \(ending)", receivedAt: receivedAt))
                connected.remove(client)
            } else {
                if connected.contains(client), Bool.random(using: &random) {
                    lines.append(Line(text: "\(second): Client \(client) already connected, closing old connection.", level: "E", receivedAt: receivedAt))
                }
                port += 1
                lines.append(Line(text: "\(second): New connection from 10.0.0.1:\(port) on port 1883.", receivedAt: receivedAt))
                lines.append(Line(text: "\(second): New client connected from 10.0.0.1:\(port) as \(client) (p2, c1, k60).", receivedAt: receivedAt))
                connected.insert(client)
            }
        }
        return (lines, connected)
    }

    @Test func randomLogsAndFullReplays() {
        for seed in UInt64(1)...150 {
            let (lines, online) = StatusTrackerRandomTests.log(seed: seed)
            var tracker = StatusTracker(source: .mosquittoLog, seed: seed, tombstoneLimit: StatusTrackerRandomTests.tombstoneLimit)
            var events: [StatusEvent] = []
            for line in lines {
                let result = StatusTrackerMosquittoTests.ingest(&tracker, line)
                #expect(result.problem == nil, "seed \(seed): \(line.text)")
                events += result.events
            }
            // SPEC §6: every disconnect is followed by its channel's tcpclean; closing events name opened channels.
            var opened: Set<String> = []
            for (index, event) in events.enumerated() {
                switch event.eventType {
                case .connect: opened.insert(event.channelId)
                case .disconnect:
                    let next = events.indices.contains(index + 1) ? events[index + 1] : nil
                    #expect(next?.eventType == .tcpclean && next?.channelId == event.channelId, "seed \(seed)")
                    fallthrough
                case .tcpclean: #expect(opened.contains(event.channelId), "seed \(seed)")
                }
            }
            let clients = (0..<6).map { "GID_r@@@dev \($0) as x" }
            for client in clients {
                #expect(tracker.presence.isOnline(client) == online.contains(client), "seed \(seed): \(client)")
                #expect((tracker.presence.client(client)?.openChannels.count ?? 0) <= 1, "seed \(seed): one connection at a time")
            }

            var restarted = StatusTracker(
                source: .mosquittoLog, seed: seed + 1000, tombstoneLimit: StatusTrackerRandomTests.tombstoneLimit)
            restarted.restore(events: tracker.snapshotEvents())
            for line in lines {
                let result = StatusTrackerMosquittoTests.ingest(&restarted, line)
                if !result.events.isEmpty {
                    Issue.record("seed \(seed): replayed \(line.text) emitted \(result.events.map(\.jsonBody))")
                    break
                }
            }
            for client in clients {
                #expect(restarted.presence.client(client) == tracker.presence.client(client), "seed \(seed): \(client)")
            }
        }
    }
}
