import BridgeCore
import Testing
import WireProtocol

@testable import BridgeHub

@Suite struct InflowTests {
    let worker = PeerID.worker(1)
    let producer = PeerID.producer(1)

    @Test func acceptedMessageIsPublishedAndAckedWithAMsgId() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloProducer(producer)
        let message = command(
            "dev-001", body: "reboot",
            properties: [
                "qoslevel": "2", "mqttRetain": "true", "mqtt5UserProperty": #"[{"key":"by","value":"ops"}]"#,
                "mqtt5ContentType": "text/plain", "mqtt5MsgExpireInterval": "30",
            ])
        let sent = router.produce(producer, seq: 41, message)
        #expect(sent.sent(to: producer).isEmpty)
        let publish = try #require(sent.publishes(to: worker).first)
        #expect(sent.sent(to: worker) == [
            .mqttData(
                seq: publish.seq,
                MQTTMessage(
                    topic: "devices/dev-001/cmd", payload: Array("reboot".utf8), qos: .exactlyOnce, retain: true,
                    userProperties: [UserProperty(key: "by", value: "ops")], contentType: "text/plain",
                    messageExpiryInterval: 30),
                clientId: nil)
        ])

        let acked = router.ack(worker, seq: publish.seq)
        let reply = try #require(acked.sent(to: producer).first)
        guard case .ack(let seq, let msgId) = reply else {
            Issue.record("expected ACK, got \(reply)")
            return
        }
        #expect(seq == 41)
        #expect(isMessageId(msgId))
        #expect(acked.sent(to: producer).count == 1)
        #expect(router.counters.inflowPublished == ["commands": 1])
    }

    @Test func ruleDefaultQoSAppliesWhenTheMessageHasNone() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloProducer(producer)
        let message = QueueMessage(topic: "CONFIG", tag: "set", properties: ["mqttSecondTopic": "/dev-7"], body: [1])
        let publish = try #require(router.produce(producer, seq: 1, message).publishes(to: worker).first)
        #expect(publish.message.topic == "config/dev-7")
        #expect(publish.message.qos == .exactlyOnce)
        #expect(publish.message.retain == false)
    }

    @Test func workerErrorIsPassedToTheProducerWithItsSeq() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloProducer(producer)
        _ = router.produce(producer, seq: 70, command("a"))
        let publish = try #require(router.produce(producer, seq: 71, command("b")).publishes(to: worker).first)
        let report = WireErrorReport(seq: publish.seq, code: WireErrorCode.mqttPublishFailed, message: "not authorized")
        let refused = router.receive(.error(report), from: worker, now: 0)
        #expect(refused.sent(to: producer) == [
            .error(WireErrorReport(seq: 71, code: WireErrorCode.mqttPublishFailed, message: "not authorized"))
        ])
        #expect(router.counters.rejected == [WireErrorCode.mqttPublishFailed: 1])
        #expect(router.ack(worker, seq: 1).acks(to: producer) == [70])
    }

    @Test(arguments: [
        (QueueMessage(topic: "NOPE", body: [1]), "no_inflow_rule"),
        (QueueMessage(topic: "CONFIG", tag: "get", body: [1]), "tag_not_accepted"),
        (command("d", properties: ["qoslevel": "5"]), "invalid_qos"),
        (command("d", properties: ["mqttRetain": "yes"]), "invalid_retain"),
        (command("d", properties: ["mqttSecondTopic": "no-slash"]), "invalid_sub_topic"),
        (command("d", properties: ["mqttSecondTopic": "/a/+"]), "invalid_sub_topic"),
        (command("d", properties: ["mqtt5UserProperty": "{}"]), "invalid_user_properties"),
        (command("d", properties: ["mqtt5MsgExpireInterval": "-1"]), "invalid_expiry_interval"),
        (command("d", body: String(repeating: "x", count: 65)), "body_too_large"),
    ])
    func rejectedMessageIsRefusedAtOnce(message: QueueMessage, code: String) throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloProducer(producer)
        let actions = router.produce(producer, seq: 5, message)
        #expect(actions.sent(to: worker).isEmpty)
        let error = try #require(actions.errors(to: producer).first)
        #expect(actions.sent(to: producer).count == 1)
        #expect(error.seq == 5)
        #expect(error.code == code)
        #expect(router.counters.rejected == [code: 1])
    }

    @Test func backlogWaitsForAWorkerAndGoesOutInOrder() throws {
        var router = try makeRouter()
        router.helloProducer(producer)
        for seq in UInt64(1)...3 {
            #expect(router.produce(producer, seq: seq, command("d\(seq)")).isEmpty)
        }
        let hello = router.helloWorker(worker, window: 10)
        #expect(hello.welcomes(to: worker).count == 1)
        let publishes = hello.publishes(to: worker)
        #expect(publishes.map(\.message.topic) == ["devices/d1/cmd", "devices/d2/cmd", "devices/d3/cmd"])
        #expect(router.ack(worker, seqs: publishes.map(\.seq)).acks(to: producer) == [1, 2, 3])
    }

    /// A message no MQTT worker took within the deadline is refused with `broker_unavailable` and forgotten:
    /// a worker that joins later never publishes it.
    @Test func aMessageNoWorkerTakesInTimeIsRefusedAndNeverPublished() throws {
        var router = try makeRouter(HubSettings(inflowDeadlineMs: 3_000))
        router.helloProducer(producer, now: 0)
        #expect(router.produce(producer, seq: 1, command("d1"), now: 100).isEmpty)
        #expect(router.produce(producer, seq: 2, command("d2"), now: 2_000).isEmpty)
        #expect(router.tick(now: 3_099).errors(to: producer).isEmpty)
        let refused = router.tick(now: 3_100).errors(to: producer)
        #expect(refused.map(\.seq) == [1])
        #expect(refused.first?.code == WireErrorCode.brokerUnavailable)
        #expect(refused.first?.message.contains("no MQTT worker is connected to the hub") == true)
        #expect(router.counters.rejected[WireErrorCode.brokerUnavailable] == 1)
        // d2 is still in time.
        let hello = router.helloWorker(worker, now: 3_200)
        #expect(hello.publishes(to: worker).map(\.message.topic) == ["devices/d2/cmd"])
    }

    /// A message handed to a worker once may be at the broker: it is never refused for waiting, and goes to
    /// the next worker when its worker leaves.
    @Test func aMessageHandedToAWorkerIsNeverRefusedForWaiting() throws {
        var router = try makeRouter(HubSettings(heartbeatMs: 100_000, inflowDeadlineMs: 1_000))
        router.helloProducer(producer, now: 0)
        router.helloWorker(worker, now: 0)
        #expect(router.produce(producer, seq: 7, command("d7"), now: 0).publishes(to: worker).count == 1)
        _ = router.receive(.bye, from: worker, now: 10)
        #expect(router.tick(now: 60_000).errors(to: producer).isEmpty)
        let next = PeerID.worker(2)
        let hello = router.helloWorker(next, now: 60_000)
        #expect(hello.publishes(to: next).map(\.message.topic) == ["devices/d7/cmd"])
    }

    @Test func backlogOverTheLimitPausesOnceAndResumesBelowHalf() throws {
        var router = try makeRouter(HubSettings(inflowBacklogLimit: 4))
        router.helloProducer(producer)
        var actions: [HubAction] = []
        for seq in UInt64(1)...3 {
            actions += router.produce(producer, seq: seq, command("d\(seq)"))
        }
        #expect(actions.pauseCount == 0)
        let fourth = router.produce(producer, seq: 4, command("d4"))
        #expect(fourth.pauseCount == 1)
        // Messages already on their way are still taken, without pausing again.
        actions = []
        for seq in UInt64(5)...6 {
            actions += router.produce(producer, seq: seq, command("d\(seq)"))
        }
        #expect(actions.pauseCount == 0)

        // Backlog 6; a worker with window 2 takes two (backlog 4: still paused).
        let hello = router.helloWorker(worker, window: 2)
        #expect(hello.resumeCount == 0)
        var resumes: [Int] = []
        var backlog = 4
        var outstanding = hello.publishes(to: worker).map(\.seq)
        while let next = outstanding.first {
            outstanding.removeFirst()
            let acked = router.ack(worker, seq: next)
            outstanding += acked.publishes(to: worker).map(\.seq)
            backlog -= acked.publishes(to: worker).count
            #expect(acked.pauseCount == 0)
            if acked.resumeCount > 0 { resumes.append(backlog) }
        }
        // Resumed exactly once, as soon as the backlog fell below 2 (half the limit).
        #expect(resumes == [1])
    }

    @Test func departedWorkersUnsettledPublishesGoToTheNextWorkerInOrder() throws {
        var router = try makeRouter()
        router.helloWorker(worker, window: 3)
        router.helloProducer(producer)
        for seq in UInt64(10)...14 {
            _ = router.produce(producer, seq: seq, command("d\(seq)"))
        }
        // Window 3: d10, d11, d12 are out; d13, d14 wait. d11 is settled before the worker leaves.
        #expect(router.ack(worker, seq: 2).acks(to: producer) == [11])
        _ = router.receive(.bye, from: worker, now: 0)
        let next = PeerID.worker(2)
        let hello = router.helloWorker(next, window: 10)
        let topics = hello.publishes(to: next).map(\.message.topic)
        #expect(topics == ["devices/d10/cmd", "devices/d12/cmd", "devices/d13/cmd", "devices/d14/cmd"])
        let acks = router.ack(next, seqs: hello.publishes(to: next).map(\.seq)).acks(to: producer)
        #expect(acks == [10, 12, 13, 14])
    }

    @Test func secondWorkerTakesWhatTheFirstHasNoRoomFor() throws {
        var router = try makeRouter()
        let other = PeerID.worker(2)
        router.helloWorker(worker, window: 1)
        router.helloWorker(other, window: 1)
        router.helloProducer(producer)
        var actions: [HubAction] = []
        for seq in UInt64(1)...3 {
            actions += router.produce(producer, seq: seq, command("d\(seq)"))
        }
        #expect(actions.publishes(to: worker).count == 1)
        #expect(actions.publishes(to: other).count == 1)
    }
}
