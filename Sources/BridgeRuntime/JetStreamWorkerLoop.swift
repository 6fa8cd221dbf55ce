import BridgeCore
import BridgeWorkers
import Foundation
import JetStreamMapping
import Logging
import NATS
import WireProtocol
import ZeroMQ

/// The JetStream worker thread's event loop: connect, set the streams up, then carry messages between
/// the hub and JetStream as `OutflowPublisher` and `InflowTracker` decide.
struct JetStreamWorkerLoop {
    let worker: JetStreamWorker
    var log: RateLimitedLogger
    var connection: NATSConnection?
    var jetStream: JetStreamContext?
    var link: PeerLink?
    var publisher: OutflowPublisher
    var inflow: InflowTracker
    /// Fetched messages by token, with the queue topic of their consumer, until they are settled on JetStream.
    var fetched: [UInt64: (message: NATS.JetStreamMessage, topic: String)] = [:]
    var nextToken: UInt64 = 1
    /// Outflow deliveries stored since the last flush, acknowledged to the hub in one `ACK`.
    var acksDue: [UInt64] = []
    var hubSession: String?
    var fetchThreads: [Thread] = []
    var events: [JetStreamWorker.Event] = []
    var connected = false
    var disconnects = 0

    init(worker: JetStreamWorker) {
        self.worker = worker
        self.log = RateLimitedLogger(logger: worker.logger)
        publisher = OutflowPublisher(settings: .init(
            maxInFlight: worker.options.maxPending, ackTimeoutMs: Int64(worker.options.publishTimeoutMs) * 2))
        inflow = InflowTracker(settings: .init(ackWaitMs: worker.options.ackWaitMs))
    }

    var logger: Logger { worker.logger }
    var codec: JetStreamCodec { worker.codec }
    var inflowConsumers: InflowConsumers { worker.inflowConsumers }

    mutating func run() {
        guard connect(), setUpStreams(), let subscriptions = subscribeInflow() else {
            connection?.close()
            return
        }
        let poller = ZMQPoller()
        do {
            let hello = Hello(role: .engineWorker, name: worker.options.name, window: worker.options.maxPending, batchAck: true)
            let link = try PeerLink(context: worker.context, endpoint: worker.hubEndpoint, hello: hello, form: .queue,
                                    curve: worker.options.curve, batchesSends: true)
            self.link = link
            _ = try poller.add(link.socket, events: .readable)
        } catch {
            fail("cannot connect to the hub at \(worker.hubEndpoint): \(error)")
            return
        }
        _ = poller.add(fileDescriptor: worker.mailbox.fileDescriptor, events: .readable)
        startFetching(subscriptions)
        logger.info("JetStream worker running", metadata: ["servers": "\(worker.options.connection.servers.joined(separator: ","))",
                                                          "hub": "\(worker.hubEndpoint)"])
        var drain = WorkerDrain(timeoutMs: Int64(worker.options.publishTimeoutMs))
        while true {
            let now = MonotonicClock.nowMs()
            if drain.decide(now: now, unsettled: publisher.inFlightCount) != .runOn { break }
            var timeout = link!.heartbeatMs / 2
            if let due = publisher.nextDeadline() { timeout = min(timeout, max(0, due - now)) }
            timeout = min(timeout, 250)
            do {
                _ = try poller.poll(timeout: Int(timeout))
                if poller.isReadable(at: 0) { try readHub() }
                if poller.isReadable(at: 1) {
                    while worker.mailbox.drainBatch(into: &events) {
                        for event in events {
                            if case .stop = event {
                                drain.stopRequested(now: MonotonicClock.nowMs())
                            } else {
                                try handle(event)
                            }
                        }
                    }
                }
                let after = MonotonicClock.nowMs()
                try carryOut(publisher.tick(now: after))
                try carryOut(inflow.tick(now: after))
                try flushAcks()
                // The inflow messages of this pass go to the hub as one BATCH.
                try link!.flush()
                if try link!.keepAlive(now: after) {
                    log.log(.warning, kind: "hub_silent", "JetStream worker: no word from the hub at \(worker.hubEndpoint); saying HELLO again", now: after)
                    forgetHubDeliveries()
                }
                if let problem = link!.handshakeProblem() {
                    log.log(.error, kind: "hub_handshake", "JetStream worker: \(link!.describe(problem))", now: after)
                }
            } catch let error as ZMQError where error.isTerminated {
                break
            } catch {
                log.log(.error, kind: "js_worker_error", "JetStream worker: \(error)", now: now)
            }
            publishStats()
        }
        shutdown()
    }

    // MARK: - Start

    /// Makes the connection; a server that is down is retried in the background by nats.c.
    mutating func connect() -> Bool {
        var options = worker.options.connection
        options.retryOnFailedConnect = true
        options.maxReconnect = -1
        let mailbox = worker.mailbox
        options.onEvent = { event in mailbox.post(.connection(event)) }
        do {
            let connection = try NATSConnection(options: options)
            self.connection = connection
            connected = connection.isConnected
            jetStream = try JetStreamContext(
                connection: connection,
                options: AsyncPublishOptions(
                    maxPending: worker.options.maxPending, ackTimeoutMs: worker.options.publishTimeoutMs,
                    onResult: { result in mailbox.post(.published(result)) }))
            return true
        } catch {
            fail("cannot set up the NATS connection to \(options.servers.joined(separator: ", ")): \(error)")
            return false
        }
    }

    /// Streams and consumers that cannot be set up yet are tried again after 0.25 s doubling to 5 s.
    static let setUpBackoff = ReconnectBackoff(firstDelayMs: 250, maximumDelayMs: 5_000)

    /// Creates each stream that is missing and checks each that exists, retrying while JetStream cannot
    /// be reached. A stream that conflicts with the mapping file stops the worker: it is never changed.
    mutating func setUpStreams() -> Bool {
        let plan = worker.streams
        var backoff = Self.setUpBackoff
        if connection?.isConnected != true {
            let servers = worker.options.connection.servers.joined(separator: ", ")
            logger.warning("waiting for JetStream at \(servers): not connected yet; messages wait in the bridge and the broker meanwhile")
        }
        var lookedAgain: Set<String> = []
        for wanted in plan.streams {
            while true {
                if worker.stopping.isSet { return false }
                do {
                    if let existing = try jetStream!.streamInfo(name: wanted.name) {
                        let problems = plan.conflicts(wanted, existingSubjects: existing.config.subjects, existingReplicas: existing.config.replicas)
                        if !problems.isEmpty {
                            fail("JetStream stream \(wanted.name) exists with other settings: \(problems.joined(separator: "; ")). "
                                + "It is never changed by the bridge: change the mapping file or the stream (nats stream edit / rm)")
                            return false
                        }
                        for note in differences(wanted, existing.config) {
                            logger.warning("JetStream stream \(wanted.name): \(note); the stream's setting is kept")
                        }
                    } else {
                        _ = try jetStream!.addStream(streamConfig(wanted))
                        logger.info("JetStream stream \(wanted.name) created", metadata: ["subjects": "\(wanted.subjects.joined(separator: ","))"])
                    }
                    break
                } catch {
                    // Another bridge may have created it between our look and our create (bridges that start
                    // together race for it): look again, and check it as any existing stream, once.
                    let raced = [JetStreamErrorCode.subjectsOverlap, JetStreamErrorCode.streamNameInUse].contains(error.jetStreamErrorCode)
                    if raced, !lookedAgain.contains(wanted.name) {
                        lookedAgain.insert(wanted.name)
                        continue
                    }
                    if error.jetStreamErrorCode == JetStreamErrorCode.subjectsOverlap {
                        fail("cannot create JetStream stream \(wanted.name): its subjects \(wanted.subjects.joined(separator: ",")) overlap "
                            + "another stream's (\(error)); remove or change that stream, or choose another jetstream.subjectPrefix")
                        return false
                    }
                    let now = MonotonicClock.nowMs()
                    setStats { $0.lastError = "JetStream not reachable: \(error)" }
                    log.log(.warning, kind: "js_waiting",
                            "waiting for JetStream at \(worker.options.connection.servers.joined(separator: ", ")) to set up stream \(wanted.name): \(error); "
                            + "messages wait in the bridge and the broker meanwhile", now: now)
                    sleepUnlessStopping(ms: backoff.failed(now: now))
                }
            }
        }
        setStats {
            $0.streamsReady = true
            $0.lastError = nil
        }
        return true
    }

    func streamConfig(_ wanted: StreamPlan.Stream) -> StreamConfig {
        StreamConfig(
            name: wanted.name, subjects: wanted.subjects, replicas: worker.options.replicas, maxAge: worker.options.maxAge,
            maxBytes: worker.options.maxBytes ?? -1, duplicateWindow: worker.options.duplicateWindow,
            discard: worker.options.discardNew ? .new : .old, storage: .file)
    }

    /// Settings of an existing stream that differ from the mapping file but do not conflict with it.
    func differences(_ wanted: StreamPlan.Stream, _ existing: StreamConfig) -> [String] {
        let config = streamConfig(wanted)
        var notes: [String] = []
        if existing.maxAge != config.maxAge { notes.append("maxAge is \(existing.maxAge), the mapping file says \(config.maxAge)") }
        if existing.maxBytes != config.maxBytes { notes.append("maxBytes is \(existing.maxBytes), the mapping file says \(config.maxBytes)") }
        if existing.duplicateWindow != config.duplicateWindow {
            notes.append("duplicateWindow is \(existing.duplicateWindow), the mapping file says \(config.duplicateWindow)")
        }
        if existing.discard != config.discard { notes.append("discard is \(existing.discard), the mapping file says \(config.discard)") }
        return notes
    }

    /// One durable pull consumer per inflow rule.
    mutating func subscribeInflow() -> [PullSubscription]? {
        var subscriptions: [PullSubscription] = []
        for consumer in inflowConsumers.consumers {
            var backoff = Self.setUpBackoff
            while true {
                if worker.stopping.isSet { return nil }
                do {
                    let config = ConsumerConfig(
                        durableName: consumer.durableName, stream: consumer.streamName, filterSubject: consumer.filterSubject,
                        ackWait: .milliseconds(worker.options.ackWaitMs), maxAckPending: worker.options.maxAckPending)
                    subscriptions.append(try jetStream!.pullSubscribe(subject: consumer.filterSubject, durable: consumer.durableName, config: config))
                    break
                } catch {
                    log.log(.warning, kind: "js_subscribe", "cannot make the JetStream consumer \(consumer.durableName) for inflow rule "
                        + "\(consumer.ruleId): \(error); retrying", now: MonotonicClock.nowMs())
                    sleepUnlessStopping(ms: backoff.failed(now: MonotonicClock.nowMs()))
                }
            }
        }
        return subscriptions
    }

    /// A thread per inflow consumer, fetching and posting what it gets; it ends when the worker stops.
    mutating func startFetching(_ subscriptions: [PullSubscription]) {
        for (index, subscription) in subscriptions.enumerated() {
            let worker = self.worker
            let thread = Thread {
                nameCurrentThread(JetStreamWorker.fetchThreadName)
                var failures = 0
                while !worker.stopping.isSet {
                    do {
                        let messages = try subscription.fetch(batch: 64, timeoutMs: 500)
                        failures = 0
                        if !messages.isEmpty { worker.mailbox.post(.fetched(consumer: index, messages)) }
                    } catch {
                        failures += 1
                        if failures == 1 || failures % 60 == 0 {
                            worker.logger.warning("JetStream consumer \(subscription.durable): fetch failed: \(error); retrying")
                        }
                        Thread.sleep(forTimeInterval: 0.5)
                    }
                }
            }
            thread.name = JetStreamWorker.fetchThreadName
            thread.start()
            fetchThreads.append(thread)
        }
    }

    // MARK: - Events

    mutating func readHub() throws {
        while let message = try link!.receive(onBadFrame: { report in
            log.log(.warning, kind: "bad_frame", "JetStream worker: unreadable message from the hub: \(report)", now: MonotonicClock.nowMs())
        }) {
            let now = MonotonicClock.nowMs()
            switch message {
            case .welcome(let welcome):
                guard link!.welcomeAnsweredHello else { continue }
                if let previous = hubSession, previous != welcome.session {
                    logger.warning("the hub restarted (new session); inflow messages it held come back from JetStream")
                    try carryOut(inflow.hubRestarted())
                }
                hubSession = welcome.session
                setStats { $0.hubConnected = true }
                logger.info("JetStream worker joined the hub at \(worker.hubEndpoint)")
            case .queueData(let seq, let queueMessage):
                try carryOut(publisher.deliver(seq: seq, queueMessage, now: now))
            case .ack(let seq, _):
                try carryOut(inflow.hubAcknowledged(seq: seq))
            case .acks(let seqs):
                for seq in seqs { try carryOut(inflow.hubAcknowledged(seq: seq)) }
            case .error(let report):
                if let seq = report.seq {
                    try carryOut(inflow.hubRefused(seq: seq, code: report.code, message: report.message))
                } else if report.code == WireErrorCode.noHello {
                    forgetHubDeliveries()
                } else {
                    log.log(.warning, kind: "hub_error", "JetStream worker: the hub reported \(report)", now: now)
                }
            default:
                break
            }
        }
    }

    /// A new HELLO: the hub numbers its deliveries afresh and sends the unacknowledged ones again, so the
    /// seqs held for the old session must not be acknowledged (they would name other messages now).
    mutating func forgetHubDeliveries() {
        publisher.forgetDeliveries()
        acksDue.removeAll()
        setStats { $0.hubConnected = false }
    }

    mutating func handle(_ event: JetStreamWorker.Event) throws {
        let now = MonotonicClock.nowMs()
        switch event {
        case .published(let result):
            try carryOut(publisher.published(msgId: result.msgId, outcome(of: result), now: now))
        case .connection(let change):
            switch change {
            case .connected, .reconnected:
                connected = true
                logger.info("connected to NATS")
                try carryOut(publisher.reconnected(now: now))
            case .disconnected:
                connected = false
                disconnects += 1
                log.log(.warning, kind: "nats_disconnected", "NATS connection lost; reconnecting (messages wait meanwhile)", now: now)
            case .closed:
                connected = false
            case .asyncError(let text):
                log.log(.warning, kind: "nats_error", "NATS: \(text)", now: now)
            }
        case .fetched(let index, let messages):
            for message in messages { try take(message, consumer: index, now: now) }
        case .stop:
            break
        }
    }

    /// A fetched message: to the hub when its consumer takes it, otherwise acked and left to another rule.
    mutating func take(_ message: NATS.JetStreamMessage, consumer index: Int, now: Int64) throws {
        let read: Result<QueueMessage, MalformedMessage>
        do {
            read = .success(try codec.decode(subject: message.subject, headers: message.headers.map { JetStreamHeader($0.name, $0.value) },
                                             body: message.body))
        } catch {
            read = .failure(MalformedMessage(error.message))
        }
        if case .success(let queueMessage) = read, !inflowConsumers.takes(index, tag: queueMessage.tag) {
            try? message.ack()
            return
        }
        let token = nextToken
        nextToken += 1
        fetched[token] = (message, inflowConsumers.consumers[index].queueTopic)
        try carryOut(inflow.fetched(token: token, read, now: now))
    }

    func outcome(of result: AsyncPublishResult) -> OutflowPublisher.Outcome {
        switch result.outcome {
        case .stored(_, _, let duplicate):
            return .stored(duplicate: duplicate)
        case .failed(let error):
            if error.status == .maxPayload || error.jetStreamErrorCode == JetStreamErrorCode.messageExceedsMaximum {
                return .rejected(code: "message_too_large", reason: "\(error)")
            }
            return .failed(reason: "\(error)")
        }
    }

    // MARK: - Actions

    mutating func carryOut(_ actions: [OutflowPublisher.Action]) throws {
        var work = actions
        while !work.isEmpty {
            var next: [OutflowPublisher.Action] = []
            for action in work {
                switch action {
                case .publish(let msgId, let message):
                    do {
                        let outgoing = try codec.encode(message)
                        try jetStream!.publishAsync(
                            NATSOutgoingMessage(subject: outgoing.subject, headers: outgoing.headers.map { ($0.name, $0.value) }, body: outgoing.body),
                            msgId: msgId)
                    } catch let error as JetStreamMappingError {
                        next += publisher.published(msgId: msgId, .rejected(code: "invalid_header", reason: error.message), now: MonotonicClock.nowMs())
                    } catch let error as NATSError {
                        // Not taken by nats.c (no room, closed, too large): no result will come, so it ends here.
                        next += publisher.published(msgId: msgId, outcome(of: AsyncPublishResult(msgId: msgId, outcome: .failed(error))),
                                                    now: MonotonicClock.nowMs())
                    } catch {
                        next += publisher.published(msgId: msgId, .failed(reason: "\(error)"), now: MonotonicClock.nowMs())
                    }
                case .acknowledge(let seqs):
                    acksDue += seqs
                case .refuse(let seq, let code, let message):
                    log.log(.error, kind: "js_refused", "JetStream refused a message for good (\(code)): \(message)", now: MonotonicClock.nowMs())
                    try link?.send(.error(WireErrorReport(seq: seq, code: code, message: message)))
                }
            }
            work = next
        }
    }

    mutating func carryOut(_ actions: [InflowTracker.Action]) throws {
        var work = actions
        while !work.isEmpty {
            var next: [InflowTracker.Action] = []
            for action in work {
                switch action {
                case .sendToHub(let seq, let message):
                    try link!.send(.queueData(seq: seq, message))
                case .ack(let token):
                    settle(token) { try $0.ack() }
                case .nak(let token, let delayMs):
                    settle(token) { try delayMs > 0 ? $0.nakWithDelay(Int(delayMs)) : $0.nak() }
                case .inProgress(let token):
                    if let entry = fetched[token] { try? entry.message.inProgress() }
                case .term(let token):
                    settle(token) { try $0.term() }
                case .deadLetter(let token, let code, let reason):
                    next += inflow.deadLettered(token: token, stored: deadLetter(token, code: code, reason: reason))
                }
            }
            work = next
        }
    }

    /// Runs the final acknowledgement of a fetched message and forgets it.
    mutating func settle(_ token: UInt64, _ body: (NATS.JetStreamMessage) throws -> Void) {
        guard let entry = fetched.removeValue(forKey: token) else { return }
        do {
            try body(entry.message)
        } catch {
            // JetStream redelivers it after the ack wait; the hub may publish it again then.
            log.log(.warning, kind: "js_ack_failed", "cannot settle a JetStream message: \(error)", now: MonotonicClock.nowMs())
        }
    }

    /// Republishes a rejected message to its topic's DLQ subject with the reason; true once stored.
    func deadLetter(_ token: UInt64, code: String, reason: String) -> Bool {
        guard let (message, topic) = fetched[token] else { return false }
        let msgId = "dlq-\(message.metadata.stream)-\(message.metadata.streamSequence)"
        do {
            let original = JetStreamMapping.JetStreamMessage(
                subject: message.subject, headers: message.headers.map { JetStreamHeader($0.name, $0.value) }, body: message.body)
            let dead = try codec.deadLetter(of: original, topic: topic, code: code, message: reason)
            _ = try jetStream!.publish(
                NATSOutgoingMessage(subject: dead.subject, headers: dead.headers.map { ($0.name, $0.value) }, body: dead.body), msgId: msgId,
                timeoutMs: 2_000)
            logger.warning("inflow message on \(message.subject) rejected (\(code): \(reason)); moved to \(dead.subject)")
            return true
        } catch {
            logger.warning("cannot move a rejected inflow message to the DLQ: \(error); it is tried again later")
            return false
        }
    }

    mutating func flushAcks() throws {
        guard !acksDue.isEmpty else { return }
        let seqs = acksDue
        acksDue.removeAll(keepingCapacity: true)
        try link!.send(seqs.count == 1 ? .ack(seq: seqs[0], msgId: nil) : .acks(seqs: seqs))
    }

    // MARK: - Helpers

    func publishStats() {
        let (counters, inflowCounters, pending, connected, disconnects) = (publisher.counters, inflow.counters, publisher.pendingCount, connected, disconnects)
        let lastFailure = publisher.lastFailure
        setStats { stats in
            stats.outflow = counters
            stats.inflow = inflowCounters
            stats.pending = pending
            stats.connected = connected
            stats.disconnects = disconnects
            if !connected { stats.lastError = lastFailure ?? "not connected to NATS" } else if stats.streamsReady { stats.lastError = nil }
        }
    }

    func setStats(_ body: (inout JetStreamWorker.Stats) -> Void) {
        worker.statsBox.withLock { body(&$0) }
    }

    func sleepUnlessStopping(ms: Int64) {
        let end = MonotonicClock.nowMs() + ms
        while !worker.stopping.isSet, MonotonicClock.nowMs() < end { Thread.sleep(forTimeInterval: 0.05) }
    }

    func fail(_ reason: String) {
        logger.critical("JetStream worker stops: \(reason)")
        setStats { $0.lastError = reason }
        worker.failure.withLock { $0 = $0 ?? reason }
        worker.onFatal(reason)
    }

    mutating func shutdown() {
        worker.stopping.set()
        try? flushAcks()
        link?.close()
        // Fetched messages not settled come back from JetStream after their ack wait (to this bridge at its
        // next start, or to another): not NAKed, since the hub may still be publishing them.
        fetched.removeAll()
        for thread in fetchThreads { while thread.isExecuting { Thread.sleep(forTimeInterval: 0.01) } }
        jetStream = nil
        connection?.close()
        setStats { $0.connected = false; $0.hubConnected = false }
    }
}
