import BridgeCore
import WireProtocol

/// Engine workers: queue-side engines (the JetStream worker) on the workers endpoint. An engine takes every
/// routed queue-side message, whatever its topic or tag, and acknowledges it once the engine has stored it;
/// several engines share the messages, each first key staying with one engine while it is connected. It
/// also hands the engine's messages to the hub as a producer would.
///
/// An engine is kept as a consumer (its window, deliveries and acknowledgements work the same way) that
/// is listed in `engines` instead of under a topic.
extension HubRouter {
    /// Whether `peer` is a connected engine worker.
    public func isEngine(_ peer: PeerID) -> Bool {
        peer.link == .workers && consumers[peer] != nil
    }

    /// How a `DATA` from `peer` is read: engines speak queue-side messages on the workers endpoint.
    public func dataForm(of peer: PeerID) -> WireCodec.DataForm {
        peer.link == .workers && consumers[peer] == nil ? .mqtt : .queue
    }

    /// Deliveries held while the engine the mapping file names has no worker connected (a gauge).
    public var heldForEngine: Int { engineBacklog.count }

    mutating func joinEngine(_ hello: Hello, peer: PeerID, now: Int64) -> [HubAction] {
        consumers[peer] = Consumer(
            name: hello.name, topic: "", tags: .all, group: nil, window: hello.window, lastSeen: now)
        hot[peer] = Hot(batchBytes: hello.batchBytes)
        engines.append(peer)
        var actions: [HubAction] = [
            .send(peer, .welcome(peerWelcome)),
            .log(.info, kind: "engine_joined", "engine worker '\(hello.name)' joined (window \(hello.window))"),
        ]
        if !engineBacklog.isEmpty {
            let count = engineBacklog.count
            for delivery in engineBacklog.drain() { consumers[peer]!.queue.push(delivery) }
            actions.append(.log(.info, kind: "engine_released", "\(count) messages held for the engine go to '\(hello.name)'"))
        }
        pump(peer, into: &actions)
        return actions
    }

    /// Queues a delivery for one engine; while none is connected and the mapping file names one, holds it
    /// for the next. Returns how many deliveries were made or held (0 or 1).
    mutating func dispatchToEngine(_ delivery: Delivery, into actions: inout [HubAction]) -> Int {
        guard let engine = chooseEngine(for: delivery.message) else {
            guard settings.engineExpected else { return 0 }
            engineBacklog.push(delivery)
            return 1
        }
        consumers[engine]!.pushAndPump(delivery) { seq, delivery in
            actions.append(.send(engine, .queueData(seq: seq, delivery.message)))
        }
        return 1
    }

    /// The engine that takes a message: the owner of its first key while connected, otherwise the least
    /// loaded one (which then owns the key), so that one key's messages are stored in order.
    mutating func chooseEngine(for message: QueueMessage) -> PeerID? {
        guard engines.count > 1 else { return engines.first }
        let shardKey = message.keys.first
        if let shardKey, let owner = engineKeyOwner[shardKey] { return owner }
        let chosen = engines.min { consumers[$0]!.load < consumers[$1]!.load }!
        if let shardKey {
            if engineKeyOwner.count >= settings.maxStickyKeys { engineKeyOwner.removeAll(keepingCapacity: true) }
            engineKeyOwner[shardKey] = chosen
        }
        return chosen
    }

    /// An engine left: what it had not acknowledged goes, in order, to another engine or back to the
    /// engine backlog; nothing is dropped while the mapping file names an engine.
    mutating func removeEngine(_ peer: PeerID, reason: String, quiet: Bool) -> [HubAction] {
        guard let engine = consumers.removeValue(forKey: peer) else { return [] }
        engines.removeAll { $0 == peer }
        engineKeyOwner = engineKeyOwner.filter { $0.value != peer }
        let orphans = engine.unacked.sorted { $0.key < $1.key }.map(\.value) + engine.queue.drainCopy()
        var actions: [HubAction] = []
        var dropped: [Delivery] = []
        for delivery in orphans {
            if let other = chooseEngine(for: delivery.message) {
                consumers[other]!.queue.push(delivery)
            } else if settings.engineExpected {
                engineBacklog.push(delivery)
            } else {
                dropped.append(delivery)
            }
        }
        for other in engines { pump(other, into: &actions) }
        counters.redelivered += orphans.count - dropped.count
        counters.deliveriesDropped += dropped.count
        for delivery in dropped { settle(delivery.origin, into: &actions) }
        if !quiet {
            actions.append(.log(reason == "said BYE" ? .info : .warning, kind: "engine_left",
                                "engine worker '\(engine.name)' \(reason); \(orphans.count - dropped.count) messages kept for the engine"))
        }
        return actions
    }
}
