import TestSupport
import BridgeCore
import Testing
import WireProtocol

@testable import BridgeHub

@Suite struct WindowTests {
    let worker = PeerID.worker(1)
    let consumer = PeerID.consumer(1)

    @Test(arguments: [1, 3, 7])
    func consumerNeverHasMoreThanItsWindow(window: Int) throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(consumer, window: window)
        var actions: [HubAction] = []
        for seq in UInt64(1)...20 {
            actions += router.publish(worker, seq: seq, topic: "sensors/r\(seq)/temp")
        }
        #expect(actions.bodies(to: consumer) == (1...window).map(String.init))
        #expect(actions.acks(to: worker).isEmpty)
    }

    @Test func acksReleaseQueuedDeliveriesInOrder() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(consumer, window: 3)
        var sent: [Delivered] = []
        for seq in UInt64(1)...10 {
            sent += router.publish(worker, seq: seq, topic: "sensors/r/temp").deliveries(to: consumer)
        }
        #expect(sent.map(\.seq) == [1, 2, 3])
        // Out-of-order acks each free one slot; the next queued message goes out with the next seq.
        var released = router.ack(consumer, seq: 2)
        #expect(released.deliveries(to: consumer).map(\.seq) == [4])
        #expect(released.bodies(to: consumer) == ["4"])
        #expect(released.acks(to: worker) == [2])
        released = router.ack(consumer, seq: 1) + router.ack(consumer, seq: 3)
        #expect(released.bodies(to: consumer) == ["5", "6"])
        #expect(released.deliveries(to: consumer).map(\.seq) == [5, 6])
        #expect(released.acks(to: worker) == [1, 3])
        // Drain the rest one ack at a time: never more than three out, order kept.
        var outstanding: [UInt64] = [4, 5, 6]
        var bodies: [String] = []
        while let next = outstanding.first {
            outstanding.removeFirst()
            let more = router.ack(consumer, seq: next).deliveries(to: consumer)
            outstanding += more.map(\.seq)
            bodies += more.map(\.text)
            #expect(outstanding.count <= 3)
        }
        #expect(bodies == ["7", "8", "9", "10"])
    }

    @Test func creditWidensAndNarrowsTheWindow() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(consumer, window: 2)
        for seq in UInt64(1)...10 {
            _ = router.publish(worker, seq: seq, topic: "sensors/r/temp")
        }
        // Wider: the waiting messages go out at once, up to the new window.
        let widened = router.receive(.credit(window: 5), from: consumer, now: 0)
        #expect(widened.bodies(to: consumer) == ["3", "4", "5"])
        // Narrower: nothing is sent until the unacked count is below the new window.
        #expect(router.receive(.credit(window: 2), from: consumer, now: 0).isEmpty)
        #expect(router.ack(consumer, seqs: [1, 2, 3]).deliveries(to: consumer).isEmpty)
        #expect(router.ack(consumer, seq: 4).bodies(to: consumer) == ["6"])
        #expect(router.ack(consumer, seq: 5).bodies(to: consumer) == ["7"])
    }

    @Test func perConsumerOrderIsPreservedAcrossRulesAndRefills() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(consumer, topic: "SENSOR_DATA", window: 4)
        var seqs: [UInt64] = []
        var bodies: [String] = []
        var outstanding: [UInt64] = []
        var random = SplitMix64(seed: 42)
        for seq in UInt64(1)...100 {
            let tag = ["temp", "alarm", "hum"].randomElement(using: &random)!
            var actions = router.publish(worker, seq: seq, topic: "sensors/r\(seq % 5)/\(tag)")
            if !outstanding.isEmpty, Bool.random(using: &random) {
                let index = Int.random(in: 0..<outstanding.count, using: &random)
                actions += router.ack(consumer, seq: outstanding.remove(at: index))
            }
            let got = actions.deliveries(to: consumer)
            seqs += got.map(\.seq)
            bodies += got.map(\.text)
            outstanding += got.map(\.seq)
            #expect(outstanding.count <= 4)
        }
        while !outstanding.isEmpty {
            let got = router.ack(consumer, seq: outstanding.removeFirst()).deliveries(to: consumer)
            seqs += got.map(\.seq)
            bodies += got.map(\.text)
            outstanding += got.map(\.seq)
        }
        #expect(seqs == Array(1...100))
        #expect(bodies == (1...100).map(String.init))
    }

    @Test func workerWindowLimitsInflowPublishes() throws {
        var router = try makeRouter()
        let producer = PeerID.producer(1)
        router.helloWorker(worker, window: 2)
        router.helloProducer(producer)
        var actions: [HubAction] = []
        for seq in UInt64(1)...5 {
            actions += router.produce(producer, seq: seq, command("d\(seq)"))
        }
        #expect(actions.publishes(to: worker).map(\.seq) == [1, 2])
        let next = router.ack(worker, seq: 1)
        #expect(next.publishes(to: worker).map(\.message.topic) == ["devices/d3/cmd"])
        #expect(router.receive(.credit(window: 4), from: worker, now: 0).publishes(to: worker).map(\.message.topic) == [
            "devices/d4/cmd", "devices/d5/cmd",
        ])
    }
}
