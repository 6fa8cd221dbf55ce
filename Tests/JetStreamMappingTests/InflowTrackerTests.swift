import BridgeCore
import TestSupport
import Testing

@testable import JetStreamMapping

/// The JetStream worker's inflow decisions: ack only after the hub's ACK, rejections to the DLQ, other
/// refusals NAKed, in-progress while the hub holds a message.
@Suite struct InflowTrackerTests {
    static let command = QueueMessage(topic: "COMMANDS", tag: "cmd", properties: ["mqttSecondTopic": "/d1/cmd"], body: [1])

    @Test func theHubsAckAcksTheMessage() {
        var tracker = InflowTracker()
        #expect(tracker.fetched(token: 7, .success(Self.command), now: 0) == [.sendToHub(seq: 1, Self.command)])
        #expect(tracker.hubAcknowledged(seq: 1) == [.ack(token: 7)])
        #expect(tracker.hubAcknowledged(seq: 1).isEmpty)
        #expect(tracker.counters.acked == 1)
    }

    @Test func everyTranslationRejectionGoesToTheDLQAndIsTerminatedOnceStoredThere() {
        var tracker = InflowTracker()
        for (index, reason) in TranslationError.Reason.allCases.enumerated() {
            let token = UInt64(100 + index)
            guard case .sendToHub(let seq, _)? = tracker.fetched(token: token, .success(Self.command), now: 0).first else {
                Issue.record("not sent to the hub")
                continue
            }
            #expect(tracker.hubRefused(seq: seq, code: reason.rawValue, message: "why") == [.deadLetter(token: token, code: reason.rawValue, message: "why")])
            #expect(tracker.deadLettered(token: token, stored: true) == [.term(token: token)])
        }
        #expect(tracker.counters.deadLettered == TranslationError.Reason.allCases.count)
    }

    @Test func aFailedDLQPublishNaksTheMessageSoItComesBack() {
        var tracker = InflowTracker(settings: .init(retryDelayMs: 250))
        _ = tracker.fetched(token: 1, .success(Self.command), now: 0)
        _ = tracker.hubRefused(seq: 1, code: "invalid_qos", message: "qoslevel '7'")
        #expect(tracker.deadLettered(token: 1, stored: false) == [.nak(token: 1, delayMs: 250)])
        #expect(tracker.counters.deadLetterFailures == 1)
    }

    @Test func aRefusalThatMayPassIsNakedWithADelay() {
        var tracker = InflowTracker(settings: .init(retryDelayMs: 500))
        _ = tracker.fetched(token: 3, .success(Self.command), now: 0)
        #expect(tracker.hubRefused(seq: 1, code: "mqtt_publish_failed", message: "broker down") == [.nak(token: 3, delayMs: 500)])
        #expect(tracker.counters.retried == 1)
    }

    @Test func anUnreadableMessageIsDeadLettered() {
        var tracker = InflowTracker()
        #expect(tracker.fetched(token: 4, .failure(MalformedMessage("subject mq.X has no tag")), now: 0)
            == [.deadLetter(token: 4, code: "malformed_message", message: "subject mq.X has no tag")])
        #expect(tracker.deadLettered(token: 4, stored: true) == [.term(token: 4)])
    }

    @Test func aMessageTheHubHoldsIsMarkedInProgressEveryThirdOfTheAckWait() {
        var tracker = InflowTracker(settings: .init(ackWaitMs: 3_000))
        _ = tracker.fetched(token: 1, .success(Self.command), now: 0)
        _ = tracker.fetched(token: 2, .success(Self.command), now: 500)
        #expect(tracker.tick(now: 999).isEmpty)
        #expect(tracker.tick(now: 1_000) == [.inProgress(token: 1)])
        #expect(tracker.tick(now: 1_500) == [.inProgress(token: 2)])
        #expect(tracker.tick(now: 1_999).isEmpty)
        #expect(tracker.tick(now: 2_000) == [.inProgress(token: 1)])
        _ = tracker.hubAcknowledged(seq: 1)
        #expect(tracker.tick(now: 10_000) == [.inProgress(token: 2)])
    }

    @Test func aRestartedHubSendsBackWhatTheOldOneHeld() {
        var tracker = InflowTracker()
        _ = tracker.fetched(token: 5, .success(Self.command), now: 0)
        _ = tracker.fetched(token: 6, .success(Self.command), now: 0)
        #expect(tracker.hubRestarted() == [.nak(token: 5, delayMs: 0), .nak(token: 6, delayMs: 0)])
        #expect(tracker.atHubCount == 0)
        #expect(tracker.hubAcknowledged(seq: 1).isEmpty)
    }

    @Test func finalCodesAreTheTranslationOnes() {
        #expect(InflowTracker.isFinal(code: "invalid_sub_topic"))
        #expect(InflowTracker.isFinal(code: "no_inflow_rule"))
        #expect(InflowTracker.isFinal(code: "malformed_message"))
        #expect(!InflowTracker.isFinal(code: "mqtt_publish_failed"))
        #expect(!InflowTracker.isFinal(code: "broker_unavailable"))
    }

    /// Messages fetched and answered at random times: each tick marks exactly the messages whose last mark is
    /// a third of the ack wait old.
    @Test(arguments: [21, 22, 23] as [UInt64]) func everyTickMarksExactlyWhatIsDue(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var tracker = InflowTracker(settings: .init(ackWaitMs: 300))
        var now: Int64 = 0
        var atHub: [UInt64: (token: UInt64, lastMark: Int64)] = [:]
        var marks = 0
        for token in 1...3_000 as ClosedRange<UInt64> {
            if case .sendToHub(let seq, _)? = tracker.fetched(token: token, .success(Self.command), now: now).first {
                atHub[seq] = (token, now)
            }
            now += Int64.random(in: 0...3, using: &random)
            if !atHub.isEmpty, Int.random(in: 0..<3, using: &random) == 0 {
                let waiting = atHub.keys.sorted()
                let seq = waiting[Int.random(in: 0..<waiting.count, using: &random)]
                #expect(tracker.hubAcknowledged(seq: seq) == [.ack(token: atHub[seq]!.token)])
                atHub[seq] = nil
            }
            var due: Set<UInt64> = []
            for (seq, pending) in atHub where now - pending.lastMark >= tracker.settings.progressEveryMs {
                due.insert(pending.token)
                atHub[seq]!.lastMark = now
            }
            let marked = tracker.tick(now: now).map { action -> UInt64 in
                guard case .inProgress(let token) = action else {
                    Issue.record("unexpected \(action)")
                    return 0
                }
                return token
            }
            #expect(Set(marked) == due)
            #expect(marked.count == due.count)
            marks += marked.count
        }
        #expect(marks > 0)
    }
}
