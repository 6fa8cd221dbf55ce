import TestSupport
import Testing

@testable import BridgeCore

@Suite struct StableMessageIDTests {
    @Test func fnv1a128MatchesThePublishedVectors() {
        var empty = StableHash128()
        empty.combine(bytes: [UInt8]())
        #expect(empty.fnvHexDigits == "6c62272e07bb014262b821756295c58d")
        var a = StableHash128()
        a.combine(bytes: Array("a".utf8))
        #expect(a.fnvHexDigits == "d228cb696f1a8caf78912b704e4a8964")
        var foobar = StableHash128()
        foobar.combine(bytes: Array("foobar".utf8))
        #expect(foobar.fnvHexDigits == "343e1662793c64bf6f0d3597ba446f18")
    }

    /// Fixed values: an ID must not change between runs, processes, platforms or releases. They were checked
    /// against an independent implementation of the documented algorithm (Python, arbitrary-precision ints).
    @Test func idsAreFixed() {
        #expect(StatusMessageID.make(clientId: "GID_sensors@@@dev-001", channelId: "2b9b1281046046faafe5e0b458e4aa01", eventType: .connect) == "597ec94ae048309cbabd700520d2b41c")
        #expect(StatusMessageID.make(clientId: "GID_sensors@@@dev-001", channelId: "2b9b1281046046faafe5e0b458e4aa01", eventType: .tcpclean) == "c91f85773d68259875a0f2928727bc4a")
        #expect(StatusMessageID.make(clientId: "", channelId: "", eventType: .disconnect) == "3e242bacef08c5ea808befd6ce1b68f8")
    }

    @Test func idIs32LowercaseHexDigits() {
        let id = StatusMessageID.make(clientId: "c", channelId: "ch", eventType: .connect)
        #expect(id.utf8.count == 32)
        #expect(id.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) })
    }

    @Test func everyFieldCounts() {
        let base = StatusMessageID.make(clientId: "GID_a@@@d", channelId: "00ff", eventType: .connect)
        #expect(StatusMessageID.make(clientId: "GID_a@@@e", channelId: "00ff", eventType: .connect) != base)
        #expect(StatusMessageID.make(clientId: "GID_a@@@d", channelId: "00fe", eventType: .connect) != base)
        #expect(StatusMessageID.make(clientId: "GID_a@@@d", channelId: "00ff", eventType: .disconnect) != base)
        #expect(StatusMessageID.make(clientId: "GID_a@@@d", channelId: "00ff", eventType: .tcpclean) != base)
        // Characters moved across the boundary between fields.
        #expect(StatusMessageID.make(clientId: "ab", channelId: "c", eventType: .connect) != StatusMessageID.make(clientId: "a", channelId: "bc", eventType: .connect))
        #expect(StatusMessageID.make(clientId: "", channelId: "x", eventType: .connect) != StatusMessageID.make(clientId: "x", channelId: "", eventType: .connect))
    }

    @Test func eventsCarryTheirID() {
        let event = StatusEvent(clientId: "c", time: 1, eventType: .tcpclean, channelId: "ch", clientIp: "127.0.0.1:1")
        #expect(event.messageID == StatusMessageID.make(clientId: "c", channelId: "ch", eventType: .tcpclean))
        var later = event
        later.time = 2
        later.clientIp = "127.0.0.1:2"
        #expect(later.messageID == event.messageID, "time and address are not part of the identity")
    }

    @Test func noCollisionsAndWellMixed() {
        let seed: UInt64 = 0xC011_1510_4E5
        var random = SplitMix64(seed: seed)
        var seen = Set<String>()
        var bitCounts = [Int](repeating: 0, count: 128)
        let count = 100_000
        for index in 0..<count {
            // Near-identical inputs, as real client and channel IDs are.
            let clientId = "GID_sensors@@@dev-\(random.next() % 1_000)"
            let channelId = StableHash128.hex(random.next()) + StableHash128.hex(UInt64(index))
            let type = StatusEvent.EventType.allCases[Int(random.next() % 3)]
            let id = StatusMessageID.make(clientId: clientId, channelId: channelId, eventType: type)
            seen.insert(id)
            for (position, digit) in id.utf8.enumerated() {
                let value = Int(digit <= UInt8(ascii: "9") ? digit - UInt8(ascii: "0") : digit - UInt8(ascii: "a") + 10)
                for bit in 0..<4 where value >> (3 - bit) & 1 == 1 { bitCounts[position * 4 + bit] += 1 }
            }
        }
        #expect(seen.count == count, "seed \(seed)")
        // Every output bit is set about half the time (±1.5 %: 100k samples put 1 % at about 6 sigma).
        #expect(bitCounts.allSatisfy { abs(Double($0) / Double(count) - 0.5) < 0.015 }, "seed \(seed)")
    }
}

@Suite struct OutflowMessageIDTests {
    /// The journal, then the seq in 12 lowercase hex digits and the result index in 4 (each cut to its width).
    @Test func journalSeqAndIndexInFixedWidths() {
        #expect(OutflowMessageID.make(journal: "1844e7fb9127808f", seq: 5, index: 0) == "1844e7fb9127808f0000000000050000")
        #expect(OutflowMessageID.make(journal: "1844e7fb9127808f", seq: 0xABC_DEF0_1234, index: 0x1F) == "1844e7fb9127808f0abcdef01234001f")
        #expect(OutflowMessageID.make(journal: "j", seq: 0x1_FFFF_FFFF_FFFF, index: 0x1_0002) == "jffffffffffff0002")
        #expect(OutflowMessageID.make(journal: "", seq: 0, index: 0) == "0000000000000000")
    }

    @Test func agreesWithFormattedHexForRandomValues() {
        var random = SplitMix64(seed: 7)
        for journal in ["", "0123456789abcdef", "jöurnal"] {
            for _ in 0..<2_000 {
                let seq = random.next()
                let index = Int.random(in: 0...0x2_0000, using: &random)
                let seqHex = String(seq & 0xFFFF_FFFF_FFFF, radix: 16)
                let indexHex = String(index & 0xFFFF, radix: 16)
                let expected = journal + String(repeating: "0", count: 12 - seqHex.count) + seqHex
                    + String(repeating: "0", count: 4 - indexHex.count) + indexHex
                #expect(OutflowMessageID.make(journal: journal, seq: seq, index: index) == expected)
            }
        }
    }
}
