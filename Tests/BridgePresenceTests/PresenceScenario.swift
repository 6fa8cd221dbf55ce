import TestSupport
import BridgeCore

@testable import BridgePresence

/// Random but plausible event streams: per channel `connect`, maybe `disconnect`, then (usually) `tcpclean`,
/// at increasing times; channels of one client overlap; then local reordering and duplicates.
struct PresenceScenario {
    var clients: Int = 4
    var channelsPerClient: ClosedRange<Int> = 1...5
    /// How far an event may move from its place in time order.
    var window: Int = 4
    /// Chance that an event is delivered twice.
    var duplicateChance: Double = 0.15
    /// Whether a duplicate may come much later than the original (beyond `window`).
    var farDuplicates = true

    static func clientId(_ index: Int) -> String { "GID_model@@@dev-\(index)" }

    func events(seed: UInt64) -> [StatusEvent] {
        var random = SplitMix64(seed: seed)
        var timeline: [StatusEvent] = []
        for client in 0..<clients {
            let clientId = PresenceScenario.clientId(client)
            var time = Int64.random(in: 0...50, using: &random)
            let count = Int.random(in: channelsPerClient, using: &random)
            for index in 0..<count {
                let channel =
                    Bool.random(using: &random)
                    ? ChannelID.render(high: UInt64(client), low: random.next())
                    : "text-\(client)-\(index)-\(random.next() % 1000)"
                let ip = Bool.random(using: &random) ? "10.0.\(client).\(index):\(1000 + index)" : "fe80::\(client):\(index)"
                let connectAt = time
                time += Int64.random(in: 1...40, using: &random)
                timeline.append(event(.connect, clientId, channel, at: connectAt, ip: ip))
                let closeAt = connectAt + Int64.random(in: 0...120, using: &random)
                let closes = index < count - 1 || Int.random(in: 0..<3, using: &random) > 0
                if closes, Bool.random(using: &random) {
                    timeline.append(event(.disconnect, clientId, channel, at: closeAt, ip: ip))
                }
                if closes {
                    timeline.append(event(.tcpclean, clientId, channel, at: closeAt, ip: ip))
                }
            }
        }
        // Stable sort by time keeps each channel's own events in order before the shuffling below.
        var ordered = timeline.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }
            .map(\.element)
        // Shuffle within blocks, so that no event moves more than `window` places.
        if window > 0 {
            for start in stride(from: Int.random(in: 0...window, using: &random), to: ordered.count, by: window + 1) {
                ordered[start..<min(ordered.count, start + window + 1)].shuffle(using: &random)
            }
        }
        var delivered: [StatusEvent] = []
        var late: [(Int, StatusEvent)] = []
        for (index, original) in ordered.enumerated() {
            delivered.append(original)
            if Double.random(in: 0..<1, using: &random) < duplicateChance {
                let delay = farDuplicates ? Int.random(in: 0...ordered.count, using: &random) : Int.random(in: 0...window, using: &random)
                late.append((index + delay, original))
            }
            while let next = late.firstIndex(where: { $0.0 <= index }) {
                delivered.append(late.remove(at: next).1)
            }
        }
        delivered.append(contentsOf: late.map(\.1))
        return delivered
    }
}

/// The reference model of SPEC §7 with unbounded memory: client → channel → open.
struct PresenceModel {
    var channels: [String: [String: Bool]] = [:]
    var connectSeen: Set<[String]> = []
    var disconnectSeen: Set<[String]> = []

    /// Applies `event` and returns the change the tracker should report.
    mutating func apply(_ event: StatusEvent) -> PresenceChange {
        let key = [event.clientId, event.channelId]
        let known = channels[event.clientId]?[event.channelId]
        switch event.eventType {
        case .connect:
            defer { connectSeen.insert(key) }
            if connectSeen.contains(key) { return .duplicate }
            if known == false { return .lateConnectIgnored }
            channels[event.clientId, default: [:]][event.channelId] = true
            return .opened
        case .tcpclean:
            if known == false { return .duplicate }
            channels[event.clientId, default: [:]][event.channelId] = false
            return known == true ? .closed : .closedBeforeConnect
        case .disconnect:
            defer { disconnectSeen.insert(key) }
            if disconnectSeen.contains(key) { return .duplicate }
            return known == nil ? .disconnectBeforeConnect : .disconnectRecorded
        }
    }

    func isOnline(_ clientId: String) -> Bool {
        channels[clientId]?.values.contains(true) ?? false
    }

    func openChannels(_ clientId: String) -> Set<String> {
        Set(channels[clientId]?.filter(\.value).map(\.key) ?? [])
    }
}

/// Compares two trackers: observable state for `clientIds`, and the stored channels themselves.
func sameState(_ lhs: PresenceTracker, _ rhs: PresenceTracker, clientIds: [String]) -> [String] {
    var differences: [String] = []
    if lhs.clientCount != rhs.clientCount { differences.append("clientCount \(lhs.clientCount) vs \(rhs.clientCount)") }
    if lhs.onlineClientCount != rhs.onlineClientCount {
        differences.append("onlineClientCount \(lhs.onlineClientCount) vs \(rhs.onlineClientCount)")
    }
    for clientId in clientIds {
        if lhs.client(clientId) != rhs.client(clientId) {
            differences.append("\(clientId): \(String(describing: lhs.client(clientId))) vs \(String(describing: rhs.client(clientId)))")
        }
        if lhs.channels(of: clientId) != rhs.channels(of: clientId) { differences.append("\(clientId): channels differ") }
        if normalizedState(lhs, clientId) != normalizedState(rhs, clientId) {
            differences.append("\(clientId): stored state \(String(describing: normalizedState(lhs, clientId))) vs \(String(describing: normalizedState(rhs, clientId)))")
        }
    }
    return differences
}

func normalizedState(_ tracker: PresenceTracker, _ clientId: String) -> ClientState? {
    guard let record = tracker.findRecord(clientId) else { return nil }
    var state = tracker.state(of: record)
    state.others.sort { $0.channel.string < $1.channel.string }
    return state
}

func sortedBodies(_ events: some Sequence<StatusEvent>) -> [String] {
    events.map(\.jsonBody).sorted()
}
