import BridgeCore
import Testing
import WireProtocol

@testable import BridgeHub

/// What the console reads from the router: the peers it lists and the latest refusals.
@Suite struct OverviewTests {
    @Test func peersAreListedByKindThenNameWithTheirSubscriptions() throws {
        var router = try makeRouter(HubSettings(durableGroups: ["billing"]))
        router.helloProducer(.producer(1))
        router.helloConsumer(.consumer(2), topic: "SENSOR_DATA", tags: "temp||hum", group: "billing", window: 5)
        router.helloConsumer(.consumer(1), topic: "EVENTS")
        router.helloWorker(.worker(1), window: 7)
        router.receive(.hello(Hello(role: .engineWorker, name: "jetstream", window: 9)), from: .worker(2), now: 0)
        _ = router.publish(.worker(1), seq: 1, topic: "sensors/room1/temp")

        let peers = router.snapshot.peers
        #expect(peers.map(\.kind) == [.mqttWorker, .engine, .consumer, .consumer, .producer])
        #expect(peers[0].name == "worker-\(PeerID.worker(1))" && peers[0].window == 7)
        #expect(peers[1].name == "jetstream" && peers[1].topic == nil && peers[1].inFlight == 1, "the engine got the message")
        let grouped = try #require(peers.first { $0.group != nil })
        #expect(grouped.topic == "SENSOR_DATA")
        #expect(grouped.tags == "hum||temp", "as the router normalised them")
        #expect(grouped.group == "billing" && grouped.durable)
        #expect(grouped.window == 5 && grouped.inFlight == 1)
        let plain = try #require(peers.first { $0.topic == "EVENTS" })
        #expect(plain.group == nil && !plain.durable && plain.inFlight == 0)
        #expect(peers[4].name == "producer-\(PeerID.producer(1))" && peers[4].window == nil)

        router.receive(.bye, from: .producer(1), now: 1)
        router.receive(.bye, from: .consumer(1), now: 1)
        #expect(router.snapshot.peers.map(\.kind) == [.mqttWorker, .engine, .consumer])
        #expect(router.producerNames.isEmpty, "a producer's name goes with it")
    }

    @Test func refusalsAreCountedAndTheLatestKeptWithTheirTopicAndReason() throws {
        var router = try makeRouter()
        router.helloWorker(.worker(1))
        router.helloProducer(.producer(1))
        _ = router.receive(.mqttData(seq: 1, MQTTMessage(topic: "sensors/a/b", payload: Array(repeating: 1, count: 100), qos: .atLeastOnce), clientId: nil),
                           from: .worker(1), now: 0, wallClock: 1_000)
        _ = router.receive(.queueData(seq: 1, command("d", properties: ["qoslevel": "5"])), from: .producer(1), now: 0, wallClock: 2_000)

        let snapshot = router.snapshot
        #expect(snapshot.rejected == ["body_too_large": 1, "invalid_qos": 1])
        #expect(snapshot.recentRejections.map(\.direction) == [.outflow, .inflow])
        #expect(snapshot.recentRejections.map(\.reason) == ["body_too_large", "invalid_qos"])
        #expect(snapshot.recentRejections.map(\.topic) == ["sensors/a/b", "COMMANDS"])
        #expect(snapshot.recentRejections.map(\.time) == [1_000, 2_000], "stamped with the wall clock given")
        #expect(snapshot.recentRejections[1].detail.contains("qoslevel"))

        for seq in 2...UInt64(HubRouter.recentRejectionCapacity + 10) {
            _ = router.receive(.queueData(seq: seq, command("d", properties: ["qoslevel": "x\(seq)"])), from: .producer(1), now: 0)
        }
        let kept = router.snapshot.recentRejections
        #expect(kept.count == HubRouter.recentRejectionCapacity)
        #expect(kept.last?.detail.contains("'x\(HubRouter.recentRejectionCapacity + 10)'") == true, "the newest is last")
        #expect(router.snapshot.rejected["invalid_qos"] == HubRouter.recentRejectionCapacity + 10, "every one is counted")
    }

    @Test func recentListKeepsTheLatestInOrder() {
        var list = RecentList<Int>(capacity: 3)
        #expect(list.elements.isEmpty)
        list.append(1)
        list.append(2)
        #expect(list.elements == [1, 2])
        for value in 3...7 { list.append(value) }
        #expect(list.elements == [5, 6, 7])
        list.append(8)
        #expect(list.elements == [6, 7, 8])
        var one = RecentList<String>(capacity: 0)
        one.append("a")
        one.append("b")
        #expect(one.elements == ["b"], "a capacity below 1 keeps one")
    }
}
