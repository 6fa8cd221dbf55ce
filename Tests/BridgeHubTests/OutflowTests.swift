import BridgeCore
import Testing
import WireProtocol

@testable import BridgeHub

@Suite struct OutflowTests {
    let worker = PeerID.worker(1)
    let consumer = PeerID.consumer(1)

    @Test func matchingMessageReachesTheConsumerAsQueueData() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(consumer, topic: "SENSOR_DATA")
        let message = MQTTMessage(
            topic: "sensors/room1/temp", payload: Array("21.5".utf8), qos: .atLeastOnce, retain: true,
            userProperties: [UserProperty(key: "unit", value: "C")])
        let actions = router.receive(.mqttData(seq: 9, message, clientId: "GID_sensors@@@dev-1"), from: worker, now: 1_700)

        #expect(actions.sent(to: worker).isEmpty)
        let delivered = try #require(actions.deliveries(to: consumer).first)
        #expect(actions.deliveries(to: consumer).count == 1)
        #expect(delivered.seq == 1)
        let queued = delivered.message
        #expect(queued.topic == "SENSOR_DATA")
        #expect(queued.tag == "temp")
        #expect(queued.keys == ["room1"])
        #expect(queued.body == Array("21.5".utf8))
        #expect(
            queued.properties == [
                "qoslevel": "1", "topic": "sensors/room1/temp", "mqttSecondTopic": "/room1/temp", "mqttRetain": "true",
                "mqtt5UserProperty": #"[{"key":"unit","value":"C"}]"#, "clientId": "GID_sensors@@@dev-1", "site": "room1",
            ])
        #expect(queued.bornTimestamp == 1_700)
        #expect(isMessageId(queued.msgId))
        #expect(queued.msgId?.hasPrefix(testIdPrefix) == true)
        #expect(router.counters.outflowReceived == 1)
        #expect(router.counters.outflowRouted == ["telemetry": 1])
    }

    @Test func msgIdsAreUniqueAndBornTimestampIsNow() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(consumer, topic: "SENSOR_DATA", window: 1_000)
        router.helloConsumer(PeerID.consumer(2), topic: "AUDIT", window: 1_000)
        var ids: [String] = []
        for seq in UInt64(1)...200 {
            let topic = seq % 2 == 0 ? "sensors/r\(seq)/alarm" : "sensors/r\(seq)/temp"
            let actions = router.publish(worker, seq: seq, topic: topic, now: Int64(seq) * 10)
            for delivered in actions.deliveries(to: consumer) + actions.deliveries(to: PeerID.consumer(2)) {
                #expect(delivered.message.bornTimestamp == Int64(seq) * 10)
                #expect(isMessageId(delivered.message.msgId))
                ids.append(delivered.message.msgId ?? "")
            }
        }
        #expect(ids.count == 300)
        #expect(Set(ids).count == 300)
    }

    @Test func noMatchingRuleIsAckedAtOnceAndCountedUnmatched() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(consumer, topic: "SENSOR_DATA")
        let actions = router.publish(worker, seq: 4, topic: "kitchen/oven")
        #expect(actions.sent(to: worker) == [.ack(seq: 4, msgId: nil)])
        #expect(actions.sent(to: consumer).isEmpty)
        #expect(router.counters.unmatched == 1)
        #expect(router.counters.unrouted == 0)
    }

    @Test(arguments: [
        ("sensors/room1/temp", 65, "body_too_large"),
        ("sensors/+/temp", 1, "invalid_topic"),
        ("sensors/room1/#", 1, "invalid_topic"),
    ])
    func rejectedMessageIsAnsweredWithTheReason(topic: String, payloadBytes: Int, code: String) throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(consumer, topic: "SENSOR_DATA")
        let actions = router.publish(worker, seq: 12, topic: topic, payload: Array(repeating: 0x41, count: payloadBytes))
        let error = try #require(actions.errors(to: worker).first)
        #expect(actions.sent(to: worker).count == 1)
        #expect(error.seq == 12)
        #expect(error.code == code)
        #expect(!error.message.isEmpty)
        #expect(actions.sent(to: consumer).isEmpty)
        #expect(router.counters.rejected == [code: 1])
    }

    @Test func payloadAtTheLimitIsAccepted() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(consumer, topic: "SENSOR_DATA")
        let actions = router.publish(worker, seq: 1, topic: "sensors/a/temp", payload: Array(repeating: 0, count: 64))
        #expect(actions.deliveries(to: consumer).count == 1)
        #expect(actions.errors(to: worker).isEmpty)
    }

    @Test func matchedButNoConsumerIsAckedAndCountedUnrouted() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(consumer, topic: "EVENTS")
        let actions = router.publish(worker, seq: 6, topic: "sensors/room1/temp")
        #expect(actions.sent(to: worker) == [.ack(seq: 6, msgId: nil)])
        #expect(actions.sent(to: consumer).isEmpty)
        #expect(router.counters.unrouted == 1)
        #expect(router.counters.unmatched == 0)
        #expect(router.counters.outflowRouted == ["telemetry": 1])
    }

    @Test func workerIsAckedOnceAfterEveryDeliveryOfEveryRule() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        let sensorA = PeerID.consumer(1)
        let sensorB = PeerID.consumer(2)
        let audit = PeerID.consumer(3)
        router.helloConsumer(sensorA, topic: "SENSOR_DATA")
        router.helloConsumer(sensorB, topic: "SENSOR_DATA")
        router.helloConsumer(audit, topic: "AUDIT")
        // An alarm matches `telemetry` and `audit`: three deliveries in all.
        let actions = router.publish(worker, seq: 7, topic: "sensors/room1/alarm")
        #expect(actions.sent(to: worker).isEmpty)
        #expect(actions.deliveries(to: audit).map(\.message.topic) == ["AUDIT"])
        #expect(router.counters.outflowRouted == ["telemetry": 1, "audit": 1])
        let a = try #require(actions.deliveries(to: sensorA).first)
        let b = try #require(actions.deliveries(to: sensorB).first)
        let c = try #require(actions.deliveries(to: audit).first)
        #expect(a.message.msgId == b.message.msgId)
        #expect(a.message.msgId != c.message.msgId)

        #expect(router.ack(audit, seq: c.seq).sent(to: worker).isEmpty)
        #expect(router.ack(sensorB, seq: b.seq).sent(to: worker).isEmpty)
        #expect(router.ack(sensorA, seq: a.seq).sent(to: worker) == [.ack(seq: 7, msgId: nil)])
        // Acking again (unknown seq) neither acks the worker twice nor breaks anything.
        let again = router.ack(sensorA, seq: a.seq)
        #expect(again.sent(to: worker).isEmpty)
        #expect(again.sent(to: sensorA).isEmpty)
        #expect(router.counters.protocolErrors["unknown_ack"] == 1)
        #expect(router.counters.deliveriesAcked == 3)
    }

    @Test func interleavedMessagesAreAckedIndividually() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(consumer, topic: "SENSOR_DATA")
        let first = router.publish(worker, seq: 1, topic: "sensors/a/temp").deliveries(to: consumer)
        let second = router.publish(worker, seq: 2, topic: "sensors/b/temp").deliveries(to: consumer)
        #expect(router.ack(consumer, seq: second[0].seq).acks(to: worker) == [2])
        #expect(router.ack(consumer, seq: first[0].seq).acks(to: worker) == [1])
    }
}
