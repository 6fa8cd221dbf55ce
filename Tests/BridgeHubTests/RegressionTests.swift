import BridgeCore
import Testing
import WireProtocol

@testable import BridgeHub

/// Behaviour of `HubRouter` that was once wrong; each test names what went wrong and guards the fix.
@Suite struct RegressionTests {
    let worker = PeerID.worker(1)

    /// `removePeer`: when some of a departing member's deliveries find no other member (their tag is taken
    /// by nobody left), exactly those dropped deliveries are settled, not others: the redelivered message 2
    /// is acknowledged to the worker only after the new member acks it, and the dropped message 1 at once.
    @Test func droppedOrphansAreTheOnesSettled() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        let broad = PeerID.consumer(1)
        let tempOnly = PeerID.consumer(2)
        router.helloConsumer(broad, tags: "*", group: "g")
        // Message 1 (tag hum) and message 2 (tag temp) both go to the only member.
        #expect(router.publish(worker, seq: 1, topic: "sensors/room1/hum").bodies(to: broad) == ["1"])
        #expect(router.publish(worker, seq: 2, topic: "sensors/room2/temp").bodies(to: broad) == ["2"])
        router.helloConsumer(tempOnly, tags: "temp", group: "g")

        let left = router.receive(.bye, from: broad, now: 0)
        // Message 2 moves to the member that takes `temp`; message 1 (hum) has nowhere to go and is dropped.
        #expect(left.bodies(to: tempOnly) == ["2"])
        #expect(router.counters.redelivered == 1)
        #expect(router.counters.deliveriesDropped == 1)
        // Only the dropped message is settled now.
        #expect(left.acks(to: worker) == [1])
        // Message 2 is settled when the new member acknowledges it.
        #expect(router.ack(tempOnly, seq: 1).acks(to: worker) == [2])
    }

    /// `tick(now:)`: producers are not timed out for silence while the router has told the I/O shell to
    /// stop reading them (`.pauseProducers`), since their PINGs cannot arrive; otherwise the ACKs of their
    /// backlog messages would never be sent and their next messages would be refused with `no_hello`.
    @Test func pausedProducersAreNotTimedOut() throws {
        var router = try makeRouter(HubSettings(heartbeatMs: 1_000, inflowBacklogLimit: 2, inflowDeadlineMs: 60_000))
        let producer = PeerID.producer(1)
        router.helloProducer(producer, now: 0)
        _ = router.produce(producer, seq: 1, command("d1"), now: 10)
        #expect(router.produce(producer, seq: 2, command("d2"), now: 20).pauseCount == 1)

        // Five seconds without an MQTT worker; the shell is not reading the producer.
        _ = router.tick(now: 5_000)
        #expect(router.peerCounts.producers == 1)

        let hello = router.helloWorker(worker, now: 5_000)
        #expect(hello.resumeCount == 1)
        let acks = router.ack(worker, seqs: hello.publishes(to: worker).map(\.seq), now: 5_001).acks(to: producer)
        #expect(acks == [1, 2])
    }

    /// `pumpInflow`: producers are resumed once the backlog is below half the limit; with a limit of 1 that
    /// is when it is empty (integer halving once made it `count < 0`, which never held).
    @Test func backlogLimitOfOneResumesProducersOnceDrained() throws {
        var router = try makeRouter(HubSettings(inflowBacklogLimit: 1))
        let producer = PeerID.producer(1)
        router.helloProducer(producer)
        #expect(router.produce(producer, seq: 1, command("d1")).pauseCount == 1)
        let hello = router.helloWorker(worker)
        #expect(hello.publishes(to: worker).count == 1)
        let acked = router.ack(worker, seq: 1)
        #expect(acked.acks(to: producer) == [1])
        #expect((hello + acked).resumeCount == 1)
    }
}
