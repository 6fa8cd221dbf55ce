import BridgeCore
import BridgePresence
import Foundation
import Logging
import Synchronization

/// The online-status view, shared by the hub thread (which feeds it the broker's status messages) and the
/// API thread (which answers queries from it), and kept on disk between runs.
public final class PresenceService: Sendable {
    /// Where the broker's status messages come from.
    public let source: StatusSource
    /// The broker topics MQTT workers subscribe to for them.
    public let subscriptions: [String]
    /// A tracker kept only to answer `accepts(topic:)` without the lock.
    private let topicMatcher: StatusTracker
    private let state: Mutex<State>
    private let logger: Logger

    struct State {
        var tracker: StatusTracker
        var store: PresenceStore?
        var counters = PresenceCounters()
        /// Problem kinds already logged: each is logged once, then only counted.
        var loggedKinds: Set<String> = []
    }

    /// Loads the view kept in `stateDirectory` (nil: memory only).
    /// - Throws: `PresenceStoreError` when the directory or its files cannot be used.
    public init(source: StatusSource, stateDirectory: String?, logger: Logger) throws {
        self.source = source
        self.subscriptions = StatusTracker.subscriptions(for: source)
        self.logger = logger
        // Channel IDs of Mosquitto connections are random from this seed: a new one every start.
        var tracker = StatusTracker(source: source, seed: UInt64.random(in: 0...UInt64.max))
        topicMatcher = StatusTracker(source: source, seed: 0)
        var store: PresenceStore?
        var counters = PresenceCounters()
        if let stateDirectory {
            let opened = try PresenceStore(directory: stateDirectory)
            let loaded = try opened.load()
            tracker.restore(events: loaded.events)
            counters.restoredEvents = loaded.events.count
            counters.problems["bad_state_line", default: 0] += loaded.badLines
            if loaded.badLines > 0 {
                logger.warning("skipped \(loaded.badLines) unreadable lines in \(opened.directory.path) (a line cut short by a crash is expected)")
            }
            logger.info("online status loaded", metadata: [
                "directory": "\(opened.directory.path)", "events": "\(loaded.events.count)",
                "clients": "\(tracker.presence.clientCount)",
            ])
            store = opened
        }
        state = Mutex(State(tracker: tracker, store: store, counters: counters))
    }

    /// Whether a broker message on `topic` is a status message.
    public func accepts(topic: String) -> Bool {
        topicMatcher.accepts(topic: topic)
    }

    /// Applies one status message from the broker and returns the status events it gives, already in the
    /// view and in the journal. Malformed and unknown messages are counted and logged once per kind.
    public func ingest(topic: String, payload: [UInt8], receivedAt: Int64) -> [StatusEvent] {
        state.withLock { state -> [StatusEvent] in
            let result = state.tracker.ingest(topic: topic, payload: payload, receivedAt: receivedAt)
            state.counters.messages += 1
            state.counters.dispositions[result.disposition.rawValue, default: 0] += 1
            if let problem = result.problem {
                let kind = problem.kind.rawValue
                state.counters.problems[kind, default: 0] += 1
                if state.loggedKinds.insert(kind).inserted {
                    logger.warning("status message on \(topic) not understood (\(kind)): \(problem.message); further ones of this kind are only counted")
                }
            }
            for event in result.events {
                state.counters.events[event.eventType.rawValue, default: 0] += 1
            }
            if let store = state.store, !result.events.isEmpty {
                do {
                    try store.append(result.events)
                    if store.journalBytes >= store.compactAfterBytes {
                        try store.compact(state.tracker.snapshotEvents())
                    }
                } catch {
                    state.counters.problems["state_write_failed", default: 0] += 1
                    if state.loggedKinds.insert("state_write_failed").inserted {
                        logger.error("cannot keep the online status on disk: \(error)")
                    }
                }
            }
            return result.events
        }
    }

    /// Whether the client has an open channel.
    public func isOnline(_ clientId: String) -> Bool {
        state.withLock { $0.tracker.presence.isOnline(clientId) }
    }

    /// Whether each client has an open channel, in the order given.
    public func areOnline(_ clientIds: [String]) -> [Bool] {
        state.withLock { state in clientIds.map { state.tracker.presence.isOnline($0) } }
    }

    /// What the view holds for one client; nil when no event of it was seen.
    public func client(_ clientId: String) -> ClientPresence? {
        state.withLock { $0.tracker.presence.client(clientId) }
    }

    /// Clients the view holds.
    public var trackedClients: Int {
        state.withLock { $0.tracker.presence.clientCount }
    }

    /// Running totals, for metrics and tests.
    public func counters() -> PresenceCounters {
        state.withLock { $0.counters }
    }

    /// Writes a snapshot and closes the journal; the view stays readable.
    public func close() {
        state.withLock { state in
            guard let store = state.store else { return }
            do {
                try store.compact(state.tracker.snapshotEvents())
            } catch {
                logger.error("cannot write the online status snapshot: \(error)")
            }
            store.close()
            state.store = nil
        }
    }
}

/// Totals of the status path.
public struct PresenceCounters: Sendable, Equatable {
    /// Status messages received from the broker.
    public var messages = 0
    /// Status events produced, by event type.
    public var events: [String: Int] = [:]
    /// Messages not understood, by kind.
    public var problems: [String: Int] = [:]
    /// What became of each message (emitted, ignored, duplicate, stale, unknown_client, late_connect,
    /// rejected).
    public var dispositions: [String: Int] = [:]
    /// Events read back from disk at start.
    public var restoredEvents = 0

    public init() {}
}
