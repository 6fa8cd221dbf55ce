import BridgeCore
import Testing
import WireProtocol

@testable import BridgeHub

@Suite struct UndecodableTests {
    @Test(arguments: [WireErrorCode.unsupportedVersion, WireErrorCode.unknownKind, WireErrorCode.malformedFrame])
    func undecodableFrameIsAnsweredAndCounted(code: String) throws {
        var router = try makeRouter()
        let worker = PeerID.worker(1)
        let consumer = PeerID.consumer(1)
        router.helloWorker(worker)
        router.helloConsumer(consumer)
        let report = WireErrorReport(code: code, message: "frame 0 is not MQB1")
        let answer = router.undecodable(report, from: worker, now: 5)
        #expect(answer.sent(to: worker) == [.error(report)])
        #expect(router.counters.protocolErrors == [code: 1])
        #expect(router.peerCounts.workers == 1)
        // The worker carries on: its next valid message is routed and acknowledged as usual.
        let next = router.publish(worker, seq: 1, topic: "sensors/a/temp", now: 6)
        #expect(next.bodies(to: consumer) == ["1"])
        #expect(router.ack(consumer, seq: 1).acks(to: worker) == [1])
    }

    @Test func undecodableCountsAsLife() throws {
        var router = try makeRouter()
        let consumer = PeerID.consumer(1)
        router.helloConsumer(consumer, now: 0)
        _ = router.undecodable(WireErrorReport(code: WireErrorCode.malformedFrame, message: "x"), from: consumer, now: 2_000)
        _ = router.tick(now: 4_500)
        #expect(router.peerCounts.consumers == 1)
    }

    @Test func undecodableFromAnUnknownPeerIsAnsweredToo() throws {
        var router = try makeRouter()
        let stranger = PeerID.producer(7)
        let report = WireErrorReport(code: WireErrorCode.unknownKind, message: "kind 'HI'")
        #expect(router.undecodable(report, from: stranger, now: 0).sent(to: stranger) == [.error(report)])
        #expect(router.counters.protocolErrors == [WireErrorCode.unknownKind: 1])
    }

    /// Nobody answers an ERROR with an ERROR: a broken ERROR is counted and logged, not answered.
    @Test(arguments: [PeerID.worker(1), .consumer(1), .producer(1)])
    func undecodableErrorIsCountedNotAnswered(peer: PeerID) throws {
        var router = try makeRouter()
        router.helloWorker(.worker(1))
        router.helloConsumer(.consumer(1))
        router.helloProducer(.producer(1))
        let report = WireErrorReport(code: WireErrorCode.malformedMessage, message: "ERROR: member 'code' is missing")
        let actions = router.undecodable(report, kind: .error, from: peer, now: 0)
        #expect(actions.sent(to: peer).isEmpty)
        #expect(router.counters.protocolErrors == [WireErrorCode.malformedMessage: 1])
        // Any other undecodable kind is still answered.
        #expect(router.undecodable(report, kind: .data, from: peer, now: 0).sent(to: peer) == [.error(report)])
    }

    @Test(arguments: [PeerID.worker(2), .consumer(2), .producer(2)])
    func errorBeforeHelloIsCountedNotAnswered(peer: PeerID) throws {
        var router = try makeRouter()
        let actions = router.receive(.error(WireErrorReport(seq: 3, code: "weird", message: "x")), from: peer, now: 0)
        #expect(actions.sent(to: peer).isEmpty)
        #expect(router.counters.protocolErrors == ["peer_weird": 1])
        #expect(router.receive(.ping, from: peer, now: 0).errors(to: peer).map(\.code) == [WireErrorCode.noHello])
    }

    @Test(arguments: [
        (PeerID.worker(1), WireMessage.queueData(seq: 1, QueueMessage(topic: "X"))),
        (PeerID.consumer(1), WireMessage.mqttData(seq: 1, MQTTMessage(topic: "a"), clientId: nil)),
        (PeerID.producer(1), WireMessage.ack(seq: 1, msgId: nil)),
        (PeerID.consumer(1), WireMessage.welcome(Welcome(session: "s", heartbeatMs: 1))),
    ])
    func messageOfTheWrongKindForTheLinkIsMalformed(peer: PeerID, message: WireMessage) throws {
        var router = try makeRouter()
        router.helloWorker(.worker(1))
        router.helloConsumer(.consumer(1))
        router.helloProducer(.producer(1))
        let actions = router.receive(message, from: peer, now: 0)
        #expect(actions.errors(to: peer).map(\.code) == [WireErrorCode.malformedMessage])
        #expect(router.peerCounts == (1, 1, 1))
        #expect(router.receive(.ping, from: peer, now: 0) == [.send(peer, .pong)])
    }
}
