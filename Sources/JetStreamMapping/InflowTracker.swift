import BridgeCore

/// The JetStream worker's inflow decisions, with no I/O: messages fetched from the durable pull consumers
/// go to the hub as a producer's would, and each is settled on JetStream only by the hub's answer.
///
/// - The hub's `ACK` (the broker has the publish, at QoS ≥ 1) acks the JetStream message.
/// - A rejection by the rules (SPEC §5, any translation error code) dead-letters it: the shell republishes
///   it to the DLQ subject with an `Mq-Error` header, and terminates it once the DLQ has it (or NAKs it
///   when the DLQ publish fails, so it is tried again later).
/// - Any other refusal (the broker failed the publish, no MQTT worker) NAKs it with a delay: it waits in
///   the stream and comes back.
/// - While the hub holds a message (the broker is down, the MQTT worker's window is full) the shell keeps
///   telling JetStream it is in progress, every third of the ack wait, so JetStream never redelivers it
///   behind the hub's back and it is never published twice because of a timeout.
///
/// Messages are named by a token the shell gives each fetched message. Time is a monotonic clock passed in.
public struct InflowTracker: Sendable {
    public struct Settings: Sendable, Equatable {
        /// The consumers' ack wait: JetStream redelivers a message not acked, NAKed or marked in progress
        /// within it.
        public var ackWaitMs: Int64
        /// The delay of a NAK after a refusal that may pass (e.g. the broker is down).
        public var retryDelayMs: Int64

        public init(ackWaitMs: Int64 = 30_000, retryDelayMs: Int64 = 1_000) {
            self.ackWaitMs = max(3, ackWaitMs)
            self.retryDelayMs = retryDelayMs
        }

        /// How often a message the hub holds is marked in progress.
        public var progressEveryMs: Int64 { ackWaitMs / 3 }
    }

    public enum Action: Sendable, Equatable {
        /// Send the message to the hub as `DATA` with this seq.
        case sendToHub(seq: UInt64, QueueMessage)
        case ack(token: UInt64)
        case nak(token: UInt64, delayMs: Int64)
        case inProgress(token: UInt64)
        /// Republish to the DLQ with `Mq-Error: <code>: <message>`, then report `deadLettered`.
        case deadLetter(token: UInt64, code: String, message: String)
        /// Terminate: JetStream never delivers it again.
        case term(token: UInt64)
    }

    public struct Counters: Sendable, Equatable {
        public var fetched = 0
        /// Published to MQTT (the hub acknowledged) and acked on JetStream.
        public var acked = 0
        /// Refusals that may pass: NAKed to come back later.
        public var retried = 0
        /// Rejections moved to the DLQ and terminated.
        public var deadLettered = 0
        /// DLQ publishes that failed (the message is NAKed and tried again).
        public var deadLetterFailures = 0
        public init() {}
    }

    struct Pending: Sendable {
        var token: UInt64
        var lastProgress: Int64
    }

    public let settings: Settings
    public private(set) var counters = Counters()
    var nextSeq: UInt64 = 1
    var atHub: [UInt64: Pending] = [:]
    /// Tokens being dead-lettered, with the reason, until the DLQ publish is reported.
    var deadLettering: Set<UInt64> = []

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// Messages handed to the hub and not yet answered.
    public var atHubCount: Int { atHub.count }

    /// Codes of refusals that are final: the message can never be published as it is.
    public static func isFinal(code: String) -> Bool {
        TranslationError.Reason(rawValue: code) != nil || code == "malformed_message"
    }

    /// A message fetched from JetStream: the queue-side message read from it, or why it cannot be read.
    public mutating func fetched(token: UInt64, _ message: Result<QueueMessage, MalformedMessage>, now: Int64) -> [Action] {
        counters.fetched += 1
        switch message {
        case .success(let message):
            let seq = nextSeq
            nextSeq += 1
            atHub[seq] = Pending(token: token, lastProgress: now)
            return [.sendToHub(seq: seq, message)]
        case .failure(let problem):
            deadLettering.insert(token)
            return [.deadLetter(token: token, code: "malformed_message", message: problem.description)]
        }
    }

    /// The hub published the message (and the broker acknowledged it at QoS ≥ 1).
    public mutating func hubAcknowledged(seq: UInt64) -> [Action] {
        guard let pending = atHub.removeValue(forKey: seq) else { return [] }
        counters.acked += 1
        return [.ack(token: pending.token)]
    }

    /// The hub refused the message: final rejections go to the DLQ, the rest wait in the stream.
    public mutating func hubRefused(seq: UInt64, code: String, message: String) -> [Action] {
        guard let pending = atHub.removeValue(forKey: seq) else { return [] }
        if Self.isFinal(code: code) {
            deadLettering.insert(pending.token)
            return [.deadLetter(token: pending.token, code: code, message: message)]
        }
        counters.retried += 1
        return [.nak(token: pending.token, delayMs: settings.retryDelayMs)]
    }

    /// The DLQ publish for `token` ended: terminate the message once the DLQ has it, else try again later.
    public mutating func deadLettered(token: UInt64, stored: Bool) -> [Action] {
        guard deadLettering.remove(token) != nil else { return [] }
        if stored {
            counters.deadLettered += 1
            return [.term(token: token)]
        }
        counters.deadLetterFailures += 1
        return [.nak(token: token, delayMs: settings.retryDelayMs)]
    }

    /// The hub this worker talks to restarted (a new session): what the old one held is unknown to the new
    /// one, so it comes back from the stream. A message the old hub had already published may then be
    /// published again; the README says so.
    public mutating func hubRestarted() -> [Action] {
        let tokens = atHub.values.map(\.token).sorted()
        atHub.removeAll()
        counters.retried += tokens.count
        return tokens.map { .nak(token: $0, delayMs: 0) }
    }

    /// The clock moved: messages the hub still holds are marked in progress before their ack wait ends.
    public mutating func tick(now: Int64) -> [Action] {
        var actions: [Action] = []
        for (seq, pending) in atHub where now - pending.lastProgress >= settings.progressEveryMs {
            atHub[seq]!.lastProgress = now
            actions.append(.inProgress(token: pending.token))
        }
        return actions
    }
}

/// Why a JetStream message cannot be read as a queue-side message.
public struct MalformedMessage: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
