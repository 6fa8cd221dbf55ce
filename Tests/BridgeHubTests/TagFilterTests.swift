import BridgeCore
import Testing
import WireProtocol

@testable import BridgeHub

@Suite struct TagFilterTests {
    let worker = PeerID.worker(1)

    /// Which tags (third topic level on `SENSOR_DATA`) reach a consumer with the given expression.
    @Test(arguments: [
        ("*", ["temp", "hum", "alarm", "co2"]),
        ("temp||hum", ["temp", "hum"]),
        (" temp || alarm ", ["temp", "alarm"]),
        ("co2", ["co2"]),
        ("pressure", []),
    ])
    func consumerGetsOnlyTheTagsItTakes(expression: String, expected: [String]) throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        let consumer = PeerID.consumer(1)
        router.helloConsumer(consumer, topic: "SENSOR_DATA", tags: expression)
        var got: [String] = []
        for (index, tag) in ["temp", "hum", "alarm", "co2"].enumerated() {
            let seq = UInt64(index + 1)
            let actions = router.publish(worker, seq: seq, topic: "sensors/room1/\(tag)")
            got += actions.deliveries(to: consumer).compactMap(\.message.tag)
            if !expected.contains(tag) {
                // Nobody else takes it (AUDIT has no consumer): unrouted, acknowledged at once.
                #expect(actions.acks(to: worker) == [seq])
            }
        }
        #expect(got == expected)
        // Every tag it does not take is unrouted, and so is the alarm's copy on AUDIT (no consumer there).
        #expect(router.counters.unrouted == 4 - expected.count + 1)
    }

    @Test func untaggedMessagePassesOnlyTheStar() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        let star = PeerID.consumer(1)
        let named = PeerID.consumer(2)
        router.helloConsumer(star, topic: "EVENTS", tags: "*")
        router.helloConsumer(named, topic: "EVENTS", tags: "events")
        let actions = router.publish(worker, seq: 1, topic: "factory/f1/events")
        #expect(actions.deliveries(to: star).count == 1)
        #expect(actions.deliveries(to: star).first?.message.tag == nil)
        #expect(actions.deliveries(to: named).isEmpty)
    }

    @Test func consumersWithDifferentExpressionsEachGetTheirShare() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        let all = PeerID.consumer(1)
        let tempOrHum = PeerID.consumer(2)
        let other = PeerID.consumer(3)
        router.helloConsumer(all, tags: "*")
        router.helloConsumer(tempOrHum, tags: "temp||hum")
        router.helloConsumer(other, tags: "pressure")
        var actions: [HubAction] = []
        for (index, tag) in ["temp", "alarm", "hum", "co2", "temp"].enumerated() {
            actions += router.publish(worker, seq: UInt64(index + 1), topic: "sensors/r/\(tag)")
        }
        #expect(actions.bodies(to: all) == ["1", "2", "3", "4", "5"])
        #expect(actions.bodies(to: tempOrHum) == ["1", "3", "5"])
        #expect(actions.deliveries(to: other).isEmpty)
        // Messages taken only by `all` are acked when `all` acks; those also sent to tempOrHum wait for both.
        let acked = router.ack(all, seqs: [1, 2, 3, 4, 5]).acks(to: worker)
        #expect(acked == [2, 4])
        #expect(router.ack(tempOrHum, seqs: [1, 2, 3]).acks(to: worker) == [1, 3, 5])
    }
}
