import BridgeCore

/// Turns broker connection reports into status events (SPEC §6) and keeps the online status (SPEC §7).
///
/// Mosquitto's log lines carry no connection ID, so the tracker gives each accepted connection a channel ID
/// (derived from the client ID, `ip:port` and log second when the line has a timestamp, so that every bridge
/// reading the broker gives the same one; random otherwise) and maps later lines of the client to its
/// current channel. Lines redelivered after a restart
/// (restore the snapshot first) are recognised by the `ip:port` and log second of their connect line, as long
/// as that channel is still remembered (the current one and `tombstoneLimit` closed ones per client) or is
/// older than the current connection's second. Two cases cannot be told from new lines: a client that
/// reconnected more than `tombstoneLimit` times within one second, and a replay that starts with a closing
/// line in the same second as the client's next connect. EMQX events identify a connection by
/// `(clientid, connected_at)`, from which the channel ID is derived deterministically.
///
/// Only news is emitted: duplicate events and late connects for closed channels are dropped (and reported in
/// `StatusIngest.disposition`); a `tcpclean` seen before its `connect` is emitted. A `disconnect` is always
/// followed by the same channel's `tcpclean` in the same result.
public struct StatusTracker: Sendable {
    public let source: StatusSource
    /// The online status built from everything ingested or restored.
    public private(set) var presence: PresenceTracker
    var generator: ChannelIDGenerator
    /// Mosquitto: clients whose latest connect line was a redelivery of an older, non-current channel, with
    /// that channel; closing lines refer to it. Empty outside replays, not persisted.
    var lineCursor: [String: String] = [:]

    /// - Parameters:
    ///   - seed: seeds the channel IDs of Mosquitto connections. Use a fresh random value at every start:
    ///     the same seed yields the same IDs.
    ///   - tombstoneLimit: closed channels remembered per client besides the current one.
    public init(source: StatusSource, seed: UInt64, tombstoneLimit: Int = 4) {
        self.source = source
        self.presence = PresenceTracker(tombstoneLimit: tombstoneLimit)
        self.generator = ChannelIDGenerator(seed: seed)
    }

    /// The topic filters to subscribe to for `source`.
    public static func subscriptions(for source: StatusSource) -> [String] {
        switch source {
        case .mosquittoLog: ["$SYS/broker/log/#"]
        case .emqxEvents: ["$SYS/brokers/+/clients/+/connected", "$SYS/brokers/+/clients/+/disconnected"]
        }
    }

    static let mosquittoLogPrefix = "$SYS/broker/log/"

    /// True for topics this tracker reads (others are `ignored` by `ingest`).
    public func accepts(topic: String) -> Bool {
        switch source {
        case .mosquittoLog: topic.hasPrefix(StatusTracker.mosquittoLogPrefix)
        case .emqxEvents: EMQXEventParser.kind(ofTopic: topic) != nil
        }
    }

    /// Reads one broker message, updates the presence state and returns the status events to publish.
    /// - Parameter receivedAt: when the message arrived, in ms since the epoch; gives event times the
    ///   message lacks (and millisecond precision to Mosquitto's whole-second log times).
    public mutating func ingest(topic: String, payload: [UInt8], receivedAt: Int64) -> StatusIngest {
        guard accepts(topic: topic) else { return .none(.ignored) }
        switch source {
        case .mosquittoLog: return ingestMosquitto(topic: topic, payload: payload, receivedAt: receivedAt)
        case .emqxEvents: return ingestEMQX(topic: topic, payload: payload, receivedAt: receivedAt)
        }
    }

    /// Rebuilds the presence state from persisted events (`snapshotEvents()`), emitting nothing.
    public mutating func restore(events: some Sequence<StatusEvent>) {
        presence.restore(events)
    }

    /// Applies one persisted or replayed event, emitting nothing.
    @discardableResult
    public mutating func apply(replayed event: StatusEvent) -> PresenceChange {
        presence.apply(event)
    }

    /// The presence state as events, for persisting (see `PresenceTracker.snapshotEvents()`).
    public func snapshotEvents() -> PresenceSnapshot {
        presence.snapshotEvents()
    }

    /// Drops old tombstones (see `PresenceTracker.pruneTombstones(before:)`).
    @discardableResult
    public mutating func pruneTombstones(before cutoff: Int64) -> Int {
        presence.pruneTombstones(before: cutoff)
    }

    /// Forgets clients offline since before `cutoff` (see `PresenceTracker.forgetOffline(before:)`).
    @discardableResult
    public mutating func forgetOffline(before cutoff: Int64) -> Int {
        let forgotten = presence.forgetOffline(before: cutoff)
        if forgotten > 0 {
            lineCursor = lineCursor.filter { presence.client($0.key) != nil }
        }
        return forgotten
    }

    /// Applies `event` and appends it to `events` when it is news.
    mutating func emit(_ event: StatusEvent, into events: inout [StatusEvent]) -> PresenceChange {
        let change = presence.apply(event)
        if change.isNews { events.append(event) }
        return change
    }

    /// Whole seconds of a time in ms (rounding down, also before 1970).
    static func second(of milliseconds: Int64) -> Int64 {
        let quotient = milliseconds / 1000
        return milliseconds % 1000 < 0 ? quotient - 1 : quotient
    }
}
