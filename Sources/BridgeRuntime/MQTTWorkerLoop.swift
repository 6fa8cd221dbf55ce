import BridgeCore
import BridgeWorkers
import Logging
import Mosquitto
import WireProtocol
import ZeroMQ

/// The MQTT worker thread's event loop.
struct MQTTWorkerLoop {
    let worker: MQTTWorker
    var log: RateLimitedLogger
    var link: PeerLink?
    var client: MQTTClient?
    /// Whether a connection to the broker is open or being made (libmosquitto has a socket); the loop polls it.
    var connectionOpen = false
    var brokerConnected = false
    /// The last journal commit failed (a full disk): the broker's acknowledgements wait, and so does reading.
    var journalFailing = false
    /// When the broker is asked again after a failed connection.
    var backoff = ReconnectBackoff()
    var subscriptions: [String] = []
    /// Filters subscribed to in this run, while the broker keeps the session.
    var subscribedThisRun: Set<String> = []
    var parents: Set<String> = []
    var statusSubscriptions: [String] = []
    /// Outflow messages not yet settled by the hub, as their `DATA` frames by seq (their journal id when
    /// there is a journal): at most a window of them sent, the rest waiting in order, all sent again if the
    /// hub forgets them.
    var outflow: OutflowWindow<[[UInt8]]>
    /// Settle records and window room of outflow messages the hub settled, and when they are written.
    var settlement: OutflowSettlement
    /// Inflow publishes waiting for the broker, and the acknowledgements due to the hub.
    var inflow = InflowPublishes()
    /// When a stopping worker ends.
    var drain: WorkerDrain
    /// The batch taken from the mailbox, its storage reused from one to the next.
    var events: [MQTTWorker.Event] = []
    /// Mailbox events handled before the hub socket is looked at again.
    static let mailboxPass = 1_024
    /// Packets read from the broker before the hub socket is looked at again.
    static let packetsPerPass = 256

    init(worker: MQTTWorker) {
        self.worker = worker
        self.log = RateLimitedLogger(logger: worker.logger)
        // What an earlier run left in the spool goes first, within the window, from the first WELCOME on.
        var outflow = OutflowWindow<[[UInt8]]>(window: worker.options.window)
        for entry in worker.journal?.pending ?? [] {
            _ = outflow.add(seq: entry.id, entry.frames)
        }
        self.outflow = outflow
        settlement = OutflowSettlement(journaled: worker.journal != nil)
        drain = WorkerDrain(timeoutMs: worker.options.drainTimeoutMs)
    }

    var logger: Logger { worker.logger }

    /// Runs until the worker is asked to stop; returns why when it ends by itself instead.
    mutating func run() -> String? {
        let poller = ZMQPoller()
        do {
            // Paused: the hub sends no inflow until the CREDIT that follows WELCOME says whether the broker is there.
            let hello = Hello(role: .mqttWorker, name: worker.options.name, window: worker.options.window, batchAck: true,
                              journal: worker.journal?.identity, paused: true)
            let link = try PeerLink(
                context: worker.context, endpoint: worker.hubEndpoint, hello: hello, form: .mqtt, curve: worker.options.curve,
                batchesSends: true)
            self.link = link
            client = try worker.makeClient()
            _ = try poller.add(link.socket, events: .readable)
        } catch {
            logger.error("MQTT worker cannot start: \(error)")
            return "cannot start: \(error)"
        }
        _ = poller.add(fileDescriptor: worker.mailbox.fileDescriptor, events: .readable)
        var running = true
        var reason: String?
        while running {
            let now = MonotonicClock.nowMs()
            switch drain.decide(now: now, unsettled: outflow.inFlight + outflow.waitingCount) {
            case .runOn: break
            case .endDrained: running = false
            case .endWithUnsettled(let count):
                logger.warning("stopping with \(count) outflow messages unacknowledged; \(worker.journal == nil ? "without a spool they are lost" : "the spool keeps them for the next start")")
                running = false
            }
            guard running else { break }
            if !drain.isDraining && !connectionOpen && backoff.isDue(now: now) { connectToBroker(now: now) }
            let heartbeat = link!.heartbeatMs
            var timeout = heartbeat / 2
            if !connectionOpen { timeout = min(timeout, backoff.remainingMs(now: now)) }
            if let settleTimeout = settlement.pollTimeoutMs(now: now) { timeout = min(timeout, settleTimeout) }
            // The broker's socket, polled for what the worker can take now and for what libmosquitto has to write.
            if poller.count > 2 { poller.remove(at: 2) }
            if connectionOpen, let client, let socket = client.socketDescriptor {
                var events: ZMQPollEvents = []
                if mayReadFromBroker { events.insert(.readable) }
                if client.hasPendingWrites && !journalFailing { events.insert(.writable) }
                _ = poller.add(fileDescriptor: socket, events: events)
                // libmosquitto's keep-alive is checked at least once a second.
                timeout = min(timeout, 1_000)
            }
            do {
                _ = try poller.poll(timeout: Int(timeout))
                if poller.isReadable(at: 0) { try readHub() }
                let brokerIO = poller.count > 2 && !poller.readyEvents(at: 2).isEmpty
                // Read first; what was read goes to the hub in this pass's BATCH before the journal is written and
                // the broker acknowledged, which then cost the hub's hand-off no time.
                var packets = 0
                if connectionOpen { packets = readBroker(readable: brokerIO && poller.isReadable(at: 2), now: now) }
                if poller.isReadable(at: 1) || brokerIO {
                    // Taken in batches until the mailbox is empty (or a pass's worth was handled): what libmosquitto's
                    // callbacks posted during this pass, and anything posted meanwhile.
                    var handled = 0
                    while handled < Self.mailboxPass, worker.mailbox.drainBatch(into: &events) {
                        for event in events {
                            if case .stop = event {
                                stopTakingMessages()
                                drain.stopRequested(now: MonotonicClock.nowMs())
                            } else {
                                // One event's failure is logged and costs no other event of the batch.
                                do {
                                    try handle(event)
                                } catch let error as ZMQError where error.isTerminated {
                                    throw error
                                } catch {
                                    log.log(.error, kind: "worker_error", "MQTT worker: \(error)", now: now)
                                }
                            }
                        }
                        handled += events.count
                    }
                    try flushInflowAcks()
                }
                writeWaitingSettles(now: MonotonicClock.nowMs())
                // The outflow messages of this pass go to the hub as one BATCH.
                try link!.flush()
                writeBroker(packets: packets, now: MonotonicClock.nowMs())
                if try link!.keepAlive(now: MonotonicClock.nowMs()) {
                    log.log(.warning, kind: "hub_silent", "no word from the hub at \(worker.hubEndpoint); saying HELLO again", now: now)
                }
                if let problem = link!.handshakeProblem() {
                    log.log(.error, kind: "hub_handshake", "MQTT worker: \(link!.describe(problem))", now: now)
                }
            } catch let error as ZMQError where error.isTerminated {
                running = false
                if !drain.isDraining { reason = "the ZeroMQ context was closed" }
            } catch {
                log.log(.error, kind: "worker_error", "MQTT worker: \(error)", now: now)
            }
        }
        shutdown()
        return reason
    }

    /// Connects to the broker (TCP, TLS and CONNECT; the CONNACK comes through the loop), retried with
    /// back-off, at the start and whenever the connection has ended.
    mutating func connectToBroker(now: Int64) {
        guard let client else { return }
        let url = worker.settings.url
        do {
            try client.connect(host: url.host, port: url.port, keepAlive: worker.settings.keepAlive)
            connectionOpen = true
            logger.info("connecting to MQTT broker \(url) as \(worker.settings.clientId)")
        } catch {
            log.log(.warning, kind: "broker_connect", "cannot connect to MQTT broker \(url): \(error); retrying", now: now)
            backoff.failed(now: now)
        }
    }

    /// Whether the worker takes more from the broker now: not while the spool is full (or, without a spool,
    /// while messages wait for room in the hub's window). libmosquitto reads a packet or a few per call, so
    /// the spool may go a little past its limit, never further.
    var mayReadFromBroker: Bool {
        if let journal = worker.journal { return !journalFailing && journal.hasRoom }
        return outflow.waitingCount == 0
    }

    /// libmosquitto's reading on this thread: what arrived when the socket polled readable (every packet that
    /// arrived together, up to a pass's worth), and the keep-alive. Returns how many packets were read. A call
    /// that finds the connection gone has reported it to the disconnect callback; the worker connects again
    /// after the back-off.
    mutating func readBroker(readable: Bool, now: Int64) -> Int {
        guard let client else { return 0 }
        var packets = 0
        do {
            if readable {
                // Without a poll before each packet (libmosquitto reads one per call), as long as the worker takes more.
                packets = try client.loopReadArrived(maxPackets: Self.packetsPerPass, while: { mayReadFromBroker })
            }
            try client.loopMisc()
        } catch {
            connectionEnded(now: now)
        }
        return packets
    }

    /// Commits what the reads staged in the journal, then lets libmosquitto write what it queued: the
    /// acknowledgements of the messages read (only once the journal has them), inflow publishes, subscriptions,
    /// the keep-alive. The acknowledgements of a burst leave together, corked into as few segments as they fill.
    /// The journal is committed even when the connection has just ended: its messages went to the hub.
    mutating func writeBroker(packets: Int, now: Int64) {
        guard commitJournal(now: now), connectionOpen, let client, client.hasPendingWrites else { return }
        do {
            if packets > 1 { try client.loopWriteCoalesced() } else { try client.loopWrite() }
        } catch {
            connectionEnded(now: now)
        }
    }

    /// Writes the messages staged in the journal since the last commit. False while that fails (a full disk):
    /// their acknowledgements to the broker then wait, as does reading, and the commit is tried again on the
    /// next pass (at least once a second); the broker keeps the messages meanwhile.
    mutating func commitJournal(now: Int64) -> Bool {
        guard let journal = worker.journal else { return true }
        do {
            try journal.commit()
            if journalFailing { logger.info("the spool takes outflow messages again") }
            journalFailing = false
        } catch {
            journalFailing = true
            log.log(.error, kind: "spool_write", "cannot spool outflow messages (\(error)); the broker is not acknowledged "
                + "and no more is read until the spool takes them; retrying", now: now)
        }
        return !journalFailing
    }

    /// The connection is gone (libmosquitto closed its socket): it is made again after the back-off. The
    /// disconnect event libmosquitto posted on the way is what tells the hub (`CREDIT 0`).
    mutating func connectionEnded(now: Int64) {
        guard connectionOpen else { return }
        connectionOpen = false
        let delay = backoff.failed(now: now)
        logger.debug("reconnecting to the MQTT broker in \(delay) ms")
    }

    mutating func readHub() throws {
        guard let link else { return }
        let now = MonotonicClock.nowMs()
        // Acknowledgements that arrived together are marked settled in the journal with one write.
        defer { flushSettled() }
        while let message = try link.receive(onBadFrame: { error in
            log.log(.warning, kind: error.code, "bad message from the hub: \(error)", now: now)
        }) {
            switch message {
            case .welcome(let welcome):
                let previous = Set(subscriptions + statusSubscriptions)
                subscriptions = welcome.subscriptions ?? []
                parents = Set(welcome.parents ?? [])
                statusSubscriptions = welcome.statusSubscriptions ?? []
                logger.info("hub welcomed MQTT worker", metadata: [
                    "subscriptions": "\(subscriptions)", "parents": "\(parents.sorted())",
                    "status": "\(statusSubscriptions)",
                ])
                if brokerConnected {
                    unsubscribe(previous.subtracting(subscriptions + statusSubscriptions))
                    subscribeAll(alreadySubscribed: subscribedThisRun, afterConnecting: false)
                }
                // A WELCOME that answers a HELLO starts a new session: the hub has forgotten this worker
                // (it restarted, or lost sight of it), so send again what it has not settled — at the first
                // one, what an earlier run left in the spool. An unasked WELCOME only brings new rules.
                if link.welcomeAnsweredHello {
                    // The HELLO said paused: the window opens now if the broker is there; while it is away the hub
                    // holds inflow instead.
                    try announceBrokerState()
                    for message in outflow.resend() {
                        try link.send(frames: message.payload)
                    }
                }
            case .ack(let seq, _):
                try settleOutflow([seq])
            case .acks(let seqs):
                try settleOutflow(seqs)
            case .error(let report):
                if let seq = report.seq { try settleOutflow([seq]) }
                log.log(.warning, kind: "hub_refused_" + report.code, "hub refused an MQTT message: \(report)", now: now)
            case .mqttData(let seq, let publish, _):
                try publishInflow(seq: seq, publish, now: now)
            default:
                break
            }
        }
    }

    /// The hub settled outflow messages: their settle records are gathered for the journal, and what the
    /// window's freed room lets go is sent.
    mutating func settleOutflow(_ seqs: [UInt64]) throws {
        guard let link else { return }
        // The settled seqs are recorded even when a send fails: the hub did acknowledge them.
        var failure: (any Error)?
        let settled = outflow.acknowledge(seqs) { _, frames in
            guard failure == nil else { return }
            do { try link.send(frames: frames) } catch { failure = error }
        }
        settlement.settled(settled)
        if let failure { throw failure }
    }

    /// Writes the settle records gathered by `settleOutflow`.
    mutating func flushSettled() {
        let journalIds = settlement.flush()
        if !journalIds.isEmpty, let journal = worker.journal {
            do {
                try journal.settle(journalIds)
                settlement.handedToJournal(now: MonotonicClock.nowMs())
            } catch {
                log.log(.error, kind: "spool_write", "cannot mark outflow messages settled in the spool: \(error)", now: MonotonicClock.nowMs())
            }
        }
    }

    /// Writes the settle records that no outflow append has carried within `OutflowSettlement.writeDelayMs`.
    mutating func writeWaitingSettles(now: Int64) {
        guard settlement.writeWaitingIsDue(now: now), let journal = worker.journal else { return }
        do {
            try journal.writeWaitingSettles()
        } catch {
            log.log(.error, kind: "spool_write", "cannot mark outflow messages settled in the spool: \(error)", now: now)
        }
    }

    /// Tells the hub whether to send inflow: the worker's window while it is connected to the broker, 0 while
    /// it is not, so that the hub holds producers' messages (and refuses them after its inflow deadline)
    /// instead of handing them to a worker that cannot publish them.
    func announceBrokerState() throws {
        try link?.send(.credit(window: brokerConnected ? worker.options.window : 0))
    }

    mutating func publishInflow(seq: UInt64, _ publish: MQTTMessage, now: Int64) throws {
        guard let link, let client else { return }
        let parent = publish.topic.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard parents.contains(parent) else {
            try link.send(.error(WireErrorReport(seq: seq, code: "parent_not_allowed", message: "no inflow rule has parent topic '\(parent)'")))
            return
        }
        // Refused at once rather than queued in libmosquitto for a later connection: a producer told that
        // a message failed can rely on it never being published.
        guard brokerConnected else {
            try link.send(.error(WireErrorReport(
                seq: seq, code: WireErrorCode.brokerUnavailable,
                message: "the MQTT worker is not connected to the broker at \(worker.settings.url); the message was not published")))
            return
        }
        do {
            let mid = try client.publish(
                topic: publish.topic, payload: publish.payload, qos: publish.qos.mosquitto, retain: publish.retain,
                properties: publish.publishProperties)
            inflow.published(mid: mid, seq: seq)
        } catch {
            try link.send(.error(WireErrorReport(seq: seq, code: WireErrorCode.mqttPublishFailed, message: "\(error)")))
        }
    }

    /// Acknowledges the inflow publishes gathered while draining the mailbox, in one `ACK` (the hub said
    /// in `WELCOME` that it reads the batched form).
    mutating func flushInflowAcks() throws {
        guard let link, !inflow.acksDue.isEmpty else { return }
        let seqs = inflow.takeAcks()
        try link.send(seqs.count == 1 ? .ack(seq: seqs[0], msgId: nil) : .acks(seqs: seqs))
    }

    mutating func handle(_ event: MQTTWorker.Event) throws {
        guard let link else { return }
        let now = MonotonicClock.nowMs()
        switch event {
        case .outflow(let seq, let frames, _):
            try outflow.add(seq: seq, frames) { _, frames in try link.send(frames: frames) }
        case .published(let mid, let reasonCode):
            switch inflow.completed(mid: mid, reasonCode: reasonCode, batchAck: link.welcome?.batchAck == true) {
            case .unknown, .batched:
                break
            case .ack(let seq):
                try link.send(.ack(seq: seq, msgId: nil))
            case .refused(let seq):
                try link.send(.error(WireErrorReport(
                    seq: seq, code: WireErrorCode.mqttPublishFailed,
                    message: "the broker refused the publish (reason code \(reasonCode): \(MosquittoLibrary.reasonString(reasonCode)))")))
            }
        case .connected(let result):
            if result.isSuccess {
                brokerConnected = true
                worker.brokerConnectedFlag.store(true, ordering: .relaxed)
                worker.brokerConnections.add(1, ordering: .relaxed)
                backoff.connected()
                logger.info("connected to MQTT broker \(worker.settings.url)", metadata: ["sessionPresent": "\(result.sessionPresent)"])
                // A session the broker kept still has the subscriptions made in this run (see subscribeAll).
                if !result.sessionPresent { subscribedThisRun.removeAll() }
                subscribeAll(alreadySubscribed: result.sessionPresent ? subscribedThisRun : [])
                try announceBrokerState()
            } else {
                log.log(.error, kind: "broker_refused", "MQTT broker \(worker.settings.url) refused the connection: \(result.reasonDescription)"
                    + BrokerRefusal.hint(result, username: worker.settings.username), now: now)
            }
        case .disconnected(let reasonCode):
            let wasConnected = brokerConnected
            brokerConnected = false
            worker.brokerConnectedFlag.store(false, ordering: .relaxed)
            if wasConnected { try announceBrokerState() }
            if BrokerRefusal.endsClientLoop(reasonCode) {
                // A refused CONNACK on MQTT 5, a TLS failure...: asked again after the back-off.
                restartConnection(now: now)
            } else if reasonCode != 0 && wasConnected {
                log.log(.warning, kind: "broker_lost", "lost the MQTT broker (code \(reasonCode)); reconnecting", now: now)
            }
        case .clientError(let text):
            if BrokerRefusal.isTLSFailure(text) {
                log.log(.error, kind: "broker_tls", "TLS with the MQTT broker \(worker.settings.url) failed: \(text)"
                    + BrokerRefusal.tlsHint(text, caFile: worker.tlsCAFile, host: worker.settings.url.host), now: now)
                // A failed TLS handshake may end the connection attempt without a disconnect callback.
                restartConnection(now: now)
            } else {
                log.log(.warning, kind: "mqtt_client_error", "MQTT client: \(text)", now: now)
            }
        case .stop:
            break
        }
    }

    /// Closes what is left of the connection and connects again after the back-off (1 s doubling to 30 s), so a
    /// broker that refuses the bridge is asked again without being hammered.
    mutating func restartConnection(now: Int64) {
        guard let client, connectionOpen else { return }
        try? client.disconnect()
        connectionEnded(now: now)
    }

    /// Subscribes to every filter the hub asked for, through `$share/<group>/` when configured: outflow
    /// filters at QoS 2 so that `qoslevel` reports the QoS each message was published with, and (MQTT 5)
    /// with retain as published so that `mqttRetain` reports the publisher's flag; the broker's status
    /// topics at QoS 1: for QoS 2 libmosquitto completes the broker's half of the exchange before the
    /// message reaches the bridge, so a bridge stopped in between would lose it, where at QoS 1 the broker
    /// sends it again.
    ///
    /// Retained messages: with MQTT 5 every subscription asks for them only when it is new (Retain
    /// Handling 1), so a bridge whose persistent session kept its subscriptions is not sent them again at
    /// a restart or reconnect; a new bridge, or a new filter, gets the retained state once. Which filters are
    /// subscribed to again in a kept session (`alreadySubscribed`) after connecting: ``SubscriptionRenewal``;
    /// on the same connection (new rules), only the filters not subscribed to yet.
    mutating func subscribeAll(alreadySubscribed: Set<String> = [], afterConnecting: Bool = true) {
        guard let client else { return }
        let isV5 = worker.settings.protocolVersion == .v5
        let qos = Dictionary(
            subscriptions.map { ($0, MQTTQoS.exactlyOnce) } + statusSubscriptions.map { ($0, MQTTQoS.atLeastOnce) }, uniquingKeysWith: { first, _ in first })
        let wanted = subscriptions + statusSubscriptions
        let renewed = afterConnecting
            ? SubscriptionRenewal.filters(wanted, keptBySession: alreadySubscribed, isV5: isV5, isShared: { brokerFilter($0) != $0 })
            : wanted.filter { !alreadySubscribed.contains($0) }
        for filter in renewed {
            let qos = qos[filter] ?? .atLeastOnce
            let topic = brokerFilter(filter)
            do {
                _ = try client.subscribe(filter: topic, qos: qos, retainAsPublished: isV5, retainHandling: isV5 ? .newSubscriptionOnly : .always)
                subscribedThisRun.insert(filter)
            } catch {
                log.log(.error, kind: "subscribe_failed", "cannot subscribe to \(topic): \(error)", now: MonotonicClock.nowMs())
            }
        }
    }

    /// The filter as the worker subscribes to it: outflow filters through `$share/<group>/` when
    /// `mqtt.sharedGroup` is set, so bridges of one group share the outflow; the broker's status topics never,
    /// since every bridge needs every status line to keep the whole online-status view.
    func brokerFilter(_ filter: String) -> String {
        guard let group = worker.settings.sharedGroup, !statusSubscriptions.contains(filter) else { return filter }
        return "$share/\(group)/\(filter)"
    }

    /// Drops subscriptions the hub no longer asks for (after a reload of the rules).
    mutating func unsubscribe(_ filters: Set<String>) {
        guard let client else { return }
        for filter in filters.sorted() {
            let topic = brokerFilter(filter)
            do {
                _ = try client.unsubscribe(filter: topic)
                subscribedThisRun.remove(filter)
            } catch {
                log.log(.error, kind: "unsubscribe_failed", "cannot unsubscribe from \(topic): \(error)", now: MonotonicClock.nowMs())
            }
        }
    }

    /// Disconnects from the broker: no new messages; inflow publishes not yet acknowledged by the broker
    /// stay unacknowledged to the hub, which gives them to another worker or keeps them.
    mutating func stopTakingMessages() {
        if let client, connectionOpen {
            // Written here (this thread drives the connection), behind the acknowledgements of messages the journal
            // has taken; when it cannot take them, nothing is written and the broker sends them again.
            try? client.disconnect()
            if commitJournal(now: MonotonicClock.nowMs()) && client.hasPendingWrites { try? client.loopWrite() }
        }
        connectionOpen = false
        brokerConnected = false
        worker.brokerConnectedFlag.store(false, ordering: .relaxed)
        client = nil
    }

    mutating func shutdown() {
        stopTakingMessages()
        link?.close()
        logger.info("MQTT worker stopped")
    }
}
