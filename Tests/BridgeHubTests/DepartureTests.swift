import BridgeCore
import Testing
import WireProtocol

@testable import BridgeHub

/// How a peer goes away in these tests.
enum Departure: String, CaseIterable, Sendable {
    case bye, timeout

    /// Makes `peer` leave; `others` keep pinging so that only `peer` is silent.
    func leave(_ peer: PeerID, keeping others: [PeerID], router: inout HubRouter) -> [HubAction] {
        switch self {
        case .bye:
            return router.receive(.bye, from: peer, now: 0)
        case .timeout:
            // heartbeatMs is 1000: 3001 ms of silence is past three heartbeats.
            for other in others { _ = router.receive(.ping, from: other, now: 3_001) }
            return router.tick(now: 3_001)
        }
    }
}

@Suite struct DepartureTests {
    let worker = PeerID.worker(1)
    let first = PeerID.consumer(1)
    let second = PeerID.consumer(2)

    @Test(arguments: Departure.allCases)
    func departureRemovesThePeer(how: Departure) throws {
        for peer in [PeerID.worker(9), PeerID.consumer(9), PeerID.producer(9)] {
            var router = try makeRouter()
            switch peer.link {
            case .workers: router.helloWorker(peer)
            case .consumers: router.helloConsumer(peer)
            case .producers: router.helloProducer(peer)
            }
            _ = how.leave(peer, keeping: [], router: &router)
            #expect(router.peerCounts == (0, 0, 0), "\(peer) after \(how)")
            #expect(router.counters.peersTimedOut == (how == .timeout ? 1 : 0))
            #expect(router.receive(.ping, from: peer, now: 3_002).errors(to: peer).map(\.code) == [WireErrorCode.noHello])
        }
    }

    @Test func silenceOfExactlyThreeHeartbeatsIsTolerated() throws {
        var router = try makeRouter(HubSettings(heartbeatMs: 500))
        router.helloConsumer(first, now: 10)
        #expect(router.tick(now: 1_510).isEmpty)
        #expect(router.peerCounts.consumers == 1)
        _ = router.tick(now: 1_511)
        #expect(router.peerCounts.consumers == 0)
    }

    @Test func peerThatKeepsPingingIsNotDropped() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(first)
        router.helloProducer(PeerID.producer(1))
        for now in stride(from: Int64(900), through: 60_000, by: 900) {
            for peer in [worker, first, PeerID.producer(1)] { _ = router.receive(.ping, from: peer, now: now) }
            #expect(router.tick(now: now + 2_999).isEmpty)
        }
        #expect(router.peerCounts == (1, 1, 1))
        #expect(router.counters.peersTimedOut == 0)
    }

    @Test(arguments: Departure.allCases)
    func groupMemberDeliveriesGoToAnotherMemberInOrder(how: Departure) throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(first, group: "g", window: 2)
        router.helloConsumer(second, group: "g", window: 10)
        var toFirst: [Delivered] = []
        for seq in UInt64(1)...6 {
            toFirst += router.publish(worker, seq: seq, topic: "sensors/room1/temp").deliveries(to: first)
        }
        // All on key room1, owned by the first member: 2 sent, 4 queued. It acks message 1 only.
        #expect(toFirst.map(\.text) == ["1", "2"])
        let acked = router.ack(first, seq: toFirst[0].seq)
        #expect(acked.acks(to: worker) == [1])
        #expect(acked.bodies(to: first) == ["3"])

        let moved = how.leave(first, keeping: [worker, second], router: &router)
        #expect(moved.bodies(to: second) == ["2", "3", "4", "5", "6"])
        #expect(moved.deliveries(to: second).map(\.seq) == [1, 2, 3, 4, 5])
        #expect(moved.acks(to: worker).isEmpty)
        #expect(router.counters.redelivered == 5)
        #expect(router.counters.deliveriesDropped == 0)
        // Redelivered messages keep their identity.
        #expect(moved.deliveries(to: second).first?.message.msgId == toFirst[1].message.msgId)

        let settled = router.ack(second, seqs: [1, 2, 3, 4, 5])
        #expect(settled.acks(to: worker) == [2, 3, 4, 5, 6])
        // The key now lives on the second member.
        #expect(router.publish(worker, seq: 7, topic: "sensors/room1/temp").bodies(to: second) == ["7"])
    }

    @Test func workerIsAckedOnceWhenOneOfSeveralDeliveriesWasRedelivered() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        let audit = PeerID.consumer(3)
        router.helloConsumer(first, group: "g")
        router.helloConsumer(second, group: "g")
        router.helloConsumer(audit, topic: "AUDIT")
        let sent = router.publish(worker, seq: 1, topic: "sensors/room1/alarm")
        #expect(sent.deliveries(to: first).count == 1)
        #expect(router.ack(audit, seq: 1).acks(to: worker).isEmpty)
        let moved = router.receive(.bye, from: first, now: 0)
        #expect(moved.acks(to: worker).isEmpty)
        let redelivered = try #require(moved.deliveries(to: second).first)
        #expect(router.ack(second, seq: redelivered.seq).acks(to: worker) == [1])
        #expect(router.ack(second, seq: redelivered.seq).acks(to: worker).isEmpty)
    }

    @Test(arguments: Departure.allCases)
    func withNoOtherMemberDeliveriesAreDroppedAndTheWorkerAcked(how: Departure) throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(first, group: "g", window: 2)
        for seq in UInt64(1)...5 {
            _ = router.publish(worker, seq: seq, topic: "sensors/room\(seq)/temp")
        }
        let gone = how.leave(first, keeping: [worker], router: &router)
        #expect(gone.acks(to: worker).sorted() == [1, 2, 3, 4, 5])
        #expect(router.counters.deliveriesDropped == 5)
        #expect(router.counters.redelivered == 0)
        // The group is gone with its last member: the next message is unrouted.
        #expect(router.publish(worker, seq: 6, topic: "sensors/room1/temp", now: 3_001).acks(to: worker) == [6])
        #expect(router.counters.unrouted == 1)
    }

    @Test func nonGroupConsumerLosesItsDeliveriesButTheWorkerWaitsForTheOthers() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(first, window: 1)
        router.helloConsumer(second, window: 1)
        _ = router.publish(worker, seq: 1, topic: "sensors/r/temp")
        _ = router.publish(worker, seq: 2, topic: "sensors/r/temp")
        let gone = router.receive(.bye, from: first, now: 0)
        #expect(gone.deliveries(to: second).isEmpty)
        #expect(gone.acks(to: worker).isEmpty)
        #expect(router.counters.deliveriesDropped == 2)
        #expect(router.ack(second, seq: 1).acks(to: worker) == [1])
        #expect(router.ack(second, seq: 2).acks(to: worker) == [2])
    }

    @Test func ackForADepartedWorkerIsNotSentToAnyone() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(first)
        _ = router.publish(worker, seq: 1, topic: "sensors/r/temp")
        _ = router.receive(.bye, from: worker, now: 0)
        let acked = router.ack(first, seq: 1)
        #expect(acked.filter { if case .send = $0 { return true } else { return false } }.isEmpty)
        #expect(router.counters.deliveriesAcked == 1)
    }
}
