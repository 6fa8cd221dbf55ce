import BridgeCore
import WireProtocol

extension HubRouter {
    /// An MQTT message from a worker: translate it and hand one delivery per matching rule to consumers.
    /// The worker is acknowledged once every delivery is settled.
    mutating func handleOutflow(seq: UInt64, _ message: MQTTMessage, clientId: String?, from worker: PeerID, now: Int64)
        -> [HubAction]
    {
        var actions: [HubAction] = []
        handleOutflow(seq: seq, message, clientId: clientId, from: worker, now: now, into: &actions)
        return actions
    }

    /// `handleOutflow`, adding the actions to `actions`.
    mutating func handleOutflow(
        seq: UInt64, _ message: MQTTMessage, clientId: String?, from worker: PeerID, now: Int64, into actions: inout [HubAction]
    ) {
        counters.outflowReceived += 1
        let routed: [RoutedQueueMessage]
        do {
            routed = try mappings.outflow(message, publisherClientId: clientId)
        } catch {
            noteRejection(.outflow, reason: error.reason.rawValue, topic: message.topic, detail: error.message)
            actions.append(.send(worker, .error(WireErrorReport(seq: seq, code: error.reason.rawValue, message: error.message))))
            actions.append(.log(.warning, kind: error.reason.rawValue, "outflow message on '\(message.topic)' refused: \(error.message)"))
            return
        }
        if routed.isEmpty {
            counters.unmatched += 1
            acknowledgeOutflow(seq: seq, of: worker, into: &actions)
            return
        }
        let origin = OutflowKey(worker: worker, seq: seq)
        let journal = hot[worker]?.journal
        var deliveries = 0
        for (index, result) in routed.enumerated() {
            counters.outflowRouted[result.ruleId, default: 0] += 1
            let msgId = journal.map { OutflowMessageID.make(journal: $0, seq: seq, index: index) }
            deliveries += dispatch(result.message, msgId: msgId, origin: origin, into: &actions)
        }
        if deliveries == 0 {
            acknowledgeOutflow(seq: seq, of: worker, into: &actions)
        } else {
            outflowPending[origin, default: 0] += deliveries
        }
    }

    /// Stamps a queue-side message (with `msgId`, or a new ID of this run) and queues it for every consumer
    /// without a group whose subscription takes it, for one member of each group and for one engine worker.
    /// Returns how many deliveries were queued or held.
    mutating func dispatch(_ message: QueueMessage, msgId: String? = nil, origin: OutflowKey?, into actions: inout [HubAction]) -> Int {
        var stamped = message
        stamped.msgId = msgId ?? nextMessageId()
        stamped.bornTimestamp = wallNow
        let delivery = Delivery(origin: origin, message: stamped)
        var targets = 0
        // Each consumer is looked up once, to check its tags, queue the delivery and send what its window
        // takes: this runs for every delivery. Plain consumers and groups are disjoint, so queueing to the
        // first does not change which group member is the least loaded.
        for peer in consumersByTopic[message.topic] ?? [] {
            guard let index = consumers.index(forKey: peer) else { continue }
            let taken = consumers.values[index].takeIfAccepted(delivery) { seq, delivery in
                actions.append(.send(peer, .queueData(seq: seq, delivery.message)))
            }
            if taken { targets += 1 }
        }
        for key in groupsByTopic[message.topic] ?? [] {
            guard let member = chooseMember(of: key, for: stamped) else { continue }
            consumers[member]?.pushAndPump(delivery) { seq, delivery in
                actions.append(.send(member, .queueData(seq: seq, delivery.message)))
            }
            targets += 1
        }
        targets += dispatchToEngine(delivery, into: &actions)
        let held = holdForAbsentDurableGroups(delivery)
        if targets == 0 && held == 0 {
            counters.unrouted += 1
            actions.append(.log(.warning, kind: "unrouted", "no consumer takes queue topic \(message.topic) tag \(message.tag ?? "-"); "
                + "message counted as unrouted and dropped. To keep such messages until a consumer comes, declare a durable "
                + "subscription (queue.durable: group, topic, tags) or use the JetStream queue side (a jetstream section)"))
            return 0
        }
        return targets + held
    }

    /// The member of a group that takes a message: the owner of its first key while connected, otherwise
    /// the least loaded member whose tags accept it (which then owns the key).
    mutating func chooseMember(of key: GroupKey, for message: QueueMessage) -> PeerID? {
        guard let group = groups[key] else { return nil }
        let eligible = group.members.filter { consumers[$0]!.tags.accepts(message.tag) }
        guard !eligible.isEmpty else { return nil }
        let shardKey = message.keys.first
        if let shardKey, let owner = group.keyOwner[shardKey], eligible.contains(owner) {
            return owner
        }
        let chosen = eligible.min { consumers[$0]!.load < consumers[$1]!.load }!
        if let shardKey {
            if group.keyOwner.count >= settings.maxStickyKeys {
                groups[key]!.keyOwner.removeAll(keepingCapacity: true)
            }
            groups[key]!.keyOwner[shardKey] = chosen
        }
        return chosen
    }

    /// Sends queued deliveries to a consumer while its window has room.
    mutating func pump(_ peer: PeerID) -> [HubAction] {
        var actions: [HubAction] = []
        pump(peer, into: &actions)
        return actions
    }

    /// Sends queued deliveries to a consumer while its window has room, adding the sends to `actions`.
    mutating func pump(_ peer: PeerID, into actions: inout [HubAction]) {
        // In place: a copy of the consumer taken out of the dictionary would make the next write to
        // `unacked` copy the whole window of deliveries, once per message.
        guard let index = consumers.index(forKey: peer) else { return }
        consumers.values[index].pumpWindow { seq, delivery in
            actions.append(.send(peer, .queueData(seq: seq, delivery.message)))
        }
    }

    mutating func handleConsumerAck(seq: UInt64, from peer: PeerID) -> [HubAction] {
        var actions: [HubAction] = []
        settleDelivery(seq: seq, from: peer, into: &actions)
        pump(peer, into: &actions)
        return actions
    }

    /// A batched `ACK` from a consumer: every seq is settled as if acknowledged one by one, then the window
    /// is refilled once.
    mutating func handleConsumerAcks(_ seqs: [UInt64], from peer: PeerID) -> [HubAction] {
        var actions: [HubAction] = []
        handleConsumerAcks(seqs, from: peer, into: &actions)
        return actions
    }

    /// `handleConsumerAcks`, adding the actions to `actions`.
    mutating func handleConsumerAcks(_ seqs: [UInt64], from peer: PeerID, into actions: inout [HubAction]) {
        // The consumer's window is opened once for all the seqs, in place through its index (`consumers[peer]?.…`
        // moves the record out of the dictionary and back); what each delivery settles is done after.
        var settled: [(origin: OutflowKey?, born: Int64?)] = []
        var unknown: [UInt64] = []
        settled.reserveCapacity(seqs.count)
        if let index = consumers.index(forKey: peer) {
            consumers.values[index].takeUnacked(seqs) { seq, delivery in
                if let delivery {
                    settled.append((delivery.origin, delivery.message.bornTimestamp))
                } else {
                    unknown.append(seq)
                }
            }
        } else {
            unknown = seqs
        }
        for (origin, born) in settled {
            counters.deliveriesAcked += 1
            if let born { counters.deliveryLatency.observe(wallNow - born) }
            settle(origin, into: &actions)
        }
        for seq in unknown { noteUnknownAck(seq, from: peer, into: &actions) }
        pump(peer, into: &actions)
    }

    private mutating func noteUnknownAck(_ seq: UInt64, from peer: PeerID, into actions: inout [HubAction]) {
        counters.protocolErrors["unknown_ack", default: 0] += 1
        actions.append(.log(.debug, kind: "unknown_ack", "\(peer) acknowledged unknown seq \(seq)"))
    }

    /// One delivery acknowledged by its consumer: forgotten, timed, and settled towards its worker.
    private mutating func settleDelivery(seq: UInt64, from peer: PeerID, into actions: inout [HubAction]) {
        guard let delivery = consumers[peer]?.unacked.removeValue(forKey: seq) else {
            noteUnknownAck(seq, from: peer, into: &actions)
            return
        }
        counters.deliveriesAcked += 1
        if let born = delivery.message.bornTimestamp { counters.deliveryLatency.observe(wallNow - born) }
        settle(delivery.origin, into: &actions)
    }

    /// One delivery of an outflow message is settled; acknowledges the worker after the last one.
    mutating func settle(_ origin: OutflowKey?) -> [HubAction] {
        var actions: [HubAction] = []
        settle(origin, into: &actions)
        return actions
    }

    /// `settle(_:)`, adding what it sends to `actions`.
    mutating func settle(_ origin: OutflowKey?, into actions: inout [HubAction]) {
        // One hash of the key, whether the count goes down or the entry goes.
        guard let origin, let index = outflowPending.index(forKey: origin) else { return }
        if outflowPending.values[index] > 1 {
            outflowPending.values[index] -= 1
            return
        }
        outflowPending.remove(at: index)
        acknowledgeOutflow(seq: origin.seq, of: origin.worker, into: &actions)
    }
}
