import BridgeCore
import Testing
import WireProtocol

@testable import BridgeHub

@Suite struct HelloTests {
    @Test(arguments: [
        (PeerID.worker(1), Hello.Role.mqttWorker),
        (PeerID.consumer(1), Hello.Role.consumer),
        (PeerID.producer(1), Hello.Role.producer),
    ])
    func eachRoleIsWelcomedOnItsLink(peer: PeerID, role: Hello.Role) throws {
        var router = try makeRouter(HubSettings(heartbeatMs: 750))
        let hello = Hello(role: role, name: "p", topic: role == .consumer ? "SENSOR_DATA" : nil)
        let actions = router.receive(.hello(hello), from: peer, now: 5)
        let welcome = try #require(actions.welcomes(to: peer).first)
        #expect(actions.sent(to: peer).count == 1)
        #expect(welcome.session == testSession)
        #expect(welcome.heartbeatMs == 750)
        if role == .mqttWorker {
            #expect(welcome.subscriptions == ["sensors/#", "sensors/+/alarm", "factory/+/events"])
            #expect(welcome.parents == ["config", "devices"])
        } else {
            #expect(welcome.subscriptions == nil)
            #expect(welcome.parents == nil)
        }
        let counts = router.peerCounts
        #expect([counts.workers, counts.consumers, counts.producers] == [
            role == .mqttWorker ? 1 : 0, role == .consumer ? 1 : 0, role == .producer ? 1 : 0,
        ])
    }

    @Test(arguments: [
        (PeerID.worker(1), Hello.Role.consumer),
        (PeerID.worker(1), Hello.Role.producer),
        (PeerID.consumer(1), Hello.Role.mqttWorker),
        (PeerID.consumer(1), Hello.Role.producer),
        (PeerID.producer(1), Hello.Role.consumer),
        (PeerID.producer(1), Hello.Role.mqttWorker),
    ])
    func roleOnTheWrongLinkIsBadHello(peer: PeerID, role: Hello.Role) throws {
        var router = try makeRouter()
        let actions = router.receive(.hello(Hello(role: role, name: "p", topic: "SENSOR_DATA")), from: peer, now: 0)
        #expect(actions.sent(to: peer).count == 1)
        let error = try #require(actions.errors(to: peer).first)
        #expect(error.code == WireErrorCode.badHello)
        #expect(error.seq == nil)
        #expect(error.message.contains(peer.link.rawValue))
        #expect(router.counters.protocolErrors[WireErrorCode.badHello] == 1)
        #expect(router.peerCounts == (0, 0, 0))
        // Still unknown: the next message is refused for want of HELLO.
        #expect(router.receive(.ping, from: peer, now: 1).errors(to: peer).map(\.code) == [WireErrorCode.noHello])
    }

    @Test(arguments: ["", "a||", "a|b", "*||a", "  "])
    func badTagExpressionIsBadHello(tags: String) throws {
        var router = try makeRouter()
        let peer = PeerID.consumer(1)
        let actions = router.helloConsumer(peer, tags: tags)
        #expect(actions.welcomes(to: peer).isEmpty)
        #expect(actions.errors(to: peer).map(\.code) == [WireErrorCode.badHello])
        #expect(router.peerCounts.consumers == 0)
    }

    @Test(arguments: [
        (PeerID.worker(1), WireMessage.mqttData(seq: 1, MQTTMessage(topic: "sensors/a/temp"), clientId: nil)),
        (PeerID.worker(1), WireMessage.ack(seq: 1, msgId: nil)),
        (PeerID.consumer(1), WireMessage.ack(seq: 1, msgId: nil)),
        (PeerID.consumer(1), WireMessage.credit(window: 5)),
        (PeerID.producer(1), WireMessage.queueData(seq: 1, command("d1"))),
        (PeerID.producer(1), WireMessage.ping),
    ])
    func anythingBeforeHelloIsNoHello(peer: PeerID, message: WireMessage) throws {
        var router = try makeRouter()
        let actions = router.receive(message, from: peer, now: 0)
        #expect(actions.sent(to: peer).count == 1)
        #expect(actions.errors(to: peer).map(\.code) == [WireErrorCode.noHello])
        #expect(router.counters.protocolErrors[WireErrorCode.noHello] == 1)
        #expect(router.peerCounts == (0, 0, 0))
    }

    @Test(arguments: [PeerID.worker(1), PeerID.consumer(1), PeerID.producer(1)])
    func pingIsAnsweredWithPong(peer: PeerID) throws {
        var router = try makeRouter()
        let role: Hello.Role = switch peer.link {
        case .workers: .mqttWorker
        case .consumers: .consumer
        case .producers: .producer
        }
        _ = router.receive(.hello(Hello(role: role, name: "p", topic: "SENSOR_DATA")), from: peer, now: 0)
        #expect(router.receive(.ping, from: peer, now: 1) == [.send(peer, .pong)])
        #expect(router.receive(.pong, from: peer, now: 2) == [])
    }

    @Test func secondHelloReplacesTheFirst() throws {
        var router = try makeRouter()
        let consumer = PeerID.consumer(1)
        let worker = PeerID.worker(1)
        router.helloWorker(worker)
        router.helloConsumer(consumer, topic: "SENSOR_DATA", window: 5)
        #expect(router.publish(worker, seq: 1, topic: "sensors/a/temp").deliveries(to: consumer).count == 1)

        // Same peer says HELLO again, now on another topic: it is one consumer, on the new topic only.
        let again = router.helloConsumer(consumer, topic: "EVENTS", window: 5)
        #expect(again.welcomes(to: consumer).count == 1)
        #expect(router.peerCounts.consumers == 1)
        // Its unacknowledged delivery was given up (no group), which settles the worker's message.
        #expect(again.acks(to: worker) == [1])
        #expect(router.counters.deliveriesDropped == 1)

        let old = router.publish(worker, seq: 2, topic: "sensors/a/temp")
        #expect(old.deliveries(to: consumer).isEmpty)
        #expect(old.acks(to: worker) == [2])
        #expect(router.counters.unrouted == 1)
        let new = router.publish(worker, seq: 3, topic: "factory/f1/events")
        #expect(new.deliveries(to: consumer).map(\.seq) == [1])
        #expect(new.deliveries(to: consumer).first?.message.topic == "EVENTS")
    }

    @Test func secondWorkerHelloKeepsOneWorkerWithTheNewWindow() throws {
        var router = try makeRouter()
        let worker = PeerID.worker(1)
        let producer = PeerID.producer(1)
        router.helloWorker(worker, window: 1)
        router.helloProducer(producer)
        #expect(router.produce(producer, seq: 1, command("d1")).publishes(to: worker).count == 1)
        #expect(router.produce(producer, seq: 2, command("d2")).publishes(to: worker).isEmpty)
        // The new session gets both the unsettled publish and the waiting one, within its new window.
        let again = router.helloWorker(worker, window: 10)
        #expect(router.peerCounts.workers == 1)
        #expect(again.publishes(to: worker).map(\.message.topic) == ["devices/d1/cmd", "devices/d2/cmd"])
    }
}

@Suite struct BatchNegotiationTests {
    @Test func everyWelcomeSaysHowLargeABatchTheHubReads() throws {
        var router = try makeRouter(HubSettings())
        let peers = [PeerID.worker(1), .consumer(1), .producer(1)]
        router.helloWorker(peers[0])
        router.helloConsumer(peers[1])
        router.helloProducer(peers[2])
        for peer in peers {
            let again = router.receive(
                .hello(Hello(role: peer.link == .workers ? .mqttWorker : peer.link == .consumers ? .consumer : .producer,
                             name: "p", topic: peer.link == .consumers ? "SENSOR_DATA" : nil)),
                from: peer, now: 1)
            #expect(try #require(again.welcomes(to: peer).first).batchBytes == BatchWriter.defaultBatchBytes)
        }
        var capped = try makeRouter(HubSettings(maxMessageBytes: 4_096))
        #expect(try #require(capped.helloConsumer(.consumer(2)).welcomes(to: .consumer(2)).first).batchBytes == 4_096)
    }

    @Test func theHubKnowsWhichPeersReadBatches() throws {
        var router = try makeRouter(HubSettings())
        router.receive(.hello(Hello(role: .consumer, name: "c", topic: "SENSOR_DATA", batchBytes: 1_000)), from: .consumer(1), now: 0)
        router.helloConsumer(.consumer(2))
        router.receive(.hello(Hello(role: .mqttWorker, name: "w", batchBytes: 2_000)), from: .worker(1), now: 0)
        router.receive(.hello(Hello(role: .engineWorker, name: "e", batchBytes: 3_000)), from: .worker(2), now: 0)
        router.helloProducer(.producer(1))
        #expect(router.batchBytes(of: .consumer(1)) == 1_000)
        #expect(router.batchBytes(of: .consumer(2)) == nil)
        #expect(router.batchBytes(of: .worker(1)) == 2_000)
        #expect(router.batchBytes(of: .worker(2)) == 3_000)
        #expect(router.batchBytes(of: .producer(1)) == nil)
        #expect(router.batchBytes(of: .consumer(9)) == nil)
    }
}
