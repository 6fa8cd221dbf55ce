import BridgeCore
import WireProtocol

/// The hub's decisions, with no I/O: which consumer gets which message, when a worker or producer is
/// acknowledged, who is gone. Events go in (a decoded message from a peer, a tick of the clock) and
/// actions come out for the I/O shell to carry out. Time is passed in, never read.
public struct HubRouter: Sendable {
    public private(set) var mappings: MappingTable
    public let settings: HubSettings
    /// `settings.statusSubscriptions`, parsed: a worker's message on one of them is a status message.
    let statusFilters: [TopicFilter]
    public internal(set) var counters = HubCounters()

    let session: String
    let idPrefix: String
    var idCounter: UInt64 = 0

    // MQTT workers and the outflow messages they wait on.
    struct Worker: Sendable {
        var name: String
        var window: Int
        var lastSeen: Int64
        var nextSeq: UInt64 = 1
        /// Inflow publishes sent to this worker and not yet settled, by the hub's seq.
        var inflight: [UInt64: InflowPending] = [:]
        /// The worker reads batched acknowledgements (it said `batchAck` in HELLO).
        var batchAck = false
        /// Outflow seqs settled end to end and not yet acknowledged: gathered for one batched `ACK` (see
        /// `flushWorkerAcks`).
        var acksDue: [UInt64] = []

        /// How an outflow message settled end to end is acknowledged.
        enum Acknowledgement {
            /// At once, with an `ACK` of its own (the worker does not read the batched form).
            case now
            /// Gathered in `acksDue`; `first` when it is the first one since the last flush.
            case gathered(first: Bool)
        }

        /// Gathers `seq` for the next batched `ACK` when the worker reads that form.
        mutating func acknowledge(_ seq: UInt64) -> Acknowledgement {
            guard batchAck else { return .now }
            acksDue.append(seq)
            return .gathered(first: acksDue.count == 1)
        }
    }

    struct OutflowKey: Sendable, Hashable {
        var worker: PeerID
        var seq: UInt64
    }

    var workers: [PeerID: Worker] = [:]

    /// What the hot path reads of a worker or consumer for every message, apart from `workers` and
    /// `consumers`: reading a field through those copies the whole record out of the dictionary (its
    /// strings, its window of deliveries), once per message. Set when the peer joins, gone when it leaves.
    struct Hot: Sendable {
        /// The peer reads `BATCH` up to this many bytes of records (`batchBytes` in HELLO).
        var batchBytes: Int?
        /// A worker's outflow journal (`journal` in HELLO): with it, queue-side message IDs derive from the
        /// journal and the seq, so a resent message keeps its ID.
        var journal: String?
    }

    var hot: [PeerID: Hot] = [:]
    /// Workers with seqs in `acksDue`, in the order their first one was settled.
    var workersWithAcksDue: [PeerID] = []
    /// Deliveries still unsettled for each outflow message; at zero the worker is acknowledged.
    var outflowPending: [OutflowKey: Int] = [:]

    // Consumers.
    struct Delivery: Sendable {
        var origin: OutflowKey?
        var message: QueueMessage
    }

    struct GroupKey: Sendable, Hashable {
        var topic: String
        var group: String
    }

    struct Consumer: Sendable {
        var name: String
        var topic: String
        var tags: TagExpression
        var group: GroupKey?
        var window: Int
        var lastSeen: Int64
        var nextSeq: UInt64 = 1
        var unacked: [UInt64: Delivery] = [:]
        var queue = FIFO<Delivery>()

        var load: Int { unacked.count + queue.count }

        /// Queues a delivery and pumps the window when the consumer's tags accept the message; false otherwise.
        mutating func takeIfAccepted(_ delivery: Delivery, _ send: (UInt64, Delivery) -> Void) -> Bool {
            guard tags.accepts(delivery.message.tag) else { return false }
            pushAndPump(delivery, send)
            return true
        }

        /// Queues a delivery, then pumps the window (`pumpWindow`).
        mutating func pushAndPump(_ delivery: Delivery, _ send: (UInt64, Delivery) -> Void) {
            queue.push(delivery)
            pumpWindow(send)
        }

        /// Takes the deliveries of `seqs` out of the window; `each` sees each seq with its delivery, or nil
        /// for a seq the window does not hold.
        mutating func takeUnacked(_ seqs: [UInt64], _ each: (UInt64, Delivery?) -> Void) {
            for seq in seqs { each(seq, unacked.removeValue(forKey: seq)) }
        }

        /// Moves queued deliveries into the window while it has room, numbering them; `send` sees each one.
        mutating func pumpWindow(_ send: (UInt64, Delivery) -> Void) {
            while unacked.count < window, let delivery = queue.pop() {
                let seq = nextSeq
                nextSeq += 1
                unacked[seq] = delivery
                send(seq, delivery)
            }
        }
    }

    struct Group: Sendable {
        var members: [PeerID] = []
        /// Sticky per-key routing: a key stays with its member while that member is connected.
        var keyOwner: [String: PeerID] = [:]
    }

    var consumers: [PeerID: Consumer] = [:]
    var consumersByTopic: [String: [PeerID]] = [:]
    var groups: [GroupKey: Group] = [:]
    var groupsByTopic: [String: [GroupKey]] = [:]
    /// Durable groups that have subscribed, with the tags they take, and what they missed while away.
    var durable: [GroupKey: TagExpression] = [:]
    var durableByTopic: [String: [GroupKey]] = [:]
    var durableBacklog: [GroupKey: FIFO<Delivery>] = [:]

    // Engine workers (`HubRouter+Engine`): kept in `consumers`, listed here in the order they joined.
    var engines: [PeerID] = []
    var engineKeyOwner: [String: PeerID] = [:]
    /// Deliveries held while the mapping file names an engine and none is connected.
    var engineBacklog = FIFO<Delivery>()

    // Producers and inflow.
    struct InflowPending: Sendable {
        var producer: PeerID
        var producerSeq: UInt64
        var msgId: String
        var ruleId: String
        var publish: MQTTMessage
        /// When it arrived (monotonic): past `inflowDeadlineMs` in the backlog it is refused.
        var arrivedAt: Int64 = 0
        /// Handed to a worker once: the broker may have it, so it is never refused for waiting (it goes to
        /// the next worker when its worker leaves).
        var handedOut = false
    }

    var producers: [PeerID: Int64] = [:]
    /// The names producers gave in `HELLO`, for the console.
    var producerNames: [PeerID: String] = [:]
    /// The latest refusals, for the console (`noteRejection`).
    var recentRejections = RecentList<Rejection>(capacity: HubRouter.recentRejectionCapacity)
    /// The latest time the router was given, on a monotonic clock: heartbeats and timeouts are measured on it.
    var now: Int64 = 0
    /// The latest wall-clock time (milliseconds since the epoch) the router was given: it stamps
    /// `bornTimestamp` and times deliveries, and decides nothing, so a step of the wall clock drops no peer.
    var wallNow: Int64 = 0
    var inflowBacklog = FIFO<InflowPending>()
    var producersPaused = false

    /// - Parameters:
    ///   - session: names this hub run in `WELCOME`.
    ///   - idPrefix: 16 hex characters that start every `msgId` of this run (random per start).
    ///   - durable: the durable subscriptions an earlier run registered; their groups' messages are kept
    ///     from the start, before any member connects. Ones of groups no longer durable are forgotten. Those
    ///     the mapping file declares (`settings.declaredDurable`) are registered too, after these.
    public init(mappings: MappingTable, settings: HubSettings = HubSettings(), session: String, idPrefix: String,
                durable: [DurableSubscription] = []) {
        self.mappings = mappings
        self.settings = settings
        statusFilters = settings.statusSubscriptions.compactMap { try? TopicFilter($0) }
        self.session = session
        self.idPrefix = idPrefix
        for subscription in durable + settings.declaredDurable {
            guard let tags = try? TagExpression(subscription.tags) else { continue }
            _ = registerDurable(GroupKey(topic: subscription.topic, group: subscription.group), tags: tags)
        }
    }

    /// A new message ID: the run's prefix and a counter, 32 hex characters.
    mutating func nextMessageId() -> String {
        idCounter += 1
        let counter = idCounter
        let prefix = idPrefix.utf8
        // Written in one go: this runs for every message the hub routes.
        return String(unsafeUninitializedCapacity: prefix.count + 16) { buffer in
            var index = 0
            for byte in prefix {
                buffer[index] = byte
                index += 1
            }
            for shift in stride(from: 60, through: 0, by: -4) {
                buffer[index] = HubRouter.hexDigits[Int((counter >> UInt64(shift)) & 0xF)]
                index += 1
            }
            return index
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Replaces the rules at once: every message received from now on is translated with the new ones;
    /// messages already routed are not affected. Workers get a new `WELCOME` (same session) with the new
    /// subscriptions and parent topics.
    public mutating func replaceMappings(_ mappings: MappingTable) -> [HubAction] {
        self.mappings = mappings
        return workers.keys.sorted { $0.routingId.lexicographicallyPrecedes($1.routingId) }.map { .send($0, .welcome(workerWelcome())) }
    }

    /// The `WELCOME` an MQTT worker gets: what to subscribe to and where it may publish.
    func workerWelcome() -> Welcome {
        var welcome = peerWelcome
        welcome.subscriptions = mappings.outflowFilters
        welcome.parents = mappings.inflowParents.sorted()
        if !settings.statusSubscriptions.isEmpty { welcome.statusSubscriptions = settings.statusSubscriptions }
        return welcome
    }

    /// The `WELCOME` every peer gets: the session, the heartbeat, and the batched forms the hub reads.
    var peerWelcome: Welcome {
        Welcome(
            session: session, heartbeatMs: Int(settings.heartbeatMs), batchAck: true,
            batchBytes: min(settings.maxMessageBytes ?? BatchWriter.defaultBatchBytes, BatchWriter.defaultBatchBytes))
    }

    /// How many bytes of `BATCH` records `peer` reads (it said `batchBytes` in HELLO); nil: single `DATA` only.
    public func batchBytes(of peer: PeerID) -> Int? {
        hot[peer]?.batchBytes
    }

    /// Whether `peer` has said HELLO and is still connected.
    public func knows(_ peer: PeerID) -> Bool {
        switch peer.link {
        case .workers: workers[peer] != nil || consumers[peer] != nil
        case .consumers: consumers[peer] != nil
        case .producers: producers[peer] != nil
        }
    }

    /// Counters with the gauges filled in: in flight, held for durable groups, peers.
    public var snapshot: HubCounters {
        var snapshot = counters
        snapshot.heldForDurableGroups = heldForDurableGroups
        snapshot.heldForEngine = heldForEngine
        snapshot.engines = engines.count
        snapshot.inFlight = consumers.values.reduce(0) { $0 + $1.load }
        (snapshot.workers, snapshot.consumers, snapshot.producers) = peerCounts
        snapshot.peers = peerSummaries
        snapshot.recentRejections = recentRejections.elements
        return snapshot
    }

    /// How many peers of each kind are connected.
    public var peerCounts: (workers: Int, consumers: Int, producers: Int) {
        (workers.count, consumers.count - engines.count, producers.count)
    }

    // MARK: - Events

    /// A decoded message from a peer. `now` is milliseconds on a monotonic clock (peers' liveness);
    /// `wallClock` is milliseconds since the epoch (it stamps `bornTimestamp`), `now` when not given.
    public mutating func receive(_ message: WireMessage, from peer: PeerID, now: Int64, wallClock: Int64? = nil) -> [HubAction] {
        var actions: [HubAction] = []
        receive(message, from: peer, now: now, wallClock: wallClock, into: &actions)
        return actions
    }

    /// `receive(_:from:now:wallClock:)`, adding the actions to `actions`: the shell keeps one array for all
    /// the records of a `BATCH` instead of one per message. Outflow `DATA` and batched acknowledgements, the
    /// messages of the hot path, write into it directly.
    public mutating func receive(
        _ message: WireMessage, from peer: PeerID, now: Int64, wallClock: Int64? = nil, into actions: inout [HubAction]
    ) {
        switch message {
        case .mqttData(let seq, let mqttMessage, let clientId) where peer.link == .workers:
            self.now = now
            wallNow = wallClock ?? now
            guard touch(peer, now: now), !isStatusTopic(mqttMessage.topic) else { break }
            handleOutflow(seq: seq, mqttMessage, clientId: clientId, from: peer, now: now, into: &actions)
            return
        case .acks(let seqs) where peer.link == .consumers:
            self.now = now
            wallNow = wallClock ?? now
            guard touch(peer, now: now) else { break }
            handleConsumerAcks(seqs, from: peer, into: &actions)
            return
        default:
            break
        }
        actions += receiveOther(message, from: peer, now: now, wallClock: wallClock)
    }

    private mutating func receiveOther(_ message: WireMessage, from peer: PeerID, now: Int64, wallClock: Int64?) -> [HubAction] {
        self.now = now
        wallNow = wallClock ?? now
        if case .hello(let hello) = message {
            return handleHello(hello, from: peer, now: now)
        }
        guard touch(peer, now: now) else {
            if message == .bye || message == .pong { return [] }
            if case .error(let report) = message {
                // Nobody answers an ERROR with an ERROR, not even one from a stranger.
                counters.protocolErrors["peer_" + report.code, default: 0] += 1
                return [.log(.warning, kind: "peer_error", "\(peer) reported \(report) before HELLO")]
            }
            return refuse(peer, WireErrorReport(code: WireErrorCode.noHello, message: "send HELLO first"))
        }
        switch message {
        case .ping: return [.send(peer, .pong)]
        case .pong: return []
        case .bye: return removePeer(peer, reason: "said BYE")
        case .credit(let window): return setWindow(window, for: peer)
        case .mqttData(let seq, let mqttMessage, _) where peer.link == .workers && isStatusTopic(mqttMessage.topic):
            return [.ingestStatus(seq: seq, mqttMessage, from: peer)]
        case .mqttData(let seq, let mqttMessage, let clientId) where peer.link == .workers:
            return handleOutflow(seq: seq, mqttMessage, clientId: clientId, from: peer, now: now)
        case .queueData(let seq, let queueMessage) where peer.link == .producers || isEngine(peer):
            return handleInflow(seq: seq, queueMessage, from: peer, now: now)
        case .ack(let seq, _) where peer.link == .consumers || isEngine(peer):
            return handleConsumerAck(seq: seq, from: peer)
        case .ack(let seq, _) where peer.link == .workers:
            return settleInflow(seq: seq, from: peer, error: nil)
        case .acks(let seqs) where peer.link == .consumers || isEngine(peer):
            return handleConsumerAcks(seqs, from: peer)
        case .acks(let seqs) where peer.link == .workers:
            var actions: [HubAction] = []
            for seq in seqs { actions += settleInflow(seq: seq, from: peer, error: nil, pump: false) }
            return actions + pumpInflow()
        case .error(let report) where peer.link == .workers && report.seq != nil && !isEngine(peer):
            return settleInflow(seq: report.seq!, from: peer, error: report)
        case .error(let report) where (peer.link == .consumers || isEngine(peer)) && report.seq != nil:
            // A consumer that refuses a delivery settles it: it is counted, not redelivered to it again.
            noteRejection(.consumer, reason: "consumer_" + report.code, topic: consumers[peer]?.topic ?? "",
                          detail: "consumer '\(consumers[peer]?.name ?? "")' refused a delivery: \(report.message)")
            return handleConsumerAck(seq: report.seq!, from: peer)
                + [.log(.warning, kind: "consumer_refused", "\(peer) refused a delivery: \(report)")]
        case .error(let report):
            counters.protocolErrors["peer_" + report.code, default: 0] += 1
            return [.log(.warning, kind: "peer_error", "\(peer) reported \(report)")]
        default:
            return refuse(peer, WireErrorReport(code: WireErrorCode.malformedMessage, message: "\(message.kind.rawValue) is not expected on the \(peer.link.rawValue) link"))
        }
    }

    /// A message from `peer` that could not be decoded: answer with the error, count it, carry on.
    /// - Parameter kind: the message's kind when its first two frames could be read (`WireCodec.kind(of:)`);
    ///   a broken `ERROR` is counted and logged but not answered, since nobody answers an ERROR with an ERROR.
    public mutating func undecodable(_ error: WireErrorReport, kind: WireMessage.Kind? = nil, from peer: PeerID, now: Int64)
        -> [HubAction]
    {
        _ = touch(peer, now: now)
        if kind == .error {
            counters.protocolErrors[error.code, default: 0] += 1
            return [.log(.warning, kind: error.code, "\(peer) sent an ERROR that cannot be read: \(error.message)")]
        }
        return refuse(peer, error)
    }

    /// The clock moved: drop peers silent for three heartbeats. `now` is on the monotonic clock of `receive`.
    public mutating func tick(now: Int64) -> [HubAction] {
        self.now = now
        var actions = expireInflow(now: now)
        let limit = now - 3 * settings.heartbeatMs
        var silent: [PeerID] = []
        silent += workers.filter { $0.value.lastSeen < limit }.map(\.key)
        silent += consumers.filter { $0.value.lastSeen < limit }.map(\.key)
        // While producers are paused nobody reads their PINGs, so their silence means nothing.
        if !producersPaused {
            silent += producers.filter { $0.value < limit }.map(\.key)
        }
        // A stable order, so that which member takes a departed member's messages does not vary.
        silent.sort { lhs, rhs in
            lhs.link != rhs.link ? lhs.link.rawValue < rhs.link.rawValue : lhs.routingId.lexicographicallyPrecedes(rhs.routingId)
        }
        for peer in silent {
            counters.peersTimedOut += 1
            actions += removePeer(peer, reason: "was silent for \(3 * settings.heartbeatMs) ms")
        }
        return actions
    }

    /// A client status event with no broker message behind it: routed like outflow, with no worker
    /// waiting for the acknowledgement.
    public mutating func publishStatus(_ event: StatusEvent, now: Int64, wallClock: Int64? = nil) -> [HubAction] {
        self.now = now
        wallNow = wallClock ?? now
        var actions: [HubAction] = []
        _ = routeStatus(event, origin: nil, into: &actions)
        return actions
    }

    /// A broker status message from a worker (`DATA` on a status topic), already turned into `events` by
    /// the caller. The events go to the status rules' consumers, and the worker is acknowledged once every
    /// delivery is settled, as for outflow: a status message that reached no consumer is acknowledged at
    /// once.
    public mutating func receiveStatus(seq: UInt64, events: [StatusEvent], from worker: PeerID, now: Int64, wallClock: Int64? = nil)
        -> [HubAction]
    {
        self.now = now
        wallNow = wallClock ?? now
        guard worker.link == .workers, touch(worker, now: now) else {
            return refuse(worker, WireErrorReport(code: WireErrorCode.noHello, message: "send HELLO first"))
        }
        let origin = OutflowKey(worker: worker, seq: seq)
        var actions: [HubAction] = []
        var deliveries = 0
        for event in events {
            deliveries += routeStatus(event, origin: origin, into: &actions)
        }
        if deliveries == 0 {
            actions += acknowledgeOutflow(seq: seq, of: worker)
        } else {
            outflowPending[origin, default: 0] += deliveries
        }
        return actions
    }

    /// Whether `topic` is on one of the status subscriptions. Most messages are told apart by their first
    /// level alone, without parsing the topic.
    func isStatusTopic(_ topic: String) -> Bool {
        guard !statusFilters.isEmpty,
            statusFilters.contains(where: { topic.utf8.starts(with: $0.parent.utf8) && topic.utf8.dropFirst($0.parent.utf8.count).first == UInt8(ascii: "/") }),
            let parsed = try? Topic(topic)
        else { return false }
        return statusFilters.contains { $0.matches(parsed) }
    }

    /// The acknowledgements gathered for workers that read the batched form since the last call: one `ACK`
    /// per worker (`seqs`, or `seq` when there is only one). The I/O shell calls it once per pass of its
    /// loop, after handling what it read, so a busy worker gets one message for many settled ones and an
    /// idle one gets its acknowledgement at once.
    public mutating func flushWorkerAcks() -> [HubAction] {
        guard !workersWithAcksDue.isEmpty else { return [] }
        var actions: [HubAction] = []
        actions.reserveCapacity(workersWithAcksDue.count)
        for peer in workersWithAcksDue {
            if let action = takeAcksDue(of: peer) { actions.append(action) }
        }
        workersWithAcksDue.removeAll(keepingCapacity: true)
        return actions
    }

    /// The `ACK` for the seqs gathered for `peer`, which are forgotten; nil when there are none.
    mutating func takeAcksDue(of peer: PeerID) -> HubAction? {
        guard let seqs = workers[peer]?.acksDue, !seqs.isEmpty else { return nil }
        workers[peer]!.acksDue.removeAll(keepingCapacity: true)
        return .send(peer, seqs.count == 1 ? .ack(seq: seqs[0], msgId: nil) : .acks(seqs: seqs))
    }

    /// Acknowledges an outflow message to its worker: at once, or gathered for the next `flushWorkerAcks`
    /// when the worker reads batched acknowledgements. Nothing when the worker is gone.
    mutating func acknowledgeOutflow(seq: UInt64, of worker: PeerID) -> [HubAction] {
        var actions: [HubAction] = []
        acknowledgeOutflow(seq: seq, of: worker, into: &actions)
        return actions
    }

    /// `acknowledgeOutflow(seq:of:)`, adding what it sends to `actions`; one lookup of the worker.
    mutating func acknowledgeOutflow(seq: UInt64, of worker: PeerID, into actions: inout [HubAction]) {
        // Through the index: `workers[worker]?.…` would move the record out of the dictionary and back.
        guard let index = workers.index(forKey: worker) else { return }
        switch workers.values[index].acknowledge(seq) {
        case .gathered(first: false): break
        case .now: actions.append(.send(worker, .ack(seq: seq, msgId: nil)))
        case .gathered(first: true): workersWithAcksDue.append(worker)
        }
    }

    private mutating func routeStatus(_ event: StatusEvent, origin: OutflowKey?, into actions: inout [HubAction]) -> Int {
        counters.statusEvents[event.eventType.rawValue, default: 0] += 1
        var deliveries = 0
        // Derived from the event, not counted: the same event read again (a broker log line redelivered
        // after a restart) gets the same ID, which an engine's de-duplication recognises.
        let msgId = event.messageID
        for routed in mappings.status(event) {
            counters.outflowRouted[routed.ruleId, default: 0] += 1
            deliveries += dispatch(routed.message, msgId: msgId, origin: origin, into: &actions)
        }
        return deliveries
    }

    // MARK: - Peers

    /// Records life from a known peer; false when the peer has not said HELLO.
    mutating func touch(_ peer: PeerID, now: Int64) -> Bool {
        // One lookup each: the assignment through `?` happens only when the peer is there.
        switch peer.link {
        case .workers:
            if let index = workers.index(forKey: peer) {
                workers.values[index].lastSeen = now
                return true
            }
            guard let index = consumers.index(forKey: peer) else { return false }
            consumers.values[index].lastSeen = now
            return true
        case .consumers:
            guard let index = consumers.index(forKey: peer) else { return false }
            consumers.values[index].lastSeen = now
            return true
        case .producers:
            guard let index = producers.index(forKey: peer) else { return false }
            producers.values[index] = now
            return true
        }
    }

    mutating func refuse(_ peer: PeerID, _ error: WireErrorReport) -> [HubAction] {
        counters.protocolErrors[error.code, default: 0] += 1
        return [
            .send(peer, .error(error)),
            .log(.warning, kind: error.code, "refused a message from \(peer): \(error.message)"),
        ]
    }

    mutating func setWindow(_ window: Int, for peer: PeerID) -> [HubAction] {
        switch peer.link {
        case .workers where isEngine(peer):
            consumers[peer]?.window = window
            return pump(peer)
        case .workers:
            workers[peer]?.window = window
            return pumpInflow()
        case .consumers:
            consumers[peer]?.window = window
            return pump(peer)
        case .producers:
            return []
        }
    }

    mutating func handleHello(_ hello: Hello, from peer: PeerID, now: Int64) -> [HubAction] {
        let expected: [Hello.Role] = switch peer.link {
        case .workers: [.mqttWorker, .engineWorker]
        case .consumers: [.consumer]
        case .producers: [.producer]
        }
        guard expected.contains(hello.role) else {
            let roles = expected.map { "'\($0.rawValue)'" }.joined(separator: " or ")
            return refuse(peer, WireErrorReport(code: WireErrorCode.badHello, message: "the \(peer.link.rawValue) endpoint takes role \(roles), not '\(hello.role.rawValue)'"))
        }
        var tags = TagExpression.all
        if peer.link == .consumers {
            do {
                tags = try TagExpression(hello.tags ?? "*")
            } catch {
                return refuse(peer, WireErrorReport(code: WireErrorCode.badHello, message: error.message))
            }
        }
        var actions = removePeer(peer, reason: "said HELLO again", quiet: true)
        let welcome = peerWelcome
        switch peer.link {
        case .workers where hello.role == .engineWorker:
            actions += joinEngine(hello, peer: peer, now: now)
        case .workers:
            workers[peer] = Worker(name: hello.name, window: hello.paused ? 0 : hello.window, lastSeen: now, batchAck: hello.batchAck)
            hot[peer] = Hot(batchBytes: hello.batchBytes, journal: hello.journal)
            actions.append(.send(peer, .welcome(workerWelcome())))
            actions.append(.log(.info, kind: "worker_joined", "MQTT worker '\(hello.name)' joined (window \(hello.window))"))
            actions += pumpInflow()
        case .producers:
            producers[peer] = now
            producerNames[peer] = hello.name
            actions.append(.send(peer, .welcome(welcome)))
        case .consumers:
            let topic = hello.topic ?? ""
            let group = hello.group.flatMap { $0.isEmpty ? nil : GroupKey(topic: topic, group: $0) }
            consumers[peer] = Consumer(
                name: hello.name, topic: topic, tags: tags, group: group, window: hello.window, lastSeen: now)
            hot[peer] = Hot(batchBytes: hello.batchBytes)
            if let group {
                groups[group, default: Group()].members.append(peer)
                if groups[group]!.members.count == 1 { groupsByTopic[topic, default: []].append(group) }
                if registerDurable(group, tags: tags) {
                    actions.append(.saveDurableSubscriptions(durableSubscriptions))
                }
            } else {
                consumersByTopic[topic, default: []].append(peer)
            }
            actions.append(.send(peer, .welcome(welcome)))
            if let group { actions += releaseDurableBacklog(of: group, to: peer) }
            let groupText = group.map { " in group '\($0.group)'" } ?? ""
            actions.append(.log(.info, kind: "consumer_joined", "consumer '\(hello.name)' subscribed to \(topic) tags \(tags)\(groupText)"))
        }
        return actions
    }
}
