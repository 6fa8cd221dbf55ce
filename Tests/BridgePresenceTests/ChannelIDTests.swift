import TestSupport
import Testing

@testable import BridgePresence

@Suite struct ChannelIDTests {
    @Test func renderAndParseRoundTrip() throws {
        #expect(ChannelID.render(high: 0, low: 0) == String(repeating: "0", count: 32))
        #expect(ChannelID.render(high: .max, low: 1) == String(repeating: "f", count: 16) + "0000000000000001")
        var random = SplitMix64(seed: 7)
        for _ in 0..<1000 {
            let high = random.next()
            let low = random.next()
            let text = ChannelID.render(high: high, low: low)
            let parsed = try #require(ChannelID.parse(text))
            #expect(parsed.high == high && parsed.low == low)
        }
    }

    @Test(arguments: [
        "", "2b9b1281046046faafe5e0b458e4aa0", "2b9b1281046046faafe5e0b458e4aa011", "2B9B1281046046FAAFE5E0B458E4AA01",
        "2b9b1281046046faafe5e0b458e4aa0g", "2b9b1281-46046faafe5e0b458e4aa01", "é2b9b1281046046faafe5e0b458e4aa",
    ])
    func onlyLowercaseHexOf32Parses(text: String) {
        #expect(ChannelID.parse(text) == nil)
        #expect(ChannelKey(text) == .text(text))
    }

    @Test func generatorGivesDistinctWellFormedIDsPerSeed() {
        var first = ChannelIDGenerator(seed: 1)
        var again = ChannelIDGenerator(seed: 1)
        var other = ChannelIDGenerator(seed: 2)
        var seen: Set<String> = []
        for _ in 0..<10_000 {
            let id = first.next()
            #expect(ChannelID.parse(id) != nil)
            seen.insert(id)
            #expect(again.next() == id)
            #expect(other.next() != id)
        }
        #expect(seen.count == 10_000)
    }

    @Test func emqxIDsAreStableAndDistinct() {
        let id = ChannelID.emqx(clientId: "GID_a@@@d1", connectedAt: 1_795_300_789_100)
        #expect(ChannelID.parse(id) != nil)
        #expect(id == ChannelID.emqx(clientId: "GID_a@@@d1", connectedAt: 1_795_300_789_100))
        // Pinned (computed by an independent implementation of the documented hash): the IDs are published
        // and persisted, so the hash must not change between versions.
        #expect(id == "e7f1e24a6ca7de018a533627e36bef8d")
        var seen: Set<String> = []
        for client in 0..<200 {
            for time in 0..<50 {
                seen.insert(ChannelID.emqx(clientId: "c\(client)", connectedAt: Int64(time)))
            }
        }
        #expect(seen.count == 200 * 50)
        // The length prefix keeps ("ab", t) and ("a", t') apart even when the bytes line up.
        #expect(ChannelID.emqx(clientId: "", connectedAt: 0) != ChannelID.emqx(clientId: "\u{0}", connectedAt: 0))
    }

    @Test func emqxHashBitsAreBalanced() {
        // Each output bit should flip for about half of single-bit input changes.
        var flips = [Int](repeating: 0, count: 128)
        let samples = 2000
        for sample in 0..<samples {
            let base = Int64(sample) * 7919
            let a = ChannelID.parse(ChannelID.emqx(clientId: "dev", connectedAt: base))
            let b = ChannelID.parse(ChannelID.emqx(clientId: "dev", connectedAt: base ^ (1 << Int64(sample % 40))))
            guard let a, let b else { continue }
            for bit in 0..<64 {
                if (a.high ^ b.high) >> UInt64(bit) & 1 == 1 { flips[bit] += 1 }
                if (a.low ^ b.low) >> UInt64(bit) & 1 == 1 { flips[64 + bit] += 1 }
            }
        }
        for count in flips {
            #expect(count > samples * 4 / 10 && count < samples * 6 / 10)
        }
    }

    @Test(arguments: [
        "127.0.0.1:53950", "0.0.0.0:0", "255.255.255.255:65535", "10.0.0.1", "1.2.3.4:1",
    ])
    func canonicalIPv4IsPacked(text: String) {
        let address = PackedAddress(text)
        guard case .ipv4 = address else {
            Issue.record("\(text) was not packed")
            return
        }
        #expect(address.string == text)
    }

    @Test(arguments: [
        "", "::1:53950", "fe80::1:5", "127.0.0.01:5", "127.0.0.1:05", "256.0.0.1:5", "1.2.3:5", "1.2.3.4.5:6",
        "1.2.3.4:65536", "1.2.3.4:", "1.2.3.4:5:6", "a.b.c.d:1", " 1.2.3.4:5", "1.2.3.4:123456", "1..2.3:4",
    ])
    func otherAddressesStayText(text: String) {
        #expect(PackedAddress(text) == .text(text))
        #expect(PackedAddress(text).string == text)
    }
}

/// `ChannelID.parse` (eight characters at a time) against a character-by-character reading.
@Suite struct ChannelIDParseTests {
    static func reference(_ text: String) -> (UInt64, UInt64)? {
        let bytes = Array(text.utf8)
        guard bytes.count == 32 else { return nil }
        var words: [UInt64] = [0, 0]
        for (index, byte) in bytes.enumerated() {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            words[index / 16] = words[index / 16] << 4 | UInt64(digit)
        }
        return (words[0], words[1])
    }

    @Test func everyByteValueInEveryPosition() {
        var random = SplitMix64(seed: 31)
        for position in 0..<32 {
            for byte in UInt8(0)...UInt8(127) {
                var bytes = Array(ChannelID.render(high: random.next(), low: random.next()).utf8)
                bytes[position] = byte
                let text = String(decoding: bytes, as: UTF8.self)
                let parsed = ChannelID.parse(text)
                let expected = Self.reference(text)
                #expect(parsed?.high == expected?.0 && parsed?.low == expected?.1, "byte \(byte) at \(position)")
            }
        }
    }

    @Test func randomTextOfThirtyTwoBytes() {
        var random = SplitMix64(seed: 32)
        let alphabet = Array("0123456789abcdefABCDEFgxyz:/ \u{7f}".utf8) + [0x80, 0xC3, 0xA9]
        for _ in 0..<20_000 {
            let bytes = (0..<32).map { _ in
                random.next() % 4 == 0 ? alphabet[Int(random.next() % UInt64(alphabet.count))] : alphabet[Int(random.next() % 16)]
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let parsed = ChannelID.parse(text)
            let expected = Self.reference(text)
            #expect(parsed?.high == expected?.0 && parsed?.low == expected?.1, "\(text)")
        }
    }
}
