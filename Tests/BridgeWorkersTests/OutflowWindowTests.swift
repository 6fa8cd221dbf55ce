import Testing

@testable import BridgeWorkers

/// The MQTT worker's outflow window: at most `window` unacknowledged, the rest in order, everything
/// unacknowledged sent again after a new session.
@Suite struct OutflowWindowTests {
    static func seqs(_ sent: [(seq: UInt64, payload: String)]) -> [UInt64] { sent.map(\.seq) }

    @Test func atMostAWindowIsInFlightAndTheRestFollowInOrder() {
        var outflow = OutflowWindow<String>(window: 2)
        #expect(Self.seqs(outflow.add(seq: 1, "a")) == [1])
        #expect(Self.seqs(outflow.add(seq: 2, "b")) == [2])
        #expect(outflow.add(seq: 3, "c").isEmpty)
        #expect(outflow.add(seq: 4, "d").isEmpty)
        #expect(outflow.inFlight == 2 && outflow.waitingCount == 2)
        let first = outflow.acknowledge([2])
        #expect(first.settled == [2])
        #expect(Self.seqs(first.send) == [3])
        let rest = outflow.acknowledge([1, 3, 99])
        #expect(rest.settled == [1, 3])
        #expect(Self.seqs(rest.send) == [4])
        _ = outflow.acknowledge([4])
        #expect(outflow.isEmpty)
    }

    @Test func aNewSessionSendsEverythingUnacknowledgedAgainOldestFirst() {
        var outflow = OutflowWindow<String>(window: 3)
        for seq in UInt64(1)...5 { _ = outflow.add(seq: seq, "m\(seq)") }
        _ = outflow.acknowledge([2])
        // 1, 3, 4 in flight (4 took 2's room), 5 waiting.
        let again = outflow.resend()
        #expect(again.map(\.seq) == [1, 3, 4])
        #expect(again.map(\.payload) == ["m1", "m3", "m4"])
        #expect(outflow.pendingSeqs == [1, 3, 4, 5])
    }

    @Test func whatAnEarlierRunLeftGoesFirstWithinTheWindow() {
        // Replayed from the journal: added before anything new, sent only as the window allows.
        var outflow = OutflowWindow<String>(window: 2)
        var sent: [UInt64] = []
        for seq in UInt64(10)...14 { sent += Self.seqs(outflow.add(seq: seq, "old")) }
        #expect(sent == [10, 11])
        sent += Self.seqs(outflow.add(seq: 15, "new"))
        #expect(sent == [10, 11])
        for seq in UInt64(10)...15 { sent += Self.seqs(outflow.acknowledge([seq]).send) }
        #expect(sent == [10, 11, 12, 13, 14, 15])
        #expect(outflow.isEmpty)
    }

    @Test func manyMessagesThroughASmallWindowKeepTheirOrder() {
        var outflow = OutflowWindow<Int>(window: 7)
        var sent: [UInt64] = []
        var inFlight: [UInt64] = []
        for seq in UInt64(1)...5_000 {
            let now = Self.seqsInt(outflow.add(seq: seq, Int(seq)))
            sent += now
            inFlight += now
            if seq % 3 == 0, !inFlight.isEmpty {
                let acked = inFlight.removeFirst()
                let more = Self.seqsInt(outflow.acknowledge([acked]).send)
                sent += more
                inFlight += more
            }
            #expect(outflow.inFlight <= 7)
        }
        while !inFlight.isEmpty {
            let more = Self.seqsInt(outflow.acknowledge([inFlight.removeFirst()]).send)
            sent += more
            inFlight += more
        }
        #expect(sent == Array(1...5_000).map(UInt64.init))
        #expect(outflow.isEmpty)
    }

    static func seqsInt(_ sent: [(seq: UInt64, payload: Int)]) -> [UInt64] { sent.map(\.seq) }
}
