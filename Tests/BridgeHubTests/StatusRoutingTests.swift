import BridgeCore
import Testing
import WireProtocol

@testable import BridgeHub

@Suite struct StatusRoutingTests {
    let watcher = PeerID.consumer(1)

    func event(_ clientId: String, _ type: StatusEvent.EventType, time: Int64 = 1_795_297_490_123) -> StatusEvent {
        StatusEvent(
            clientId: clientId, time: time, eventType: type, channelId: String(repeating: "ab", count: 16),
            clientIp: "10.0.0.7:5123")
    }

    @Test(arguments: StatusEvent.EventType.allCases)
    func statusEventGoesToTheStatusTopicTaggedWithItsType(type: StatusEvent.EventType) throws {
        var router = try makeRouter()
        router.helloConsumer(watcher, topic: "STATUS")
        let status = event("GID_sensors@@@dev-001", type)
        let actions = router.publishStatus(status, now: 99)
        let delivered = try #require(actions.deliveries(to: watcher).first)
        #expect(actions.deliveries(to: watcher).count == 1)
        #expect(delivered.message.topic == "STATUS")
        #expect(delivered.message.tag == type.rawValue)
        #expect(delivered.message.keys == ["GID_sensors@@@dev-001"])
        #expect(delivered.message.properties == ["clientId": "GID_sensors@@@dev-001"])
        #expect(delivered.message.body == Array(status.jsonBody.utf8))
        #expect(delivered.message.bornTimestamp == 99)
        #expect(isMessageId(delivered.message.msgId))
        #expect(router.counters.outflowRouted == ["sensor-status": 1])
    }

    @Test func otherGroupsAndPlainClientIdsAreNotRouted() throws {
        var router = try makeRouter()
        router.helloConsumer(watcher, topic: "STATUS")
        #expect(router.publishStatus(event("GID_other@@@dev-1", .connect), now: 0).isEmpty)
        #expect(router.publishStatus(event("plain-client", .connect), now: 0).isEmpty)
        #expect(router.counters.outflowRouted.isEmpty)
    }

    @Test func statusConsumersFilterByEventTypeAndShareByGroup() throws {
        var router = try makeRouter()
        let offline = PeerID.consumer(2)
        let memberA = PeerID.consumer(3)
        let memberB = PeerID.consumer(4)
        router.helloConsumer(offline, topic: "STATUS", tags: "tcpclean")
        router.helloConsumer(memberA, topic: "STATUS", group: "presence")
        router.helloConsumer(memberB, topic: "STATUS", group: "presence")
        var actions: [HubAction] = []
        for type in [StatusEvent.EventType.connect, .disconnect, .tcpclean] {
            actions += router.publishStatus(event("GID_sensors@@@dev-1", type), now: 0)
            actions += router.publishStatus(event("GID_sensors@@@dev-2", type), now: 0)
        }
        #expect(actions.deliveries(to: offline).compactMap(\.message.tag) == ["tcpclean", "tcpclean"])
        // One client's events stay on one member (the client ID is the key), in order.
        let tagsA = actions.deliveries(to: memberA).map { "\($0.message.keys[0]):\($0.message.tag!)" }
        let tagsB = actions.deliveries(to: memberB).map { "\($0.message.keys[0]):\($0.message.tag!)" }
        #expect(tagsA == ["GID_sensors@@@dev-1:connect", "GID_sensors@@@dev-1:disconnect", "GID_sensors@@@dev-1:tcpclean"])
        #expect(tagsB == ["GID_sensors@@@dev-2:connect", "GID_sensors@@@dev-2:disconnect", "GID_sensors@@@dev-2:tcpclean"])
    }

    @Test func statusWithNoConsumerIsUnroutedAndAckingItSendsNothingToWorkers() throws {
        var router = try makeRouter()
        let worker = PeerID.worker(1)
        router.helloWorker(worker)
        #expect(router.publishStatus(event("GID_sensors@@@d", .connect), now: 0).deliveries(to: watcher).isEmpty)
        #expect(router.counters.unrouted == 1)
        router.helloConsumer(watcher, topic: "STATUS")
        _ = router.publishStatus(event("GID_sensors@@@d", .tcpclean), now: 0)
        let acked = router.ack(watcher, seq: 1)
        #expect(acked.sent(to: worker).isEmpty)
        #expect(router.counters.deliveriesAcked == 1)
    }

    /// A broker status message from a worker: the worker hears back only after every consumer of its
    /// events has acknowledged them, like outflow.
    @Test func statusMessageFromAWorkerIsAcknowledgedAfterItsDeliveries() throws {
        var router = try makeRouter()
        let worker = PeerID.worker(1)
        router.helloWorker(worker)
        router.helloConsumer(watcher, topic: "STATUS")
        let events = [event("GID_sensors@@@d", .disconnect), event("GID_sensors@@@d", .tcpclean)]
        let actions = router.receiveStatus(seq: 7, events: events, from: worker, now: 5)
        #expect(actions.deliveries(to: watcher).compactMap(\.message.tag) == ["disconnect", "tcpclean"])
        #expect(actions.acks(to: worker).isEmpty)
        #expect(router.ack(watcher, seq: 1).acks(to: worker).isEmpty)
        #expect(router.ack(watcher, seq: 2).acks(to: worker) == [7])
        #expect(router.counters.statusEvents == ["disconnect": 1, "tcpclean": 1])
    }

    @Test func statusMessageWithNothingToDeliverIsAcknowledgedAtOnce() throws {
        var router = try makeRouter()
        let worker = PeerID.worker(1)
        router.helloWorker(worker)
        // No events (a line that is not about connections), and events of a group without a rule.
        #expect(router.receiveStatus(seq: 1, events: [], from: worker, now: 0).acks(to: worker) == [1])
        #expect(router.receiveStatus(seq: 2, events: [event("GID_other@@@x", .connect)], from: worker, now: 0).acks(to: worker) == [2])
        #expect(router.counters.statusEvents == ["connect": 1])
    }

    @Test func statusFromAPeerThatSaidNoHelloIsRefused() throws {
        var router = try makeRouter()
        let stranger = PeerID.worker(9)
        #expect(!router.knows(stranger))
        let actions = router.receiveStatus(seq: 1, events: [event("GID_sensors@@@d", .connect)], from: stranger, now: 0)
        #expect(actions.errors(to: stranger).map(\.code) == ["no_hello"])
        #expect(router.counters.statusEvents.isEmpty)
    }

    @Test func workersAreAskedToSubscribeToTheStatusTopics() throws {
        var router = try makeRouter(HubSettings(statusSubscriptions: ["$SYS/broker/log/#"]))
        let worker = PeerID.worker(1)
        let welcome = try #require(router.helloWorker(worker).welcomes(to: worker).first)
        #expect(welcome.statusSubscriptions == ["$SYS/broker/log/#"])
        #expect(router.knows(worker))
        var plain = try makeRouter()
        #expect(plain.helloWorker(worker).welcomes(to: worker).first?.statusSubscriptions == nil)
    }
}
