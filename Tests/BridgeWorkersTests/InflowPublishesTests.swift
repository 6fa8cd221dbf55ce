import BridgeWorkers
import Testing

@Suite struct InflowPublishesTests {
    @Test func batchedAcknowledgementsAreTakenInOrderOnce() {
        var inflow = InflowPublishes()
        inflow.published(mid: 7, seq: 100)
        inflow.published(mid: 8, seq: 101)
        let result1 = inflow.completed(mid: 8, reasonCode: 0, batchAck: true)
        #expect(result1 == .batched)
        let result2 = inflow.completed(mid: 7, reasonCode: 0, batchAck: true)
        #expect(result2 == .batched)
        let result3 = inflow.takeAcks()
        #expect(result3 == [101, 100])
        let result4 = inflow.takeAcks()
        #expect(result4.isEmpty)
        #expect(inflow.inFlight.isEmpty)
    }

    @Test func withoutBatchAckEachIsAcknowledgedAtOnce() {
        var inflow = InflowPublishes()
        inflow.published(mid: 1, seq: 9)
        let result5 = inflow.completed(mid: 1, reasonCode: 0, batchAck: false)
        #expect(result5 == .ack(seq: 9))
        #expect(inflow.acksDue.isEmpty)
    }

    @Test func aRefusalIsReportedAndNotAcknowledged() {
        var inflow = InflowPublishes()
        inflow.published(mid: 1, seq: 9)
        let result6 = inflow.completed(mid: 1, reasonCode: 0x87, batchAck: true)
        #expect(result6 == .refused(seq: 9))
        let result7 = inflow.takeAcks()
        #expect(result7.isEmpty)
    }

    @Test func anUnknownOrRepeatedAnswerIsIgnored() {
        var inflow = InflowPublishes()
        let result8 = inflow.completed(mid: 3, reasonCode: 0, batchAck: true)
        #expect(result8 == .unknown)
        inflow.published(mid: 3, seq: 1)
        let result9 = inflow.completed(mid: 3, reasonCode: 0, batchAck: true)
        #expect(result9 == .batched)
        let result10 = inflow.completed(mid: 3, reasonCode: 0, batchAck: true)
        #expect(result10 == .unknown)
        let result11 = inflow.takeAcks()
        #expect(result11 == [1])
    }
}
