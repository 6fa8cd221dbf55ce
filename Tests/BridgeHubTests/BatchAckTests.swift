import BridgeCore
import Testing
import WireProtocol

@testable import BridgeHub

/// Batched acknowledgements (`ACK` with `seqs`): consumers and workers may send them to the hub; the hub
/// sends them only to workers that said `batchAck` in HELLO, one per worker per `flushWorkerAcks`.
@Suite struct BatchAckTests {
    let worker = PeerID.worker(1)
    let consumer = PeerID.consumer(1)

    func batchingWorker(_ router: inout HubRouter, _ peer: PeerID, window: Int = 100) {
        _ = router.receive(.hello(Hello(role: .mqttWorker, name: "w", window: window, batchAck: true)), from: peer, now: 0)
    }

    /// The acknowledgements to `peer`, flattened to seqs in order, and how many messages carried them.
    func acks(_ actions: [HubAction], to peer: PeerID) -> (seqs: [UInt64], messages: Int) {
        var seqs: [UInt64] = []
        var messages = 0
        for message in actions.sent(to: peer) {
            switch message {
            case .ack(let seq, nil):
                seqs.append(seq)
                messages += 1
            case .acks(let batch):
                seqs += batch
                messages += 1
            default: break
            }
        }
        return (seqs, messages)
    }

    @Test func welcomeAnnouncesThatTheHubReadsBatchedAcks() throws {
        var router = try makeRouter()
        let toWorker = router.helloWorker(worker).sent(to: worker)
        let toConsumer = router.helloConsumer(consumer).sent(to: consumer)
        let toProducer = router.helloProducer(PeerID.producer(1)).sent(to: PeerID.producer(1))
        for sent in [toWorker, toConsumer, toProducer] {
            guard case .welcome(let welcome)? = sent.first else {
                Issue.record("no WELCOME: \(sent)")
                continue
            }
            #expect(welcome.batchAck)
        }
    }

    @Test func aBatchedConsumerAckSettlesEverySeqAndRefillsTheWindowOnce() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(consumer, window: 3)
        var delivered: [Delivered] = []
        for seq in UInt64(1)...5 {
            delivered += router.publish(worker, seq: seq, topic: "sensors/r\(seq)/temp").deliveries(to: consumer)
        }
        #expect(delivered.map(\.seq) == [1, 2, 3], "the window holds 3")
        let actions = router.receive(.acks(seqs: [1, 2, 3]), from: consumer, now: 5)
        // A worker that did not say batchAck gets one ACK per message, at once.
        #expect(actions.sent(to: worker) == [1, 2, 3].map { .ack(seq: $0, msgId: nil) })
        #expect(actions.deliveries(to: consumer).map(\.text) == ["4", "5"])
        #expect(router.counters.deliveriesAcked == 3)
        #expect(router.flushWorkerAcks().isEmpty)
    }

    @Test func aBatchingWorkerGetsOneAckPerFlush() throws {
        var router = try makeRouter()
        batchingWorker(&router, worker)
        router.helloConsumer(consumer, window: 100)
        var actions: [HubAction] = []
        for seq in UInt64(1)...4 {
            actions += router.publish(worker, seq: seq, topic: "sensors/r\(seq)/temp")
        }
        // Single ACKs from the consumer, in another order: the worker hears nothing until the flush.
        actions += router.ack(consumer, seqs: [2, 1, 4])
        #expect(acks(actions, to: worker).messages == 0)
        let flushed = router.flushWorkerAcks()
        #expect(flushed == [.send(worker, .acks(seqs: [2, 1, 4]))])
        #expect(router.flushWorkerAcks().isEmpty, "gathered seqs are sent once")
        // One settled seq goes in the single form.
        #expect(acks(router.ack(consumer, seq: 3), to: worker).messages == 0)
        #expect(router.flushWorkerAcks() == [.send(worker, .ack(seq: 3, msgId: nil))])
    }

    /// Unmatched messages, status messages and messages whose consumers all acknowledged are gathered the
    /// same way; each worker gets only its own seqs.
    @Test func everyWayOfSettlingIsGatheredPerWorker() throws {
        var router = try makeRouter()
        let other = PeerID.worker(2)
        let plain = PeerID.worker(3)
        batchingWorker(&router, worker)
        batchingWorker(&router, other)
        router.helloWorker(plain)
        router.helloConsumer(consumer, window: 100)
        var actions = router.publish(worker, seq: 1, topic: "nothing/matches")
        actions += router.publish(other, seq: 7, topic: "sensors/a/temp")
        actions += router.receiveStatus(seq: 2, events: [], from: worker, now: 0)
        actions += router.publish(plain, seq: 9, topic: "nothing/matches")
        #expect(actions.sent(to: plain) == [.ack(seq: 9, msgId: nil)], "a worker without batchAck is acknowledged at once")
        actions += router.ack(consumer, seq: 1)
        #expect(acks(actions, to: worker).messages == 0 && acks(actions, to: other).messages == 0)
        let flushed = router.flushWorkerAcks()
        #expect(flushed.count == 2)
        #expect(flushed.sent(to: worker) == [.acks(seqs: [1, 2])])
        #expect(flushed.sent(to: other) == [.ack(seq: 7, msgId: nil)])
    }

    /// An outflow message that went to two consumers is acknowledged once both did, however they acknowledge.
    @Test func singleAndBatchedConsumersTogether() throws {
        var router = try makeRouter()
        let second = PeerID.consumer(2)
        batchingWorker(&router, worker)
        router.helloConsumer(consumer, window: 100)
        router.helloConsumer(second, window: 100)
        for seq in UInt64(1)...3 {
            _ = router.publish(worker, seq: seq, topic: "sensors/r\(seq)/temp")
        }
        _ = router.receive(.acks(seqs: [1, 2, 3]), from: consumer, now: 0)
        #expect(router.flushWorkerAcks().isEmpty, "the second consumer has not acknowledged yet")
        _ = router.ack(second, seq: 2)
        #expect(router.flushWorkerAcks() == [.send(worker, .ack(seq: 2, msgId: nil))])
        _ = router.ack(second, seqs: [1, 3])
        #expect(router.flushWorkerAcks() == [.send(worker, .acks(seqs: [1, 3]))])
        #expect(router.outflowPending.isEmpty)
    }

    @Test func unknownSeqsInABatchAreCountedAndTheRestSettled() throws {
        var router = try makeRouter()
        batchingWorker(&router, worker)
        router.helloConsumer(consumer, window: 100)
        _ = router.publish(worker, seq: 1, topic: "sensors/a/temp")
        _ = router.publish(worker, seq: 2, topic: "sensors/b/temp")
        let actions = router.receive(.acks(seqs: [1, 99, 1, 2]), from: consumer, now: 0)
        #expect(router.counters.protocolErrors["unknown_ack"] == 2, "99, and 1 a second time")
        #expect(actions.contains { if case .log(.debug, "unknown_ack", _) = $0 { true } else { false } })
        #expect(router.counters.deliveriesAcked == 2)
        #expect(router.flushWorkerAcks() == [.send(worker, .acks(seqs: [1, 2]))])
    }

    /// A worker that says HELLO again or leaves gets what was settled for it first, so that it does not
    /// resend what its consumers already have.
    @Test func dueAcksGoBeforeTheWorkerIsForgotten() throws {
        var router = try makeRouter()
        batchingWorker(&router, worker)
        router.helloConsumer(consumer, window: 100)
        _ = router.publish(worker, seq: 1, topic: "sensors/a/temp")
        _ = router.publish(worker, seq: 2, topic: "sensors/b/temp")
        _ = router.ack(consumer, seqs: [1, 2])
        let again = router.receive(.hello(Hello(role: .mqttWorker, name: "w", batchAck: true)), from: worker, now: 1)
        let sent = again.sent(to: worker)
        #expect(sent.first == .acks(seqs: [1, 2]))
        #expect(sent.dropFirst().first.map { if case .welcome = $0 { true } else { false } } == true)
        #expect(router.flushWorkerAcks().isEmpty)

        _ = router.publish(worker, seq: 3, topic: "sensors/c/temp")
        _ = router.ack(consumer, seq: 3)
        let bye = router.receive(.bye, from: worker, now: 2)
        #expect(bye.sent(to: worker) == [.ack(seq: 3, msgId: nil)])
        #expect(router.flushWorkerAcks().isEmpty)
        #expect(router.workersWithAcksDue.isEmpty)
    }

    @Test func aWorkerSettlesInflowWithABatchedAck() throws {
        var router = try makeRouter()
        let producer = PeerID.producer(1)
        router.helloWorker(worker, window: 10)
        router.helloProducer(producer)
        var seqs: [UInt64] = []
        for seq in UInt64(1)...3 {
            for case .mqttData(let hubSeq, _, _) in router.produce(producer, seq: seq, command("d\(seq)")).sent(to: worker) {
                seqs.append(hubSeq)
            }
        }
        #expect(seqs.count == 3)
        let actions = router.receive(.acks(seqs: seqs), from: worker, now: 0)
        let replies = actions.sent(to: producer).compactMap { message -> UInt64? in
            if case .ack(let seq, let msgId?) = message, isMessageId(msgId) { return seq }
            return nil
        }
        #expect(replies == [1, 2, 3], "the producer gets one ACK with a msgId per message")
        #expect(router.counters.inflowPublished == ["commands": 3])
    }

    @Test func aProducerMayNotSendAcks() throws {
        var router = try makeRouter()
        let producer = PeerID.producer(1)
        router.helloProducer(producer)
        let actions = router.receive(.acks(seqs: [1, 2]), from: producer, now: 0)
        guard case .error(let report)? = actions.sent(to: producer).first else {
            Issue.record("no ERROR: \(actions)")
            return
        }
        #expect(report.code == WireErrorCode.malformedMessage)
    }
}
