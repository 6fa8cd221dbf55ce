import BridgeCore
import WireProtocol

extension HubRouter {
    /// Forgets a peer. A consumer's unsettled deliveries go to another member of its group, or are
    /// dropped (and counted) when there is none; a worker's unsettled inflow publishes go back to the
    /// front of the backlog for the next worker.
    mutating func removePeer(_ peer: PeerID, reason: String, quiet: Bool = false) -> [HubAction] {
        var actions: [HubAction] = []
        hot.removeValue(forKey: peer)
        switch peer.link {
        case .producers:
            guard producers.removeValue(forKey: peer) != nil else { return [] }
            producerNames[peer] = nil
        case .workers where isEngine(peer):
            return removeEngine(peer, reason: reason, quiet: quiet)
        case .workers:
            // What was settled for it is still worth saying: a worker saying HELLO again then resends less.
            if let due = takeAcksDue(of: peer) { actions.append(due) }
            workersWithAcksDue.removeAll { $0 == peer }
            guard let worker = workers.removeValue(forKey: peer) else { return [] }
            // Its outflow messages are forgotten: a new session of the same peer starts its seqs afresh and
            // resends what it has not seen acknowledged.
            outflowPending = outflowPending.filter { $0.key.worker != peer }
            let unsettled = worker.inflight.sorted { $0.key < $1.key }.map(\.value)
            inflowBacklog.pushFront(contentsOf: unsettled)
            actions += pumpInflow()
            if !quiet { actions.append(.log(reason == "said BYE" ? .info : .warning, kind: "worker_left", "MQTT worker '\(worker.name)' \(reason); \(unsettled.count) publishes requeued")) }
        case .consumers:
            guard let consumer = consumers.removeValue(forKey: peer) else { return [] }
            let orphans = consumer.unacked.sorted { $0.key < $1.key }.map(\.value) + consumer.queue.drainCopy()
            var redelivered = 0
            var dropped: [Delivery] = []
            if let key = consumer.group {
                groups[key]!.members.removeAll { $0 == peer }
                groups[key]!.keyOwner = groups[key]!.keyOwner.filter { $0.value != peer }
                if groups[key]!.members.isEmpty {
                    groups.removeValue(forKey: key)
                    groupsByTopic[key.topic]?.removeAll { $0 == key }
                    if durable[key] != nil {
                        // A durable group keeps them, in order, for its next member.
                        var backlog = FIFO<Delivery>()
                        for delivery in orphans { backlog.push(delivery) }
                        for delivery in durableBacklog.removeValue(forKey: key)?.drainCopy() ?? [] { backlog.push(delivery) }
                        durableBacklog[key] = backlog
                        redelivered = orphans.count
                    } else {
                        dropped = orphans
                    }
                } else {
                    for delivery in orphans {
                        guard let member = chooseMember(of: key, for: delivery.message) else {
                            dropped.append(delivery)
                            continue
                        }
                        consumers[member]!.queue.push(delivery)
                        redelivered += 1
                    }
                    for member in groups[key]!.members { actions += pump(member) }
                }
            } else {
                consumersByTopic[consumer.topic]?.removeAll { $0 == peer }
                dropped = orphans
            }
            counters.redelivered += redelivered
            counters.deliveriesDropped += dropped.count
            // Dropped deliveries are settled so that the MQTT side is not held up forever.
            for delivery in dropped { actions += settle(delivery.origin) }
            if !quiet {
                actions.append(.log(.info, kind: "consumer_left", "consumer '\(consumer.name)' \(reason); \(redelivered) messages redelivered, \(dropped.count) dropped"))
            }
        }
        return actions
    }
}

extension FIFO {
    /// The elements in order, leaving the queue as it was (it is a value, so this copy is discarded).
    func drainCopy() -> [Element] {
        var copy = self
        return copy.drain()
    }
}
