import BridgeWorkers
import Testing

@Suite struct OutflowSettlementTests {
    @Test func withAJournalSettledIdsAreWrittenInOneBatch() {
        var settlement = OutflowSettlement(journaled: true)
        settlement.settled([1, 2])
        settlement.settled([5])
        let result1 = settlement.flush()
        #expect(result1 == [1, 2, 5])
        let result2 = settlement.flush()
        #expect(result2.isEmpty, "a flush takes them once")
    }

    @Test func withoutAJournalThereIsNothingToWrite() {
        var settlement = OutflowSettlement(journaled: false)
        settlement.settled([1, 2, 3])
        let result3 = settlement.flush()
        #expect(result3.isEmpty)
    }

    @Test func settleRecordsNoAppendCarriedAreWrittenAfterTheDelay() {
        var settlement = OutflowSettlement(journaled: true)
        #expect(settlement.pollTimeoutMs(now: 0) == nil, "nothing waits")
        let result5 = settlement.writeWaitingIsDue(now: 1_000)
        #expect(!result5)
        settlement.handedToJournal(now: 100)
        settlement.handedToJournal(now: 120)  // the first hand-over sets the clock
        #expect(settlement.pollTimeoutMs(now: 130) == 20)
        let result6 = settlement.writeWaitingIsDue(now: 149)
        #expect(!result6)
        let result7 = settlement.writeWaitingIsDue(now: 150)
        #expect(result7)
        let result8 = settlement.writeWaitingIsDue(now: 151)
        #expect(!result8, "written once")
        #expect(settlement.pollTimeoutMs(now: 151) == nil)
    }

    @Test func anOverduePollTimeoutIsZero() {
        var settlement = OutflowSettlement(journaled: true)
        settlement.handedToJournal(now: 0)
        #expect(settlement.pollTimeoutMs(now: 500) == 0)
    }
}
