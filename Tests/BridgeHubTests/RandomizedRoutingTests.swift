import TestSupport
import BridgeCore
import Testing
import WireProtocol

@testable import BridgeHub

/// Random interleavings of outflow traffic, consumer acks, group joins and leaves, credits and ticks,
/// checked against a model built only from the actions the router emits.
///
/// Invariants, after every step:
/// - no consumer has more unacknowledged deliveries than its window (checked on every `DATA` sent);
/// - consumer seqs increase per connection; a non-group consumer sees the worker's messages in order;
/// - every worker message is acknowledged at most once, and never while one of its deliveries is still
///   outstanding at a connected consumer;
/// - per key, a delivery to a group member never happens while another connected member of that group has
///   received that key on its current connection, and each member receives a key's messages in the
///   worker's order. This holds because every member of a group subscribes with `*` here: a key then only
///   changes owner when its owner leaves (`chooseMember`), and a departing owner's deliveries are handed
///   on in order. Members with different tag expressions can legitimately split a key across members.
/// At the end, after silent members time out and the rest acknowledge everything, every worker message
/// is acknowledged exactly once.
@Suite struct RandomizedRoutingTests {
    struct Outstanding {
        var workerSeq: UInt64
        var key: String?
    }

    struct ModelConsumer {
        var group: String?
        var window: Int
        var outstanding: [UInt64: Outstanding] = [:]
        var lastSeq: UInt64 = 0
        var lastWorkerSeq: UInt64 = 0
        var lastWorkerSeqByKey: [String: UInt64] = [:]
        /// Stops acking and pinging; the router must time it out.
        var silent = false
        var lastHeard: Int64
    }

    struct Model {
        let worker = PeerID.worker(1)
        var consumers: [PeerID: ModelConsumer] = [:]
        /// Consumers removed by the event being processed (deliveries to them are then ignored).
        var justRemoved: Set<PeerID> = []
        var workerAcks: [UInt64: Int] = [:]
        var published: [UInt64] = []

        mutating func apply(_ actions: [HubAction]) {
            for action in actions {
                guard case .send(let peer, let message) = action else { continue }
                if peer == worker {
                    guard case .ack(let seq, _) = message else {
                        if message != .pong, message.kind != .welcome {
                            Issue.record("unexpected message to the worker: \(message)")
                        }
                        continue
                    }
                    workerAcks[seq, default: 0] += 1
                    #expect(workerAcks[seq] == 1, "worker message \(seq) acked \(workerAcks[seq]!) times")
                    for (id, consumer) in consumers where consumer.outstanding.values.contains(where: { $0.workerSeq == seq }) {
                        Issue.record("worker message \(seq) acked while still outstanding at \(id)")
                    }
                    continue
                }
                guard case .queueData(let seq, let queued) = message else { continue }
                if justRemoved.contains(peer) { continue }
                guard var consumer = consumers[peer] else {
                    Issue.record("DATA sent to unknown consumer \(peer)")
                    continue
                }
                let workerSeq = UInt64(String(decoding: queued.body, as: UTF8.self))!
                let key = queued.keys.first
                #expect(seq > consumer.lastSeq, "seq went back at \(peer)")
                consumer.lastSeq = seq
                consumer.outstanding[seq] = Outstanding(workerSeq: workerSeq, key: key)
                #expect(consumer.outstanding.count <= consumer.window, "\(peer) over its window")
                if let group = consumer.group {
                    if let key {
                        for (other, member) in consumers where other != peer && member.group == group {
                            #expect(member.lastWorkerSeqByKey[key] == nil, "key \(key) at \(peer) and \(other)")
                        }
                        #expect(workerSeq > consumer.lastWorkerSeqByKey[key, default: 0], "key \(key) out of order at \(peer)")
                        consumer.lastWorkerSeqByKey[key] = workerSeq
                    }
                } else {
                    #expect(workerSeq > consumer.lastWorkerSeq, "order broken at \(peer)")
                    consumer.lastWorkerSeq = workerSeq
                }
                consumers[peer] = consumer
            }
            justRemoved = []
        }
    }

    @Test(arguments: [UInt64(1), 7, 2024, 99_991, 0xDEAD_BEEF, 31_337])
    func invariantsHoldUnderRandomInterleavings(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        var router = try makeRouter(HubSettings(heartbeatMs: 1_000))
        var model = Model()
        var now: Int64 = 0
        var nextConsumer: UInt16 = 0
        var workerSeq: UInt64 = 0

        model.apply(router.helloWorker(model.worker, now: now))
        func join(_ peer: PeerID, topic: String, tags: String = "*", group: String?, window: Int) {
            model.consumers[peer] = ModelConsumer(group: group, window: window, lastHeard: now)
            model.apply(router.helloConsumer(peer, topic: topic, tags: tags, group: group, window: window, now: now))
        }
        // Stable consumers without a group; group members come and go.
        join(.consumer(1), topic: "AUDIT", group: nil, window: 3)
        join(.consumer(2), topic: "SENSOR_DATA", tags: "temp||hum", group: nil, window: 4)
        join(.consumer(3), topic: "SENSOR_DATA", group: "sensors", window: 2)
        join(.consumer(4), topic: "EVENTS", group: "events", window: 2)

        for _ in 0..<3_000 {
            // Sorted so that a seed replays the same run (Dictionary order differs between processes).
            let live = model.consumers.filter { !$0.value.silent }.map(\.key)
                .sorted { $0.routingId.lexicographicallyPrecedes($1.routingId) }
            let members = live.filter { model.consumers[$0]!.group != nil }
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<35:
                workerSeq += 1
                model.published.append(workerSeq)
                let room = "room\(Int.random(in: 0..<12, using: &random))"
                let topic = ["sensors/\(room)/temp", "sensors/\(room)/hum", "sensors/\(room)/alarm",
                             "factory/\(room)/events", "kitchen/\(room)"].randomElement(using: &random)!
                model.apply(router.publish(model.worker, seq: workerSeq, topic: topic, now: now))
            case 35..<65:
                guard let peer = live.randomElement(using: &random),
                    let seq = model.consumers[peer]!.outstanding.keys.sorted().randomElement(using: &random)
                else { continue }
                model.consumers[peer]!.outstanding[seq] = nil
                model.consumers[peer]!.lastHeard = now
                model.apply(router.ack(peer, seq: seq, now: now))
            case 65..<73:
                let peer = PeerID(link: .consumers, routingId: [0x47, UInt8(nextConsumer >> 8), UInt8(nextConsumer & 0xFF)])
                nextConsumer += 1
                let sensors = Bool.random(using: &random)
                let window = Int.random(in: 1...5, using: &random)
                join(peer, topic: sensors ? "SENSOR_DATA" : "EVENTS", group: sensors ? "sensors" : "events", window: window)
            case 73..<79:
                guard let peer = members.randomElement(using: &random) else { continue }
                model.consumers[peer] = nil
                model.justRemoved = [peer]
                model.apply(router.receive(.bye, from: peer, now: now))
            case 79..<83:
                guard let peer = members.randomElement(using: &random) else { continue }
                model.consumers[peer]!.silent = true
            case 83..<88:
                guard let peer = live.randomElement(using: &random) else { continue }
                let window = Int.random(in: 1...6, using: &random)
                model.consumers[peer]!.window = window
                model.consumers[peer]!.lastHeard = now
                model.apply(router.receive(.credit(window: window), from: peer, now: now))
            default:
                now += 1_100
                tick(&router, &model, now: now)
            }
            #expect(router.peerCounts.consumers == model.consumers.count)
        }

        // Let every silent member time out, then acknowledge everything that is (or becomes) outstanding.
        for _ in 0..<4 {
            now += 1_100
            tick(&router, &model, now: now)
        }
        #expect(model.consumers.values.allSatisfy { !$0.silent })
        while let busy = model.consumers.first(where: { !$0.value.outstanding.isEmpty }) {
            let peer = busy.key
            let seq = busy.value.outstanding.keys.min()!
            model.consumers[peer]!.outstanding[seq] = nil
            model.apply(router.ack(peer, seq: seq, now: now))
        }
        let unacked = model.published.filter { model.workerAcks[$0] != 1 }
        #expect(unacked.isEmpty, "worker messages not acked exactly once: \(unacked.prefix(10))")
        #expect(router.counters.outflowReceived == model.published.count)
        // The run exercised what it is meant to: departures with redelivery, timeouts, drops and acks.
        #expect(router.counters.redelivered > 0)
        #expect(router.counters.peersTimedOut > 0)
        #expect(router.counters.deliveriesAcked > model.published.count / 2)
    }

    /// Every live peer pings, then the clock ticks: exactly the silent members are dropped.
    func tick(_ router: inout HubRouter, _ model: inout Model, now: Int64) {
        model.apply(router.receive(.ping, from: model.worker, now: now))
        for (peer, consumer) in model.consumers where !consumer.silent {
            model.consumers[peer]!.lastHeard = now
            model.apply(router.receive(.ping, from: peer, now: now))
        }
        let expired = model.consumers.filter { $0.value.lastHeard < now - 3_000 }.map(\.key)
        for peer in expired { model.consumers[peer] = nil }
        model.justRemoved = Set(expired)
        let before = router.counters.peersTimedOut
        model.apply(router.tick(now: now))
        #expect(router.counters.peersTimedOut - before == expired.count)
    }
}
