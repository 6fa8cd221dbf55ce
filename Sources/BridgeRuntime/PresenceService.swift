import BridgeCore
import BridgeHub
import BridgePresence
import Foundation
import Logging
import Synchronization

/// The online-status view, shared by the hub thread (which feeds it the broker's status messages) and the
/// API thread (which answers queries from it), and kept on disk between runs.
///
/// Two locks: `state` guards the view in memory and is held only while it is read or changed, never across a
/// disk write, so a query is never kept waiting by the disk; `files` guards the files and is held across an
/// update of the view and its journal write, so that records reach the journal in the order they were
/// applied. `files` is taken before `state` when both are.
public final class PresenceService: Sendable {
    /// Where the broker's status messages come from.
    public let source: StatusSource
    /// The broker topics MQTT workers subscribe to for them.
    public let subscriptions: [String]
    private let state: Mutex<State>
    private let files: Mutex<Files>
    private let logger: Logger
    /// `status.forgetOfflineAfter` in ms; nil keeps every client.
    public let forgetOfflineAfterMs: Int64?
    /// Called before each journal write; tests use it to make the disk slow.
    private let beforeJournalWrite: (@Sendable () -> Void)?

    struct State {
        var tracker: StatusTracker
        var counters = PresenceCounters()
        /// Problem kinds already logged: each is logged once, then only counted.
        var loggedKinds: Set<String> = []
        /// The latest status events produced, for the console.
        var recentEvents = RecentList<StatusEvent>(capacity: PresenceService.recentEventCapacity)
    }

    /// How many of the latest status events ``recentEvents()`` keeps.
    public static let recentEventCapacity = 50

    struct Files {
        /// Nil: memory only, or closed.
        var store: PresenceStore?
    }

    /// Loads the view kept in `stateDirectory` (nil: memory only).
    /// - Throws: `PresenceStoreError` when the directory or its files cannot be used.
    /// - Parameters:
    ///   - forgetOfflineAfter: clients offline for longer leave the view (`status.forgetOfflineAfter`); nil
    ///     keeps every client. Applied to what is loaded, then by `forgetOffline(now:)`.
    ///   - now: the current time in ms since the epoch, for the pass over what is loaded (nil: the wall clock).
    public convenience init(source: StatusSource, stateDirectory: String?, forgetOfflineAfter: Duration? = nil,
                            now: Int64? = nil, logger: Logger) throws {
        try self.init(
            source: source, stateDirectory: stateDirectory, forgetOfflineAfter: forgetOfflineAfter, now: now, logger: logger,
            beforeJournalWrite: nil)
    }

    init(source: StatusSource, stateDirectory: String?, forgetOfflineAfter: Duration? = nil, now: Int64? = nil,
         logger: Logger, beforeJournalWrite: (@Sendable () -> Void)?) throws {
        let now = now ?? WallClock.epochMs()
        self.source = source
        self.forgetOfflineAfterMs = forgetOfflineAfter.map { duration in
            let (seconds, attoseconds) = duration.components
            return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        }
        self.beforeJournalWrite = beforeJournalWrite
        self.subscriptions = StatusTracker.subscriptions(for: source)
        self.logger = logger
        // Channel IDs of Mosquitto connections are random from this seed: a new one every start.
        var tracker = StatusTracker(source: source, seed: UInt64.random(in: 0...UInt64.max))
        var store: PresenceStore?
        var counters = PresenceCounters()
        if let stateDirectory {
            let opened = try PresenceStore(directory: stateDirectory)
            let loaded = try opened.load()
            tracker.restore(events: loaded.events)
            counters.restoredEvents = loaded.events.count
            if let after = forgetOfflineAfterMs {
                let forgotten = tracker.forgetOffline(before: now - after)
                if forgotten > 0 {
                    counters.forgottenClients += forgotten
                    try opened.compact(tracker.snapshotEvents())
                    logger.info("forgot \(forgotten) clients offline for longer than \(after / 1_000) s")
                }
            }
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
        state = Mutex(State(tracker: tracker, counters: counters))
        files = Mutex(Files(store: store))
    }

    /// Applies one status message from the broker and returns the status events it gives, already in the
    /// view and in the journal. Malformed and unknown messages are counted and logged once per kind.
    public func ingest(topic: String, payload: [UInt8], receivedAt: Int64) -> [StatusEvent] {
        files.withLock { files -> [StatusEvent] in
            let events = state.withLock { state -> [StatusEvent] in
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
                    state.recentEvents.append(event)
                }
                return result.events
            }
            // The view is updated and its lock released: queries go on while the journal is written.
            if let store = files.store, !events.isEmpty {
                do {
                    beforeJournalWrite?()
                    try store.append(events)
                    if store.journalBytes >= store.compactAfterBytes {
                        // A copy of the view (the snapshot works on one), written without the view's lock.
                        let snapshot = state.withLock { $0.tracker.snapshotEvents() }
                        try store.compact(snapshot)
                    }
                } catch {
                    writeFailed(error)
                }
            }
            return events
        }
    }

    private func writeFailed(_ error: any Error) {
        state.withLock { state in
            state.counters.problems["state_write_failed", default: 0] += 1
            if state.loggedKinds.insert("state_write_failed").inserted {
                logger.error("cannot keep the online status on disk: \(error)")
            }
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

    /// Clients with at least one open channel.
    public var onlineClients: Int {
        state.withLock { $0.tracker.presence.onlineClientCount }
    }

    /// The latest status events produced since start, oldest first.
    public func recentEvents() -> [StatusEvent] {
        state.withLock { $0.recentEvents.elements }
    }

    /// Running totals, for metrics and tests.
    public func counters() -> PresenceCounters {
        state.withLock { $0.counters }
    }

    /// Forgets the clients offline since before `now` minus `forgetOfflineAfter` and, when some were, writes
    /// the snapshot so that they stay forgotten after a restart. Returns how many were forgotten.
    @discardableResult
    public func forgetOffline(now: Int64) -> Int {
        guard let after = forgetOfflineAfterMs else { return 0 }
        return files.withLock { files -> Int in
            // With `files` held nothing else changes the view: the pass runs on a copy, without the view's
            // lock, and the result replaces the view in one step.
            var tracker = state.withLock { $0.tracker }
            let forgotten = tracker.forgetOffline(before: now - after)
            guard forgotten > 0 else { return 0 }
            state.withLock { state in
                state.tracker = tracker
                state.counters.forgottenClients += forgotten
            }
            if let store = files.store {
                do {
                    try store.compact(tracker.snapshotEvents())
                } catch {
                    writeFailed(error)
                }
            }
            return forgotten
        }
    }

    /// Writes a snapshot and closes the journal; the view stays readable.
    public func close() {
        files.withLock { files in
            guard let store = files.store else { return }
            let snapshot = state.withLock { $0.tracker.snapshotEvents() }
            do {
                try store.compact(snapshot)
            } catch {
                logger.error("cannot write the online status snapshot: \(error)")
            }
            store.close()
            files.store = nil
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
    /// Clients forgotten after being offline for longer than `status.forgetOfflineAfter`.
    public var forgottenClients = 0

    public init() {}
}
