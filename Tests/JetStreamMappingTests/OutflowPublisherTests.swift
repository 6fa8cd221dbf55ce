import BridgeCore
import TestSupport
import Testing

@testable import JetStreamMapping

/// The JetStream worker's outflow decisions: acknowledged only when stored, nothing given up, resends keep
/// their msgId, at most `maxInFlight` unanswered.
@Suite struct OutflowPublisherTests {
    static func message(_ id: String) -> QueueMessage {
        QueueMessage(topic: "SENSOR_DATA", tag: "temp", body: Array(id.utf8), msgId: id)
    }

    static func published(_ actions: [OutflowPublisher.Action]) -> [String] {
        actions.compactMap { if case .publish(let msgId, _) = $0 { msgId } else { nil } }
    }

    static func acknowledged(_ actions: [OutflowPublisher.Action]) -> [UInt64] {
        actions.flatMap { action -> [UInt64] in
            if case .acknowledge(let seqs) = action { return seqs }
            return []
        }
    }

    @Test func aDeliveryIsAcknowledgedOnlyOnceStored() {
        var publisher = OutflowPublisher()
        let sent = publisher.deliver(seq: 1, Self.message("a"), now: 0)
        #expect(Self.published(sent) == ["a"])
        #expect(Self.acknowledged(sent).isEmpty)
        #expect(Self.acknowledged(publisher.published(msgId: "a", .stored(duplicate: false), now: 1)) == [1])
        #expect(publisher.pendingCount == 0)
        #expect(publisher.counters.stored == 1)
    }

    @Test func aDuplicatePubAckCountsAsStored() {
        var publisher = OutflowPublisher()
        _ = publisher.deliver(seq: 4, Self.message("a"), now: 0)
        #expect(Self.acknowledged(publisher.published(msgId: "a", .stored(duplicate: true), now: 1)) == [4])
        #expect(publisher.counters.duplicates == 1)
    }

    @Test func aFailedPublishIsSentAgainWithTheSameIdAfterABackoff() {
        var publisher = OutflowPublisher(settings: .init(initialBackoffMs: 100, maxBackoffMs: 400))
        _ = publisher.deliver(seq: 1, Self.message("a"), now: 0)
        #expect(publisher.published(msgId: "a", .failed(reason: "stream full"), now: 10).isEmpty)
        #expect(publisher.tick(now: 50).isEmpty)
        #expect(Self.published(publisher.tick(now: 110)) == ["a"])
        // Each failure of the same message waits longer, up to the cap.
        _ = publisher.published(msgId: "a", .failed(reason: "stream full"), now: 120)
        #expect(publisher.tick(now: 300).isEmpty)
        #expect(Self.published(publisher.tick(now: 320)) == ["a"])
        for attempt in 0..<5 {
            _ = publisher.published(msgId: "a", .failed(reason: "stream full"), now: 1_000 * Int64(attempt + 1))
            #expect(Self.published(publisher.tick(now: 1_000 * Int64(attempt + 1) + 400)) == ["a"])
        }
        #expect(Self.acknowledged(publisher.published(msgId: "a", .stored(duplicate: false), now: 9_000)) == [1])
        #expect(publisher.counters.resends == 7)
        #expect(publisher.counters.failures == 7)
        #expect(publisher.lastFailure == "stream full")
    }

    @Test func anUnansweredPublishTimesOutAndIsSentAgain() {
        var publisher = OutflowPublisher(settings: .init(ackTimeoutMs: 1_000, initialBackoffMs: 10))
        _ = publisher.deliver(seq: 1, Self.message("a"), now: 0)
        #expect(publisher.nextDeadline() == 1_000)
        #expect(publisher.tick(now: 999).isEmpty)
        #expect(publisher.tick(now: 1_000).isEmpty)
        #expect(Self.published(publisher.tick(now: 1_010)) == ["a"])
        #expect(publisher.counters.timeouts == 1)
        // A late answer to the first send settles it; the answer to the resend is then ignored.
        #expect(Self.acknowledged(publisher.published(msgId: "a", .stored(duplicate: false), now: 1_020)) == [1])
        #expect(publisher.published(msgId: "a", .stored(duplicate: true), now: 1_030).isEmpty)
        #expect(publisher.inFlightCount == 0)
    }

    @Test func atMostMaxInFlightWaitForAnAnswerAndTheRestFollowInOrder() {
        var publisher = OutflowPublisher(settings: .init(maxInFlight: 2))
        var sent: [String] = []
        for (index, id) in ["a", "b", "c", "d"].enumerated() {
            sent += Self.published(publisher.deliver(seq: UInt64(index + 1), Self.message(id), now: 0))
        }
        #expect(sent == ["a", "b"])
        #expect(Self.published(publisher.published(msgId: "b", .stored(duplicate: false), now: 1)) == ["c"])
        #expect(Self.published(publisher.published(msgId: "a", .failed(reason: "timeout"), now: 1)) == ["d"])
        // "a" backs off while "e" takes the free slot; once due, "a" takes the next one.
        #expect(publisher.deliver(seq: 5, Self.message("e"), now: 2).isEmpty)
        #expect(Self.published(publisher.published(msgId: "c", .stored(duplicate: false), now: 3)) == ["e"])
        #expect(publisher.tick(now: 500).isEmpty)
        #expect(publisher.inFlightCount == 2)
        #expect(Self.published(publisher.published(msgId: "d", .stored(duplicate: false), now: 501)) == ["a"])
    }

    @Test func retriesGoBeforeNewMessages() {
        var publisher = OutflowPublisher(settings: .init(maxInFlight: 1, initialBackoffMs: 10))
        _ = publisher.deliver(seq: 1, Self.message("a"), now: 0)
        _ = publisher.deliver(seq: 2, Self.message("b"), now: 0)
        // "a" fails: "b" takes the slot; when "b" is stored, "a" (due by then) goes before "c".
        #expect(Self.published(publisher.published(msgId: "a", .failed(reason: "x"), now: 1)) == ["b"])
        _ = publisher.deliver(seq: 3, Self.message("c"), now: 2)
        _ = publisher.tick(now: 20)
        #expect(Self.published(publisher.published(msgId: "b", .stored(duplicate: false), now: 21)) == ["a"])
        #expect(Self.published(publisher.published(msgId: "a", .stored(duplicate: false), now: 22)) == ["c"])
    }

    @Test func theSameMessageDeliveredTwiceIsPublishedOnceAndAcknowledgesBoth() {
        var publisher = OutflowPublisher()
        _ = publisher.deliver(seq: 1, Self.message("a"), now: 0)
        #expect(publisher.deliver(seq: 9, Self.message("a"), now: 1).isEmpty)
        #expect(Self.acknowledged(publisher.published(msgId: "a", .stored(duplicate: false), now: 2)) == [1, 9])
    }

    @Test func aFinalRejectionRefusesEveryDelivery() {
        var publisher = OutflowPublisher()
        _ = publisher.deliver(seq: 1, Self.message("a"), now: 0)
        _ = publisher.deliver(seq: 2, Self.message("a"), now: 0)
        let refused = publisher.published(msgId: "a", .rejected(code: "max_payload", reason: "larger than the server's max_payload"), now: 1)
        #expect(refused == [
            .refuse(seq: 1, code: "max_payload", message: "larger than the server's max_payload"),
            .refuse(seq: 2, code: "max_payload", message: "larger than the server's max_payload"),
        ])
    }

    @Test func reconnectingSendsBackedOffMessagesAtOnce() {
        var publisher = OutflowPublisher(settings: .init(initialBackoffMs: 5_000))
        _ = publisher.deliver(seq: 1, Self.message("a"), now: 0)
        _ = publisher.published(msgId: "a", .failed(reason: "disconnected"), now: 1)
        #expect(Self.published(publisher.reconnected(now: 2)) == ["a"])
    }

    @Test func aMessageWithoutIdIsRefused() {
        var publisher = OutflowPublisher()
        var message = Self.message("a")
        message.msgId = nil
        #expect(publisher.deliver(seq: 3, message, now: 0) == [.refuse(seq: 3, code: "missing_msg_id", message: "the hub sent a message without msgId")])
    }

    /// What JetStream's side of a randomized run keeps: publishes not answered yet, deliveries acknowledged.
    static func record(_ actions: [OutflowPublisher.Action], outstanding: inout [String], acknowledged: inout [UInt64]) {
        for action in actions {
            switch action {
            case .publish(let msgId, _): outstanding.append(msgId)
            case .acknowledge(let seqs): acknowledged += seqs
            case .refuse: Issue.record("nothing is refused here")
            }
        }
    }

    /// Random failures, timeouts and late answers: every delivery is acknowledged exactly once in the end.
    @Test(arguments: [1, 2, 3] as [UInt64]) func everyDeliveryIsAcknowledgedExactlyOnceWhateverFails(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var publisher = OutflowPublisher(settings: .init(maxInFlight: 8, ackTimeoutMs: 50, initialBackoffMs: 5, maxBackoffMs: 20))
        var now: Int64 = 0
        var outstanding: [String] = []
        var acknowledged: [UInt64] = []
        func apply(_ actions: [OutflowPublisher.Action]) { Self.record(actions, outstanding: &outstanding, acknowledged: &acknowledged) }
        for index in 1...300 {
            apply(publisher.deliver(seq: UInt64(index), Self.message("m\(index)"), now: now))
            now += 1
            while !outstanding.isEmpty, Int.random(in: 0..<3, using: &random) > 0 {
                let msgId = outstanding.remove(at: Int.random(in: 0..<outstanding.count, using: &random))
                switch Int.random(in: 0..<10, using: &random) {
                case 0..<6: apply(publisher.published(msgId: msgId, .stored(duplicate: false), now: now))
                case 6..<8: apply(publisher.published(msgId: msgId, .failed(reason: "x"), now: now))
                default: break  // never answered
                }
            }
            apply(publisher.tick(now: now))
        }
        // Then JetStream answers everything until nothing is pending.
        var rounds = 0
        while publisher.pendingCount > 0 && rounds < 10_000 {
            rounds += 1
            now += 10
            for msgId in outstanding { apply(publisher.published(msgId: msgId, .stored(duplicate: true), now: now)) }
            outstanding.removeAll()
            apply(publisher.tick(now: now))
        }
        #expect(acknowledged.sorted() == Array(1...300).map(UInt64.init))
        #expect(publisher.inFlightCount == 0)
    }

    /// What a tick must leave, checked against every entry: nothing in flight past its timeout, nothing
    /// backing off past its time, `inFlightCount` the entries in flight, and `nextDeadline` the earliest of
    /// their times.
    static func expectSettledAfterTick(_ publisher: OutflowPublisher, now: Int64, sourceLocation: SourceLocation = #_sourceLocation) {
        var inFlight = 0
        var earliest: Int64?
        for (msgId, entry) in publisher.entries {
            switch entry.state {
            case .queued:
                break
            case .inFlight(let since):
                inFlight += 1
                #expect(now - since < publisher.settings.ackTimeoutMs, "\(msgId) is past its timeout", sourceLocation: sourceLocation)
                earliest = min(earliest ?? since + publisher.settings.ackTimeoutMs, since + publisher.settings.ackTimeoutMs)
            case .backingOff(let until):
                #expect(until > now, "\(msgId) is past its retry time", sourceLocation: sourceLocation)
                earliest = min(earliest ?? until, until)
            }
        }
        #expect(publisher.inFlightCount == inFlight, sourceLocation: sourceLocation)
        #expect(publisher.nextDeadline() == earliest, sourceLocation: sourceLocation)
    }

    /// Many publishes in flight, answered in any order, some never; failures, reconnects, and messages
    /// delivered again after they were stored: every tick still times out and retries exactly what is due.
    @Test(arguments: [11, 12, 13, 14] as [UInt64]) func everyTickFindsWhatIsDueAmongManyInFlight(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var publisher = OutflowPublisher(settings: .init(maxInFlight: 64, ackTimeoutMs: 40, initialBackoffMs: 3, maxBackoffMs: 30))
        var now: Int64 = 0
        var outstanding: [String] = []
        var stored: [String] = []
        var acknowledged: [UInt64] = []
        var seq: UInt64 = 0
        func apply(_ actions: [OutflowPublisher.Action]) { Self.record(actions, outstanding: &outstanding, acknowledged: &acknowledged) }
        for index in 1...2_000 {
            seq += 1
            // Now and then a message stored before comes again (the hub sent it again under a new seq).
            let msgId = !stored.isEmpty && Int.random(in: 0..<10, using: &random) == 0
                ? stored.remove(at: Int.random(in: 0..<stored.count, using: &random)) : "m\(index)"
            apply(publisher.deliver(seq: seq, Self.message(msgId), now: now))
            now += Int64.random(in: 0...2, using: &random)
            while !outstanding.isEmpty, Int.random(in: 0..<4, using: &random) > 0 {
                let answered = outstanding.remove(at: Int.random(in: 0..<outstanding.count, using: &random))
                switch Int.random(in: 0..<20, using: &random) {
                case 0..<14:
                    apply(publisher.published(msgId: answered, .stored(duplicate: false), now: now))
                    stored.append(answered)
                case 14..<17: apply(publisher.published(msgId: answered, .failed(reason: "x"), now: now))
                default: break  // never answered
                }
            }
            if Int.random(in: 0..<200, using: &random) == 0 { apply(publisher.reconnected(now: now)) }
            apply(publisher.tick(now: now))
            Self.expectSettledAfterTick(publisher, now: now)
        }
        var rounds = 0
        while publisher.pendingCount > 0 && rounds < 10_000 {
            rounds += 1
            now += 5
            for msgId in outstanding { apply(publisher.published(msgId: msgId, .stored(duplicate: true), now: now)) }
            outstanding.removeAll()
            apply(publisher.tick(now: now))
            Self.expectSettledAfterTick(publisher, now: now)
        }
        #expect(acknowledged.sorted() == Array(1...seq))
        #expect(publisher.counters.timeouts > 0)
        #expect(publisher.counters.resends > 0)
    }

    @Test func aMessageStoredAndDeliveredAgainTimesOutOnceForItsNewSend() {
        var publisher = OutflowPublisher(settings: .init(ackTimeoutMs: 100, initialBackoffMs: 10))
        _ = publisher.deliver(seq: 1, Self.message("a"), now: 0)
        _ = publisher.deliver(seq: 2, Self.message("b"), now: 0)
        #expect(Self.acknowledged(publisher.published(msgId: "a", .stored(duplicate: false), now: 50)) == [1])
        #expect(Self.published(publisher.deliver(seq: 3, Self.message("a"), now: 60)) == ["a"])
        // "b" (sent at 0) times out at 100; the first send of "a" is over and the second is not due until 160.
        #expect(publisher.nextDeadline() == 100)
        _ = publisher.tick(now: 100)
        #expect(publisher.counters.timeouts == 1)
        #expect(publisher.nextDeadline() == 110)
        #expect(Self.published(publisher.tick(now: 110)) == ["b"])
        #expect(publisher.nextDeadline() == 160)
        _ = publisher.tick(now: 160)
        #expect(publisher.counters.timeouts == 2)
    }
}
