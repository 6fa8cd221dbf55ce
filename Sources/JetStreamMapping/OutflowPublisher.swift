import BridgeCore

/// The JetStream worker's outflow decisions, with no I/O: which hub delivery is published when, when the
/// hub is acknowledged, and when a publish that failed or went unanswered is sent again. Events go in (a
/// delivery from the hub, a publish result, a tick of a monotonic clock) and actions come out for the I/O
/// shell to carry out.
///
/// The contract it keeps: a delivery is acknowledged to the hub only once JetStream has stored its message
/// (a PubAck, `duplicate` or not); nothing is ever given up. A publish that fails, or has no answer within
/// `ackTimeoutMs`, is sent again with the same `msgId` after a back-off, so JetStream's duplicate window
/// stores it once. At most `maxInFlight` publishes wait for an answer; the rest wait here in order (the hub
/// never sends more than the worker's window, so this is bounded too).
public struct OutflowPublisher: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Publishes waiting for JetStream's answer at once.
        public var maxInFlight: Int
        /// A publish with no answer for this long counts as failed and is sent again.
        public var ackTimeoutMs: Int64
        /// The first retry's delay; it doubles per failure of the same message up to `maxBackoffMs`.
        public var initialBackoffMs: Int64
        public var maxBackoffMs: Int64

        public init(maxInFlight: Int = 1024, ackTimeoutMs: Int64 = 5_000, initialBackoffMs: Int64 = 100, maxBackoffMs: Int64 = 5_000) {
            self.maxInFlight = max(1, maxInFlight)
            self.ackTimeoutMs = ackTimeoutMs
            self.initialBackoffMs = initialBackoffMs
            self.maxBackoffMs = max(initialBackoffMs, maxBackoffMs)
        }
    }

    /// What the shell must do.
    public enum Action: Sendable, Equatable {
        /// Publish asynchronously with `Nats-Msg-Id` = `msgId`; its result comes back as `published`.
        case publish(msgId: String, QueueMessage)
        /// Acknowledge these hub deliveries (JetStream has stored their message).
        case acknowledge(seqs: [UInt64])
        /// Refuse this hub delivery: it can never be stored (the engine says so for good).
        case refuse(seq: UInt64, code: String, message: String)
    }

    /// How a publish ended.
    public enum Outcome: Sendable, Equatable {
        case stored(duplicate: Bool)
        /// May succeed when sent again (no connection, a timeout, a full stream, …).
        case failed(reason: String)
        /// Never succeeds (e.g. larger than the server's maximum payload).
        case rejected(code: String, reason: String)
    }

    public struct Counters: Sendable, Equatable {
        /// Publishes sent, first sends and resends.
        public var published = 0
        /// Messages stored (PubAck), duplicates included.
        public var stored = 0
        /// PubAcks that said the message was a duplicate (stored before, e.g. by a resend).
        public var duplicates = 0
        /// Publishes sent again after a failure or a timeout.
        public var resends = 0
        /// Failed publishes (each is sent again).
        public var failures = 0
        /// Publishes that went unanswered for `ackTimeoutMs`.
        public var timeouts = 0
        /// Deliveries refused for good.
        public var refused = 0
        public init() {}
    }

    struct Entry: Sendable {
        var message: QueueMessage
        /// Hub deliveries carrying this message (more than one when the hub sent it again meanwhile).
        var seqs: [UInt64]
        /// Arrival order, so that retries keep the order messages came in.
        var order: UInt64
        var attempts = 0
        var state: State
    }

    enum State: Sendable, Equatable {
        /// Waiting for a slot (first send, or a retry whose time has come).
        case queued
        case inFlight(since: Int64)
        case backingOff(until: Int64)
    }

    public let settings: Settings
    public private(set) var counters = Counters()
    var entries: [String: Entry] = [:]
    /// msgIds waiting for their first send, in order (`head` is the next one).
    var queue: [String] = []
    var head = 0
    /// msgIds due to be sent again, oldest message first; they go before `queue`.
    var retries: [String] = []
    var inFlight = 0
    var arrivals: UInt64 = 0
    /// The latest failure, for health reports.
    public private(set) var lastFailure: String?

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// Messages received from the hub and not yet stored.
    public var pendingCount: Int { entries.count }
    /// Publishes waiting for an answer.
    public var inFlightCount: Int { inFlight }

    /// A delivery from the hub. A message already pending under the same `msgId` is not published twice:
    /// the delivery is acknowledged with it.
    public mutating func deliver(seq: UInt64, _ message: QueueMessage, now: Int64) -> [Action] {
        guard let msgId = message.msgId, !msgId.isEmpty else {
            counters.refused += 1
            return [.refuse(seq: seq, code: "missing_msg_id", message: "the hub sent a message without msgId")]
        }
        if entries[msgId] != nil {
            entries[msgId]!.seqs.append(seq)
            return []
        }
        arrivals += 1
        entries[msgId] = Entry(message: message, seqs: [seq], order: arrivals, state: .queued)
        queue.append(msgId)
        return pump(now: now)
    }

    /// The answer to a publish. Results for messages no longer pending (a late answer to a publish that
    /// was already sent again and stored) are ignored.
    public mutating func published(msgId: String, _ outcome: Outcome, now: Int64) -> [Action] {
        guard let entry = entries[msgId] else { return [] }
        if case .inFlight = entry.state { inFlight -= 1 } else if case .stored = outcome {
            // An answer to an earlier send of a message that was since queued again: stored is stored.
        } else {
            return []
        }
        var actions: [Action] = []
        switch outcome {
        case .stored(let duplicate):
            counters.stored += 1
            if duplicate { counters.duplicates += 1 }
            // A queued copy of the msgId left in `queue` or `retries` is skipped by `pump`.
            entries[msgId] = nil
            if !entry.seqs.isEmpty { actions.append(.acknowledge(seqs: entry.seqs)) }
        case .failed(let reason):
            counters.failures += 1
            lastFailure = reason
            entries[msgId]!.state = .backingOff(until: now + backoff(afterAttempts: entry.attempts))
        case .rejected(let code, let reason):
            counters.refused += entry.seqs.count
            lastFailure = reason
            entries[msgId] = nil
            for seq in entry.seqs { actions.append(.refuse(seq: seq, code: code, message: reason)) }
        }
        return actions + pump(now: now)
    }

    /// The clock moved: unanswered publishes past their timeout fail, backed-off ones whose time has come
    /// are queued again, and free slots are filled.
    public mutating func tick(now: Int64) -> [Action] {
        var due: [String] = []
        for (msgId, entry) in entries {
            switch entry.state {
            case .inFlight(let since) where now - since >= settings.ackTimeoutMs:
                counters.timeouts += 1
                counters.failures += 1
                lastFailure = "no answer from JetStream within \(settings.ackTimeoutMs) ms"
                inFlight -= 1
                entries[msgId]!.state = .backingOff(until: now + backoff(afterAttempts: entry.attempts))
            case .backingOff(let until) where until <= now:
                due.append(msgId)
            default:
                break
            }
        }
        // Retries go in the order their messages came, ahead of anything newer.
        for msgId in due { entries[msgId]!.state = .queued }
        retries += due
        retries.sort { (entries[$0]?.order ?? 0) < (entries[$1]?.order ?? 0) }
        return pump(now: now)
    }

    /// The connection came back: messages backing off are sent again at once.
    public mutating func reconnected(now: Int64) -> [Action] {
        for (msgId, entry) in entries {
            if case .backingOff = entry.state { entries[msgId]!.state = .backingOff(until: now) }
        }
        return tick(now: now)
    }

    /// The hub numbers its deliveries afresh (this worker said HELLO again): the seqs held so far name
    /// nothing any more. The messages are still published; the hub sends them again under new seqs.
    public mutating func forgetDeliveries() {
        for msgId in entries.keys { entries[msgId]!.seqs.removeAll() }
    }

    /// The earliest time something is due (a timeout or a retry), for the shell's poll timeout.
    public func nextDeadline() -> Int64? {
        entries.values.lazy.compactMap { entry -> Int64? in
            switch entry.state {
            case .queued: nil
            case .inFlight(let since): since + settings.ackTimeoutMs
            case .backingOff(let until): until
            }
        }.min()
    }

    mutating func pump(now: Int64) -> [Action] {
        var actions: [Action] = []
        var retried = 0
        defer { retries.removeFirst(retried) }
        while inFlight < settings.maxInFlight {
            let msgId: String
            if retried < retries.count {
                msgId = retries[retried]
                retried += 1
            } else if head < queue.count {
                msgId = queue[head]
                head += 1
            } else {
                break
            }
            guard var entry = entries[msgId], entry.state == .queued else { continue }
            if entry.attempts > 0 { counters.resends += 1 }
            entry.attempts += 1
            entry.state = .inFlight(since: now)
            entries[msgId] = entry
            inFlight += 1
            counters.published += 1
            actions.append(.publish(msgId: msgId, entry.message))
        }
        if head > 1_024 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return actions
    }

    func backoff(afterAttempts attempts: Int) -> Int64 {
        let shift = min(max(0, attempts - 1), 20)
        return min(settings.maxBackoffMs, settings.initialBackoffMs << Int64(shift))
    }
}
