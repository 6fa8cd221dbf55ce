import BridgeCore
import WireProtocol

extension HubRouter {
    /// A producer's message: refused at once when the rules reject it, otherwise published through an
    /// MQTT worker and acknowledged when the worker reports the broker has it.
    mutating func handleInflow(seq: UInt64, _ message: QueueMessage, from producer: PeerID, now: Int64) -> [HubAction] {
        let routed: RoutedMQTTMessage
        do {
            routed = try mappings.inflow(message)
        } catch {
            noteRejection(.inflow, reason: error.reason.rawValue, topic: message.topic, detail: error.message)
            return [.send(producer, .error(WireErrorReport(seq: seq, code: error.reason.rawValue, message: error.message)))]
        }
        inflowBacklog.push(
            InflowPending(producer: producer, producerSeq: seq, msgId: nextMessageId(), ruleId: routed.ruleId, publish: routed.message,
                          arrivedAt: now))
        return pumpInflow()
    }

    /// Refuses, with `ERROR broker_unavailable`, the backlog messages that waited `inflowDeadlineMs` for an
    /// MQTT worker and were never handed to one: they are forgotten, so a producer told they failed can rely
    /// on them never being published.
    mutating func expireInflow(now: Int64) -> [HubAction] {
        guard !inflowBacklog.isEmpty else { return [] }
        let deadline = now - settings.inflowDeadlineMs
        var kept = FIFO<InflowPending>()
        var expired: [InflowPending] = []
        for pending in inflowBacklog.drain() {
            if !pending.handedOut && pending.arrivedAt <= deadline { expired.append(pending) } else { kept.push(pending) }
        }
        inflowBacklog = kept
        guard !expired.isEmpty else { return [] }
        var actions: [HubAction] = []
        let reason = workers.isEmpty ? "no MQTT worker is connected to the hub"
            : "no MQTT worker connected to the broker took it (the broker is down, or every worker's window is full)"
        for pending in expired {
            noteRejection(.inflow, reason: WireErrorCode.brokerUnavailable, topic: pending.publish.topic,
                          detail: "\(reason) within \(settings.inflowDeadlineMs) ms")
            if producers[pending.producer] != nil || isEngine(pending.producer) {
                actions.append(.send(pending.producer, .error(WireErrorReport(
                    seq: pending.producerSeq, code: WireErrorCode.brokerUnavailable,
                    message: "\(reason) within \(settings.inflowDeadlineMs) ms; the message was not published and never will be"))))
            }
        }
        actions.append(.log(.warning, kind: WireErrorCode.brokerUnavailable,
                            "\(expired.count) inflow messages refused: \(reason) within \(settings.inflowDeadlineMs) ms"))
        return actions + pumpInflow()
    }

    /// Hands backlog to workers with room in their window; pauses or resumes producers around the limit.
    mutating func pumpInflow() -> [HubAction] {
        var actions: [HubAction] = []
        while !inflowBacklog.isEmpty {
            // The least loaded worker with room, found without building a filtered copy of the workers.
            var target: PeerID?
            var targetLoad = Int.max
            for (peer, worker) in workers where worker.inflight.count < worker.window && worker.inflight.count < targetLoad {
                target = peer
                targetLoad = worker.inflight.count
            }
            guard let target else { break }
            var pending = inflowBacklog.pop()!
            pending.handedOut = true
            let seq = workers[target]!.nextSeq
            workers[target]!.nextSeq += 1
            workers[target]!.inflight[seq] = pending
            actions.append(.send(target, .mqttData(seq: seq, pending.publish, clientId: nil)))
        }
        if !producersPaused, inflowBacklog.count >= settings.inflowBacklogLimit {
            producersPaused = true
            actions.append(.pauseProducers)
            actions.append(.log(.warning, kind: "inflow_backlog", "inflow backlog at \(inflowBacklog.count) messages (no MQTT worker with room); not reading producers"))
        } else if producersPaused, inflowBacklog.count * 2 < settings.inflowBacklogLimit {
            producersPaused = false
            // Their PINGs were not read while paused: count them as alive from now.
            for producer in producers.keys { producers[producer] = now }
            actions.append(.resumeProducers)
        }
        return actions
    }

    /// The worker settled an inflow publish: acknowledge (or refuse) the producer's message. With `pump`
    /// false the caller refills the workers' windows itself (once for a batched `ACK`).
    mutating func settleInflow(seq: UInt64, from worker: PeerID, error: WireErrorReport?, pump: Bool = true) -> [HubAction] {
        guard let pending = workers[worker]?.inflight.removeValue(forKey: seq) else {
            counters.protocolErrors["unknown_ack", default: 0] += 1
            return [.log(.debug, kind: "unknown_ack", "\(worker) settled unknown seq \(seq)")]
        }
        var actions: [HubAction] = []
        if let error {
            noteRejection(.inflow, reason: error.code, topic: pending.publish.topic, detail: error.message)
        } else {
            counters.inflowPublished[pending.ruleId, default: 0] += 1
        }
        if producers[pending.producer] != nil || isEngine(pending.producer) {
            let reply: WireMessage = error.map {
                .error(WireErrorReport(seq: pending.producerSeq, code: $0.code, message: $0.message))
            } ?? .ack(seq: pending.producerSeq, msgId: pending.msgId)
            actions.append(.send(pending.producer, reply))
        }
        return pump ? actions + pumpInflow() : actions
    }
}
