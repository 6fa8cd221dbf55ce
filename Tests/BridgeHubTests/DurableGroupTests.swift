import BridgeCore
import Testing
import WireProtocol

@testable import BridgeHub

/// Durable groups (`queue.groups`): their messages wait in the hub while no member is connected, and the
/// worker is acknowledged only once a member has them.
@Suite struct DurableGroupTests {
    let worker = PeerID.worker(1)
    let first = PeerID.consumer(1)
    let second = PeerID.consumer(2)

    func durableRouter(_ durable: [DurableSubscription] = []) throws -> HubRouter {
        HubRouter(
            mappings: try testMappings(), settings: HubSettings(durableGroups: ["backend"]), session: testSession,
            idPrefix: testIdPrefix, durable: durable)
    }

    @Test func firstMemberRegistersTheGroupAndItIsSaved() throws {
        var router = try durableRouter()
        let actions = router.helloConsumer(first, topic: "SENSOR_DATA", group: "backend")
        #expect(actions.contains(.saveDurableSubscriptions([DurableSubscription(topic: "SENSOR_DATA", group: "backend", tags: "*")])))
        // A second member with the same tags changes nothing; a group not in queue.groups is not durable.
        #expect(!router.helloConsumer(second, topic: "SENSOR_DATA", group: "backend").contains { if case .saveDurableSubscriptions = $0 { true } else { false } })
        #expect(!router.helloConsumer(PeerID.consumer(3), topic: "SENSOR_DATA", group: "other").contains { if case .saveDurableSubscriptions = $0 { true } else { false } })
        #expect(router.durableSubscriptions.map(\.group) == ["backend"])
    }

    /// `queue.durable`: a subscription declared in the mapping file holds its messages from the first start,
    /// before any member of the group has ever connected; other tags stay unrouted.
    @Test func aDeclaredSubscriptionHoldsMessagesBeforeAnyMemberEverConnected() throws {
        var router = HubRouter(
            mappings: try testMappings(),
            settings: HubSettings(declaredDurable: [DurableSubscription(topic: "SENSOR_DATA", group: "backend", tags: "temp")]),
            session: testSession, idPrefix: testIdPrefix)
        router.helloWorker(worker)
        var actions = router.publish(worker, seq: 1, topic: "sensors/r1/temp")
        actions += router.publish(worker, seq: 2, topic: "sensors/r1/hum")
        #expect(actions.acks(to: worker) == [2], "hum is not taken by the declared tags")
        #expect(router.counters.unrouted == 1)
        #expect(router.snapshot.heldForDurableGroups == 1)
        let joined = router.helloConsumer(first, topic: "SENSOR_DATA", tags: "temp", group: "backend")
        #expect(joined.bodies(to: first) == ["1"])
        #expect(router.ack(first, seq: 1).acks(to: worker) == [1])
    }

    @Test func messagesWaitWhileTheGroupIsAwayAndGoToTheNextMemberInOrder() throws {
        var router = try durableRouter()
        router.helloWorker(worker)
        router.helloConsumer(first, topic: "SENSOR_DATA", group: "backend")
        _ = router.receive(.bye, from: first, now: 0)
        var actions: [HubAction] = []
        for seq in 1...3 as ClosedRange<UInt64> {
            actions += router.publish(worker, seq: seq, topic: "sensors/dev1/temp")
        }
        #expect(actions.acks(to: worker).isEmpty, "not acknowledged while only the hub holds them")
        #expect(router.counters.unrouted == 0)
        #expect(router.heldForDurableGroups == 3)

        let joined = router.helloConsumer(second, topic: "SENSOR_DATA", group: "backend")
        #expect(joined.bodies(to: second) == ["1", "2", "3"])
        #expect(router.heldForDurableGroups == 0)
        #expect(router.ack(second, seqs: [1, 2, 3]).acks(to: worker) == [1, 2, 3])
    }

    @Test func lastMemberLeavingHandsItsUnacknowledgedMessagesToTheGroup() throws {
        var router = try durableRouter()
        router.helloWorker(worker)
        router.helloConsumer(first, topic: "SENSOR_DATA", group: "backend")
        let sent = router.publish(worker, seq: 1, topic: "sensors/dev1/temp") + router.publish(worker, seq: 2, topic: "sensors/dev2/temp")
        #expect(sent.bodies(to: first) == ["1", "2"])
        let gone = router.receive(.bye, from: first, now: 0)
        #expect(gone.acks(to: worker).isEmpty)
        #expect(router.counters.deliveriesDropped == 0)
        #expect(router.heldForDurableGroups == 2)
        #expect(router.helloConsumer(second, topic: "SENSOR_DATA", group: "backend").bodies(to: second) == ["1", "2"])
    }

    @Test func registrationsFromAnEarlierRunHoldMessagesBeforeAnyMemberConnects() throws {
        var router = try durableRouter([
            DurableSubscription(topic: "SENSOR_DATA", group: "backend", tags: "temp"),
            DurableSubscription(topic: "SENSOR_DATA", group: "no-longer-durable", tags: "*"),
        ])
        router.helloWorker(worker)
        #expect(router.durableSubscriptions.map(\.group) == ["backend"])
        _ = router.publish(worker, seq: 1, topic: "sensors/dev1/temp")
        // The group took only "temp": a "hum" message reaches nobody and is counted.
        let unrouted = router.publish(worker, seq: 2, topic: "sensors/dev1/hum")
        #expect(unrouted.acks(to: worker) == [2])
        #expect(router.counters.unrouted == 1)
        #expect(router.helloConsumer(first, topic: "SENSOR_DATA", tags: "temp", group: "backend").bodies(to: first) == ["1"])
    }

    @Test func reloadingRulesSendsWorkersTheNewSubscriptions() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        var fewer = try testMappings()
        fewer = MappingTable(outflow: [fewer.outflowRules[2]], inflow: [], status: [], limits: fewer.limits)
        let actions = router.replaceMappings(fewer)
        let welcome = try #require(actions.welcomes(to: worker).first)
        #expect(welcome.subscriptions == ["factory/+/events"])
        #expect(welcome.parents == [])
        #expect(welcome.session == testSession, "the same hub run: the worker keeps its session")
        #expect(router.publish(worker, seq: 1, topic: "sensors/dev1/temp").acks(to: worker) == [1], "old rules no longer apply")
        #expect(router.counters.unmatched == 1)
    }
}
