import BridgeCore
import Testing
import WireProtocol

@testable import BridgeHub

/// Engine workers (the JetStream worker): every routed message, acknowledgements end to end, messages held
/// while the engine is away, inflow from the engine, and message IDs that survive a resend.
@Suite struct EngineTests {
    let worker = PeerID.worker(1)
    let engine = PeerID.worker(9)
    let journal = "0123456789abcdef"

    func expectingEngine() throws -> HubRouter {
        try makeRouter(HubSettings(engineExpected: true))
    }

    @Test func engineTakesEveryRoutedMessageAndTheWorkerIsAckedAfterIt() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        let welcome = router.helloEngine(engine)
        #expect(welcome.welcomes(to: engine).count == 1)
        #expect(welcome.welcomes(to: engine).first?.subscriptions == nil)

        // One message matching two rules (telemetry and audit), one matching another topic's rule.
        var actions = router.publish(worker, seq: 1, topic: "sensors/r1/alarm")
        actions += router.publish(worker, seq: 2, topic: "factory/f1/events")
        let delivered = actions.deliveries(to: engine)
        #expect(delivered.map(\.message.topic) == ["SENSOR_DATA", "AUDIT", "EVENTS"])
        #expect(router.counters.unrouted == 0)
        #expect(actions.acks(to: worker).isEmpty)

        // The worker is acknowledged once the engine has stored every result of its message.
        #expect(router.ack(engine, seq: delivered[0].seq).acks(to: worker).isEmpty)
        #expect(router.ack(engine, seq: delivered[1].seq).acks(to: worker) == [1])
        #expect(router.ack(engine, seq: delivered[2].seq).acks(to: worker) == [2])
    }

    @Test func consumersStillGetTheirCopies() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloEngine(engine)
        router.helloConsumer(.consumer(1), topic: "SENSOR_DATA")
        let actions = router.publish(worker, seq: 1, topic: "sensors/r1/temp")
        let toEngine = try #require(actions.deliveries(to: engine).first)
        let toConsumer = try #require(actions.deliveries(to: .consumer(1)).first)
        #expect(toEngine.message == toConsumer.message)
        #expect(router.ack(.consumer(1), seq: toConsumer.seq).acks(to: worker).isEmpty)
        #expect(router.ack(engine, seq: toEngine.seq).acks(to: worker) == [1])
    }

    @Test func messagesAreHeldWhileTheExpectedEngineIsAwayAndNoneIsUnrouted() throws {
        var router = try expectingEngine()
        router.helloWorker(worker)
        for seq in UInt64(1)...5 {
            #expect(router.publish(worker, seq: seq, topic: "sensors/r\(seq)/temp").acks(to: worker).isEmpty)
        }
        #expect(router.counters.unrouted == 0)
        #expect(router.snapshot.heldForEngine == 5)

        let joined = router.helloEngine(engine, window: 3)
        #expect(joined.bodies(to: engine) == ["1", "2", "3"])
        #expect(router.snapshot.heldForEngine == 0)
        let more = router.ack(engine, seq: 1)
        #expect(more.acks(to: worker) == [1])
        #expect(more.bodies(to: engine) == ["4"])
    }

    @Test func withoutAnExpectedEngineAMessageNobodyTakesIsUnrouted() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        #expect(router.publish(worker, seq: 1, topic: "sensors/r1/temp").acks(to: worker) == [1])
        #expect(router.counters.unrouted == 1)
    }

    @Test func whatALostEngineHadGoesToTheNextOneInOrder() throws {
        var router = try expectingEngine()
        router.helloWorker(worker)
        router.helloEngine(engine, window: 2)
        var actions: [HubAction] = []
        for seq in UInt64(1)...4 { actions += router.publish(worker, seq: seq, topic: "sensors/r\(seq)/temp") }
        #expect(actions.bodies(to: engine) == ["1", "2"])

        let left = router.receive(.bye, from: engine, now: 0)
        #expect(left.acks(to: worker).isEmpty)
        #expect(router.snapshot.heldForEngine == 4)
        #expect(router.counters.deliveriesDropped == 0)

        let second = PeerID.worker(10)
        let joined = router.helloEngine(second, window: 10)
        #expect(joined.bodies(to: second) == ["1", "2", "3", "4"])
    }

    @Test func aSilentEngineIsDroppedAndItsMessagesKept() throws {
        var router = try expectingEngine()
        router.helloWorker(worker, now: 0)
        router.helloEngine(engine, now: 0)
        _ = router.publish(worker, seq: 1, topic: "sensors/r1/temp", now: 0)
        _ = router.receive(.ping, from: worker, now: 5_000)
        _ = router.tick(now: 5_000)
        #expect(!router.isEngine(engine))
        #expect(router.snapshot.heldForEngine == 1)
        #expect(router.counters.peersTimedOut == 1)
    }

    @Test func severalEnginesKeepAKeyOnOneEngine() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        let other = PeerID.worker(10)
        router.helloEngine(engine)
        router.helloEngine(other)
        var owner: [String: Set<PeerID>] = [:]
        for seq in UInt64(1)...40 {
            let room = "r\(seq % 5)"
            let actions = router.publish(worker, seq: seq, topic: "sensors/\(room)/temp")
            for peer in [engine, other] where !actions.deliveries(to: peer).isEmpty { owner[room, default: []].insert(peer) }
        }
        #expect(owner.count == 5)
        #expect(owner.values.allSatisfy { $0.count == 1 })
        #expect(Set(owner.values.flatMap { $0 }).count == 2)
    }

    @Test func outflowIdsDeriveFromTheJournalSoAResendKeepsThem() throws {
        var router = try makeRouter()
        router.helloWorker(worker, journal: journal)
        router.helloEngine(engine)
        let first = router.publish(worker, seq: 7, topic: "sensors/r1/alarm").deliveries(to: engine).map { $0.message.msgId }
        #expect(first == ["0123456789abcdef0000000000070000", "0123456789abcdef0000000000070001"])

        // The worker reconnects (a new session) and sends seq 7 again: the same IDs.
        router.helloWorker(worker, journal: journal)
        let again = router.publish(worker, seq: 7, topic: "sensors/r1/alarm").deliveries(to: engine).map { $0.message.msgId }
        #expect(again == first)

        // A worker with no journal gets IDs of this run.
        let plain = PeerID.worker(2)
        router.helloWorker(plain)
        let ids = router.publish(plain, seq: 7, topic: "sensors/r1/temp").deliveries(to: engine).map { $0.message.msgId }
        #expect(ids.allSatisfy { $0?.hasPrefix(testIdPrefix) == true })
    }

    @Test func statusEventIdsDeriveFromTheEvent() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloEngine(engine)
        let event = StatusEvent(clientId: "GID_sensors@@@d1", time: 5, eventType: .connect, channelId: String(repeating: "a", count: 32),
                                clientIp: "127.0.0.1:1")
        let first = router.publishStatus(event, now: 10).deliveries(to: engine)
        let again = router.publishStatus(event, now: 20).deliveries(to: engine)
        var closing = event
        closing.eventType = .tcpclean
        let other = router.publishStatus(closing, now: 30).deliveries(to: engine)
        let id = StatusMessageID.make(clientId: event.clientId, channelId: event.channelId, eventType: .connect)
        #expect(first.map(\.message.msgId) == [id])
        #expect(again.map(\.message.msgId) == [id])
        #expect(other.first?.message.msgId != id)
        #expect(first.first?.message.tag == "connect")
    }

    @Test func inflowFromTheEngineIsAnsweredLikeAProducers() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloEngine(engine)
        let sent = router.produce(engine, seq: 41, command("d1"))
        let publish = try #require(sent.publishes(to: worker).first)
        #expect(publish.message.topic == "devices/d1/cmd")
        let settled = router.ack(worker, seq: publish.seq)
        let reply = settled.sent(to: engine)
        guard case .ack(41, let msgId)? = reply.first else {
            Issue.record("expected ACK 41, got \(reply)")
            return
        }
        #expect(isMessageId(msgId))

        // A rejected message is refused at once with the reason, and costs nothing else.
        var bad = command("d1")
        bad.properties[PropertyName.qosLevel] = "7"
        let refused = router.produce(engine, seq: 42, bad).errors(to: engine)
        #expect(refused.map(\.seq) == [42])
        #expect(refused.first?.code == "invalid_qos")
        #expect(router.counters.rejected["invalid_qos"] == 1)
    }

    @Test func aBrokerRefusalReachesTheEngineWithItsSeq() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloEngine(engine)
        let publish = try #require(router.produce(engine, seq: 5, command("d1")).publishes(to: worker).first)
        let failed = router.receive(
            .error(WireErrorReport(seq: publish.seq, code: "mqtt_publish_failed", message: "no connection")), from: worker, now: 0)
        #expect(failed.errors(to: engine).map(\.seq) == [5])
    }

    @Test func anEngineRefusingADeliverySettlesItAndCountsIt() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloEngine(engine)
        let delivered = try #require(router.publish(worker, seq: 1, topic: "sensors/r1/temp").deliveries(to: engine).first)
        let refused = router.receive(.error(WireErrorReport(seq: delivered.seq, code: "too_large", message: "over max_payload")),
                                     from: engine, now: 0)
        #expect(refused.acks(to: worker) == [1])
        #expect(router.counters.rejected["consumer_too_large"] == 1)
    }

    @Test func creditChangesTheEnginesWindow() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloEngine(engine, window: 1)
        var actions: [HubAction] = []
        for seq in UInt64(1)...3 { actions += router.publish(worker, seq: seq, topic: "sensors/r\(seq)/temp") }
        #expect(actions.bodies(to: engine) == ["1"])
        #expect(router.receive(.credit(window: 3), from: engine, now: 0).bodies(to: engine) == ["2", "3"])
    }

    @Test func peerCountsKeepEnginesApart() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloEngine(engine)
        router.helloConsumer(.consumer(1))
        let snapshot = router.snapshot
        #expect(snapshot.workers == 1)
        #expect(snapshot.consumers == 1)
        #expect(snapshot.engines == 1)
        #expect(router.dataForm(of: engine) == .queue)
        #expect(router.dataForm(of: worker) == .mqtt)
    }

    @Test func anEngineOnTheConsumersEndpointIsRefused() throws {
        var router = try makeRouter()
        let refused = router.receive(.hello(Hello(role: .engineWorker, name: "js")), from: .consumer(1), now: 0)
        #expect(refused.errors(to: .consumer(1)).first?.code == WireErrorCode.badHello)
    }
}

extension HubRouter {
    @discardableResult
    mutating func helloEngine(_ peer: PeerID, window: Int = 100, now: Int64 = 0) -> [HubAction] {
        receive(.hello(Hello(role: .engineWorker, name: "engine-\(peer)", window: window, batchAck: true)), from: peer, now: now)
    }

    @discardableResult
    mutating func helloWorker(_ peer: PeerID, journal: String, now: Int64 = 0) -> [HubAction] {
        receive(.hello(Hello(role: .mqttWorker, name: "worker-\(peer)", window: 100, journal: journal)), from: peer, now: now)
    }
}
