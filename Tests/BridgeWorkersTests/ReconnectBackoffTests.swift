import BridgeWorkers
import Testing

@Suite struct ReconnectBackoffTests {
    @Test func theFirstAttemptIsDueAtOnce() {
        let backoff = ReconnectBackoff()
        #expect(backoff.isDue(now: 0))
        #expect(backoff.remainingMs(now: 0) == 0)
    }

    @Test func eachFailureDoublesTheDelayUpTo30Seconds() {
        var backoff = ReconnectBackoff()
        var waits: [Int64] = []
        for _ in 0..<10 { waits.append(backoff.failed(now: 1_000)) }
        #expect(waits == [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000])
        #expect(backoff.nextAttemptMs == 31_000)
        #expect(!backoff.isDue(now: 30_999))
        #expect(backoff.remainingMs(now: 30_000) == 1_000)
        #expect(backoff.isDue(now: 31_000))
    }

    @Test func aConnectionResetsTheDelay() {
        var backoff = ReconnectBackoff()
        backoff.failed(now: 0)
        backoff.failed(now: 500)
        backoff.connected()
        let result1 = backoff.failed(now: 10_000)
        #expect(result1 == ReconnectBackoff.initialMs)
        #expect(backoff.nextAttemptMs == 10_500)
    }

    @Test func anotherFirstDelayAndMaximum() {
        var backoff = ReconnectBackoff(firstDelayMs: 250, maximumDelayMs: 5_000)
        var waits: [Int64] = []
        for _ in 0..<7 { waits.append(backoff.failed(now: 0)) }
        #expect(waits == [250, 500, 1_000, 2_000, 4_000, 5_000, 5_000])
        backoff.connected()
        let again = backoff.failed(now: 0)
        #expect(again == 250)
    }
}
