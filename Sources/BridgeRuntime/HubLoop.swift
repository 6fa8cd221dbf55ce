import BridgeCore
import BridgeHub
import Logging
import WireProtocol
import ZeroMQ

/// The hub thread's event loop: poll the sockets and the mailbox, feed the router, carry out its actions.
struct HubLoop {
    let service: HubService
    let sockets: [Link: ZMQSocket]
    /// The sockets by link without a dictionary: `execute` finds one for every message it sends.
    let workersSocket: ZMQSocket?, consumersSocket: ZMQSocket?, producersSocket: ZMQSocket?
    var router: HubRouter
    var log: RateLimitedLogger
    let poller = ZMQPoller()
    var indexes: [(Link, Int)] = []
    var mailboxIndex = 0
    var stopping = false
    /// `DATA` gathered per peer during a pass of the loop (peers that read `BATCH`), and the peers in order.
    var batches: [PeerID: BatchWriter] = [:]
    var batchOrder: [PeerID] = []
    /// The actions of the message being read, carried out once it is read through.
    var pending: [HubAction] = []

    /// Messages read from one socket before the loop looks at the others, so one busy link cannot starve them.
    static let batch = 256

    init(service: HubService, sockets: [Link: ZMQSocket]) {
        self.service = service
        self.sockets = sockets
        workersSocket = sockets[.workers]
        consumersSocket = sockets[.consumers]
        producersSocket = sockets[.producers]
        self.router = HubRouter(
            mappings: service.initialMappings, settings: service.settings,
            session: RandomHex.sixteen(), idPrefix: RandomHex.sixteen(),
            durable: service.loadDurableSubscriptions())
        self.log = RateLimitedLogger(logger: service.logger)
    }

    /// Runs until the hub is asked to stop; returns why when it ends by itself instead.
    mutating func run() -> String? {
        for link in Link.allCases {
            guard let socket = sockets[link] else { continue }
            indexes.append((link, try! poller.add(socket, events: .readable)))
        }
        mailboxIndex = poller.add(fileDescriptor: service.mailbox.fileDescriptor, events: .readable)
        // Heartbeats are timed on the monotonic clock; the wall clock only stamps bornTimestamp.
        let clock = service.clock
        let tickInterval = max(10, service.settings.heartbeatMs / 2)
        var nextTick = clock.monotonicMs() + tickInterval
        service.logger.info("hub listening", metadata: [
            "workers": "\(service.endpoints.workers)", "consumers": "\(service.endpoints.consumers ?? "-")",
            "producers": "\(service.endpoints.producers ?? "-")",
        ])
        while !stopping {
            let now = clock.monotonicMs()
            do {
                _ = try poller.poll(timeout: Int(max(0, nextTick - now)))
            } catch {
                if error.isTerminated { return "the ZeroMQ context was closed" }
                service.logger.error("hub poll failed: \(error)")
                return "hub poll failed: \(error)"
            }
            for (link, index) in indexes where poller.isReadable(at: index) {
                readBatch(from: link)
            }
            if poller.isReadable(at: mailboxIndex) {
                for command in service.mailbox.drain() { handle(command) }
            }
            let after = clock.monotonicMs()
            if after >= nextTick {
                execute(router.tick(now: after))
                nextTick = after + tickInterval
            }
            // One ACK per worker for everything settled during this pass, and the DATA gathered for each peer.
            execute(router.flushWorkerAcks())
            flushBatches()
        }
        return nil
    }

    mutating func readBatch(from link: Link) {
        guard let socket = sockets[link] else { return }
        // Frames are copied once, straight out of libzmq's buffer: the routing id apart, the message's own
        // frames into the array the codec reads.
        var routingId: [UInt8] = []
        var messageFrames: [[UInt8]] = []
        for _ in 0..<Self.batch {
            var frameIndex = 0
            routingId = []
            messageFrames = []
            messageFrames.reserveCapacity(4)
            do {
                let received = try socket.receiveMessage(dontWait: true) { bytes, _ in
                    if frameIndex == 0 { routingId = [UInt8](bytes) } else { messageFrames.append([UInt8](bytes)) }
                    frameIndex += 1
                }
                guard received else { return }
            } catch {
                service.logger.error("hub receive on \(link.rawValue) failed: \(error)")
                return
            }
            guard frameIndex >= 2 else { continue }
            let peer = PeerID(link: link, routingId: routingId)
            // MQTT workers send MQTT messages on the workers link; engine workers there send queue-side ones.
            let form: WireCodec.DataForm = link == .workers ? router.dataForm(of: peer) : .queue
            // The records of a BATCH share the clock readings and one array of actions, carried out at the end.
            let now = service.clock.monotonicMs()
            let wall = service.clock.wallMs()
            for decoded in WireCodec.decodeAll(messageFrames, form: form) {
                handle(decoded, frames: messageFrames, from: peer, now: now, wall: wall)
            }
            flushPending()
        }
    }

    /// Carries out the actions gathered in `pending`.
    mutating func flushPending() {
        guard !pending.isEmpty else { return }
        execute(pending)
        pending.removeAll(keepingCapacity: true)
    }

    /// One message read from a peer (alone, or one of a `BATCH`), through the router; its actions are added
    /// to `pending`.
    mutating func handle(_ decoded: Result<WireMessage, WireErrorReport>, frames: [[UInt8]], from peer: PeerID, now: Int64, wall: Int64) {
        switch decoded {
        case .success(let message):
            router.receive(message, from: peer, now: now, wallClock: wall, into: &pending)
            // A status message is read into the online-status view before the records after it are routed.
            if case .ingestStatus = pending.last { flushPending() }
        case .failure(let error):
            // A record of a BATCH is a DATA: answered as one, whatever else the batch carried.
            let kind = WireCodec.kind(of: frames).map { $0 == .batch ? .data : $0 }
            pending += router.undecodable(error, kind: kind, from: peer, now: now)
        }
    }

    /// Adds a `DATA` to the peer's batch, encoded straight into it, sent by `flushBatches` before the loop
    /// waits again (or at once when the batch is full). A `DATA` too big for a batch of its own goes alone.
    mutating func gather(_ message: WireMessage, for peer: PeerID, limit: Int) {
        if let index = batches.index(forKey: peer) {
            if batches.values[index].append(message) { return }
            flushBatch(of: peer)
        }
        var batch = BatchWriter(limit: limit)
        guard batch.append(message) else {
            send(WireCodec.encode(message), to: peer)
            return
        }
        batches[peer] = batch
        batchOrder.append(peer)
    }

    /// Sends what was gathered for `peer`, if anything.
    mutating func flushBatch(of peer: PeerID) {
        guard var batch = batches.removeValue(forKey: peer), !batch.isEmpty else { return }
        send(batch.take(), to: peer)
    }

    /// Sends every peer's gathered `DATA`, in the order the peers were first gathered for.
    mutating func flushBatches() {
        guard !batchOrder.isEmpty else { return }
        for peer in batchOrder { flushBatch(of: peer) }
        batchOrder.removeAll(keepingCapacity: true)
    }

    mutating func send(_ frames: [[UInt8]], to peer: PeerID) {
        guard let socket = socket(of: peer.link) else { return }
        do {
            // Frame by frame, without building the routing id and the message into one array. Only
            // the first frame may fail for want of room; the rest of the message always follows.
            if try socket.sendFrame(peer.routingId, more: true, dontWait: true) {
                let last = frames.count - 1
                for index in 0...last { try socket.sendFrame(frames[index], more: index < last) }
            }
        } catch {
            log.log(.debug, kind: "send_failed", "cannot send to \(peer): \(error)", now: MonotonicClock.nowMs())
        }
    }

    func socket(of link: Link) -> ZMQSocket? {
        switch link {
        case .workers: workersSocket
        case .consumers: consumersSocket
        case .producers: producersSocket
        }
    }

    mutating func handle(_ command: HubService.Command) {
        switch command {
        case .stop:
            stopping = true
        case .status(let event):
            execute(router.publishStatus(event, now: service.clock.monotonicMs(), wallClock: service.clock.wallMs()))
        case .reload(let mappings):
            execute(router.replaceMappings(mappings))
            service.logger.info("mapping rules replaced")
        case .snapshot(let reply):
            reply(router.snapshot)
        }
    }

    mutating func execute(_ actions: [HubAction]) {
        for action in actions {
            switch action {
            case .send(let peer, let message):
                if message.kind == .data, let limit = router.batchBytes(of: peer) {
                    gather(message, for: peer, limit: limit)
                } else {
                    let frames = WireCodec.encode(message)
                    // Whatever was gathered for the peer goes first: the link keeps the order of the actions.
                    flushBatch(of: peer)
                    send(frames, to: peer)
                }
            case .pauseProducers, .resumeProducers:
                guard let index = indexes.first(where: { $0.0 == .producers })?.1 else { continue }
                poller.setEvents(action == .pauseProducers ? [] : .readable, at: index)
            case .log(let level, let kind, let text):
                log.log(level.swiftLog, kind: kind, text, now: MonotonicClock.nowMs())
            case .saveDurableSubscriptions(let subscriptions):
                service.saveDurableSubscriptions(subscriptions)
            case .ingestStatus(let seq, let message, let worker):
                let wall = service.clock.wallMs()
                let events = service.presence?.ingest(topic: message.topic, payload: message.payload, receivedAt: wall) ?? []
                execute(router.receiveStatus(seq: seq, events: events, from: worker, now: service.clock.monotonicMs(), wallClock: wall))
            }
        }
    }
}

extension HubLogLevel {
    var swiftLog: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }
}
