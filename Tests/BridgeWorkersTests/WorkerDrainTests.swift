import BridgeWorkers
import Testing

@Suite struct WorkerDrainTests {
    @Test func aRunningWorkerRunsOn() {
        let drain = WorkerDrain(timeoutMs: 5_000)
        #expect(!drain.isDraining)
        #expect(drain.decide(now: 1_000_000, unsettled: 0) == .runOn)
    }

    @Test func aStoppingWorkerEndsOnceEverythingIsSettled() {
        var drain = WorkerDrain(timeoutMs: 5_000)
        drain.stopRequested(now: 1_000)
        #expect(drain.decide(now: 1_001, unsettled: 3) == .runOn)
        #expect(drain.decide(now: 2_000, unsettled: 0) == .endDrained)
    }

    @Test func aStoppingWorkerEndsAtTheDeadlineWithWhatIsLeft() {
        var drain = WorkerDrain(timeoutMs: 5_000)
        drain.stopRequested(now: 1_000)
        drain.stopRequested(now: 4_000)  // a second request keeps the first deadline
        #expect(drain.deadline == 6_000)
        #expect(drain.decide(now: 5_999, unsettled: 2) == .runOn)
        #expect(drain.decide(now: 6_000, unsettled: 2) == .endWithUnsettled(2))
    }
}
