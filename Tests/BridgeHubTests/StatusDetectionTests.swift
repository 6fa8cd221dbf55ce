import BridgeCore
import Testing
import WireProtocol

@testable import BridgeHub

/// The router tells status messages from outflow by the status subscriptions; the shell reads them into the
/// status view and hands the events back.
@Suite struct StatusDetectionTests {
    let worker = PeerID.worker(1)

    func router(_ subscriptions: [String]) throws -> HubRouter {
        var router = try makeRouter(HubSettings(statusSubscriptions: subscriptions))
        router.helloWorker(worker)
        return router
    }

    @Test func aMessageOnAStatusSubscriptionIsHandedToTheShell() throws {
        var router = try router(["$SYS/broker/log/#"])
        let log = MQTTMessage(topic: "$SYS/broker/log/N", payload: Array("1: New client connected".utf8), qos: .atMostOnce)
        #expect(router.receive(.mqttData(seq: 7, log, clientId: nil), from: worker, now: 0) == [.ingestStatus(seq: 7, log, from: worker)])
        #expect(router.counters.outflowReceived == 0, "not counted as outflow")
        // No event came of it: the worker's message is acknowledged at once.
        #expect(router.receiveStatus(seq: 7, events: [], from: worker, now: 1).acks(to: worker) == [7])
    }

    @Test(arguments: ["$SYS/broker/load/bytes", "$SYS/brokerx/log/N", "$SYS", "sensors/room1/temp", "$SYS/broker/lo"])
    func otherTopicsAreOutflow(topic: String) throws {
        var router = try router(["$SYS/broker/log/#"])
        let actions = router.publish(worker, seq: 1, topic: topic)
        #expect(!actions.contains { if case .ingestStatus = $0 { true } else { false } }, "\(actions)")
        #expect(router.counters.outflowReceived == 1)
    }

    @Test func singleLevelWildcardsOfEMQXMatchLevelByLevel() throws {
        var router = try router(["$SYS/brokers/+/clients/+/connected", "$SYS/brokers/+/clients/+/disconnected"])
        let connected = MQTTMessage(topic: "$SYS/brokers/emqx@node1/clients/dev-1/connected", payload: [], qos: .atMostOnce)
        #expect(router.receive(.mqttData(seq: 1, connected, clientId: nil), from: worker, now: 0) == [.ingestStatus(seq: 1, connected, from: worker)])
        let deeper = router.publish(worker, seq: 2, topic: "$SYS/brokers/n/clients/a/b/connected")
        #expect(!deeper.contains { if case .ingestStatus = $0 { true } else { false } })
    }

    @Test func withoutStatusSubscriptionsNothingIsAStatusMessage() throws {
        var router = try router([])
        let actions = router.publish(worker, seq: 1, topic: "$SYS/broker/log/N")
        #expect(!actions.contains { if case .ingestStatus = $0 { true } else { false } })
    }

    @Test func aStrangerGetsNoHelloNotAStatusReading() throws {
        var router = try router(["$SYS/broker/log/#"])
        let stranger = PeerID.worker(9)
        let log = MQTTMessage(topic: "$SYS/broker/log/N", payload: [], qos: .atMostOnce)
        let actions = router.receive(.mqttData(seq: 1, log, clientId: nil), from: stranger, now: 0)
        #expect(actions.errors(to: stranger).map(\.code) == [WireErrorCode.noHello])
    }
}
