import Foundation
import LoopbackHarness
import NATS
import Testing
import TestSupport

@Suite("JetStream pull consumers", .serialized, .timeLimit(.minutes(3)))
struct PullConsumerTests {
    @Test("fetch delivers with metadata; ack, nak, nakWithDelay, inProgress and term behave; acks work from another thread")
    func acknowledgements() throws {
        let server = try NATSServer()
        defer { server.stop() }
        let connection = try connect(server)
        let js = try JetStreamContext(connection: connection)
        try js.addStream(StreamConfig(name: "WORK", subjects: ["work.>"]))
        for index in 0..<5 {
            _ = try js.publish(message("work.item", "m\(index)", headers: [("X-Index", "\(index)")]), msgId: "w-\(index)")
        }

        let subscription = try js.pullSubscribe(
            subject: "work.>", durable: "workers",
            config: ConsumerConfig(ackWait: .seconds(1), maxAckPending: 100, maxDeliver: 5, deliverPolicy: .all))
        var first: [JetStreamMessage] = []
        let deadline = Deadline(timeout: .seconds(10))
        while first.count < 5 && !deadline.hasPassed {
            first += try subscription.fetch(batch: 5 - first.count, timeoutMs: 1000)
        }
        #expect(first.map { String(decoding: $0.body, as: UTF8.self) } == ["m0", "m1", "m2", "m3", "m4"])
        #expect(first.map(\.metadata.numDelivered) == [1, 1, 1, 1, 1])
        #expect(first.map(\.metadata.streamSequence) == [1, 2, 3, 4, 5])
        #expect(first[0].metadata.stream == "WORK")
        #expect(first[0].metadata.consumer == "workers")
        #expect(first[2].headerValues("X-Index") == ["2"])
        #expect(first[2].subject == "work.item")

        // m0 acked from another thread and confirmed; m1 nak'd; m2 terminated; m3 kept alive and then
        // nak'd with a delay; m4 acked twice (the second does nothing).
        let firstMessage = first[0]
        let crossThread = TestThread { try firstMessage.ackSync(timeoutMs: 5000) }
        #expect(try #require(crossThread.join(timeout: .seconds(10))).get() == ())
        try first[1].nak()
        try first[2].term()
        try first[3].inProgress()
        try first[3].inProgress()
        try first[3].nakWithDelay(200)
        try first[4].ack()
        try first[4].ack()

        // m1 and m3 come back (delivered twice); nothing else does, even after several ack waits.
        var redelivered: [String: UInt64] = [:]
        let again = Deadline(timeout: .seconds(15))
        while redelivered.count < 2 && !again.hasPassed {
            for message in try subscription.fetch(batch: 5, timeoutMs: 500) {
                let body = String(decoding: message.body, as: UTF8.self)
                redelivered[body] = message.metadata.numDelivered
                try message.ackSync(timeoutMs: 5000)
            }
        }
        #expect(redelivered == ["m1": 2, "m3": 2])
        var later: [String] = []
        let quiet = Deadline(timeout: .milliseconds(3000))  // three times the ack wait
        while !quiet.hasPassed {
            later += try subscription.fetch(batch: 5, timeoutMs: 500).map { String(decoding: $0.body, as: UTF8.self) }
        }
        #expect(later.isEmpty, "redelivered after ack/term: \(later)")
    }

    @Test("fetch on an empty consumer returns no messages instead of an error; a second subscription resumes the durable")
    func emptyFetchAndDurableResume() throws {
        let server = try NATSServer()
        defer { server.stop() }
        let connection = try connect(server)
        let js = try JetStreamContext(connection: connection)
        try js.addStream(StreamConfig(name: "Q", subjects: ["q.*"], storage: .memory))

        do {
            let subscription = try js.pullSubscribe(subject: "q.*", config: ConsumerConfig(durableName: "reader", stream: "Q"))
            #expect(try subscription.fetch(batch: 10, timeoutMs: 300).isEmpty)
            _ = try js.publish(message("q.a", "one"))
            _ = try js.publish(message("q.a", "two"))
            let got = try subscription.fetch(batch: 1, timeoutMs: 5000)
            #expect(got.map { String(decoding: $0.body, as: UTF8.self) } == ["one"])
            try got.first?.ackSync()
        }
        let resumed = try js.pullSubscribe(subject: "q.*", durable: "reader", config: ConsumerConfig(stream: "Q"))
        let next = try resumed.fetch(batch: 5, timeoutMs: 5000)
        #expect(next.map { String(decoding: $0.body, as: UTF8.self) } == ["two"])

        let noName = #expect(throws: NATSError.self) { try js.pullSubscribe(subject: "q.*") }
        #expect(noName?.status == .invalidArgument)
    }
    @Test("consumer info counts what two subscriptions of one durable hold; consumer names list it once; unknown is nil")
    func consumerInfoOfASharedDurable() throws {
        let server = try NATSServer()
        defer { server.stop() }
        let js = try JetStreamContext(connection: try connect(server))
        try js.addStream(StreamConfig(name: "Q", subjects: ["q.*"], storage: .memory))
        let first = try js.pullSubscribe(subject: "q.*", config: ConsumerConfig(durableName: "shared", stream: "Q"))
        let second = try js.pullSubscribe(subject: "q.*", durable: "shared", config: ConsumerConfig(stream: "Q"))
        for index in 0..<4 { _ = try js.publish(message("q.a", "m\(index)")) }
        let one = try first.fetch(batch: 2, timeoutMs: 5000)
        let two = try second.fetch(batch: 2, timeoutMs: 5000)
        #expect(Set((one + two).map { String(decoding: $0.body, as: UTF8.self) }) == ["m0", "m1", "m2", "m3"], "each message to one of them")
        try one.first?.ackSync()

        let info = try #require(try js.consumerInfo(stream: "Q", name: "shared"))
        #expect(info.name == "shared" && info.stream == "Q")
        #expect(info.deliveredStreamSequence == 4)
        #expect(info.ackFloorStreamSequence == 1)
        #expect(info.ackPending == 3)
        #expect(info.pending == 0)
        #expect(info.leader == nil, "a single server leads nothing")
        #expect(try js.consumerNames(stream: "Q") == ["shared"])
        #expect(try js.consumerInfo(stream: "Q", name: "nobody") == nil)
    }
}
