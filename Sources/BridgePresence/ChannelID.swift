/// Channel IDs (SPEC §6): 32 lowercase hex characters, unique per TCP connection.
public enum ChannelID {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// 128 bits as 32 lowercase hex characters, `high` first.
    public static func render(high: UInt64, low: UInt64) -> String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            for index in 0..<16 {
                let shift = UInt64(60 - 4 * index)
                buffer[index] = hexDigits[Int((high >> shift) & 0xF)]
                buffer[16 + index] = hexDigits[Int((low >> shift) & 0xF)]
            }
            return 32
        }
    }

    /// The 128 bits of a channel ID of exactly 32 lowercase hex characters; nil for any other text.
    public static func parse(_ channelId: String) -> (high: UInt64, low: UInt64)? {
        guard channelId.utf8.count == 32 else { return nil }
        // Native strings lend their bytes without a copy; others are made contiguous first.
        if let words = channelId.utf8.withContiguousStorageIfAvailable(words) { return words }
        var channelId = channelId
        return channelId.withUTF8(words)
    }

    private static func words(_ bytes: UnsafeBufferPointer<UInt8>) -> (high: UInt64, low: UInt64)? {
        let raw = UnsafeRawPointer(bytes.baseAddress!)
        func load(_ offset: Int) -> UInt64 { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        guard let a = digits(load(0)), let b = digits(load(8)), let c = digits(load(16)), let d = digits(load(24))
        else { return nil }
        return (a << 32 | b, c << 32 | d)
    }

    /// Eight lowercase hex characters (the first in the lowest byte) as a 32-bit value, all at once; nil when
    /// any byte is not `0-9a-f`.
    @inline(__always)
    static func digits(_ word: UInt64) -> UInt64? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        guard word & high == 0 else { return nil }
        // With every byte below 0x80, adding 0x80 - n sets a byte's high bit exactly when the byte is >= n,
        // and no byte carries into the next.
        func atLeast(_ n: UInt64) -> UInt64 { (word &+ (0x80 &- n) &* ones) & high }
        let digit = atLeast(0x30) & ~atLeast(0x3A)  // 0-9
        let letter = atLeast(0x61) & ~atLeast(0x67)  // a-f
        guard digit | letter == high else { return nil }
        // A digit's value is its low nibble; a letter's is its low nibble + 9.
        let nibbles = (word & 0x0F0F_0F0F_0F0F_0F0F) &+ (letter >> 7) &* 9
        // Bytes n0 n1 ... n7 (n0 first): pairs into bytes n0n1, n2n3, ... in 16-bit lanes, then lanes in order.
        let pairs = (nibbles & 0x000F_000F_000F_000F) << 4 | (nibbles >> 8) & 0x000F_000F_000F_000F
        return (pairs & 0xFF) << 24 | (pairs >> 16 & 0xFF) << 16 | (pairs >> 32 & 0xFF) << 8 | pairs >> 48 & 0xFF
    }

    /// The channel ID of one EMQX connection, derived from what both its events carry: a 128-bit hash
    /// (`Hash128`) of the client ID's length (8 bytes, little-endian), its UTF-8 bytes and `connected_at`
    /// (8 bytes, little-endian). The same connection always gets the same ID, in every process, so redelivered
    /// or replayed events are recognised as duplicates.
    public static func emqx(clientId: String, connectedAt: Int64) -> String {
        var hash = Hash128()
        hash.add(UInt64(clientId.utf8.count))
        for byte in clientId.utf8 {
            hash.add(byte)
        }
        hash.add(UInt64(bitPattern: connectedAt))
        let (high, low) = hash.finish()
        return render(high: high, low: low)
    }

    /// The channel ID of a Mosquitto connection whose connect line has a timestamp: a hash of what every
    /// reader of the broker's log sees the same way, the client ID, the client's `ip:port` and the log
    /// second (a domain byte first, so it never equals an EMQX ID). Several bridges reading one broker, and
    /// one bridge reading redelivered lines after a restart, give the connection the same ID, and so its
    /// events the same message IDs. Two connections of one client from one `ip:port` within one second cannot
    /// be told apart by the log anyway: the tracker takes the second for a redelivery of the first.
    public static func mosquitto(clientId: String, address: String, second: Int64) -> String {
        var hash = Hash128()
        hash.add(UInt8(0x4D))
        for text in [clientId, address] {
            hash.add(UInt64(text.utf8.count))
            for byte in text.utf8 { hash.add(byte) }
        }
        hash.add(UInt64(bitPattern: second))
        let (high, low) = hash.finish()
        return render(high: high, low: low)
    }
}

/// Random channel IDs for Mosquitto connections (whose log lines carry no connection ID): xoshiro256**
/// seeded through SplitMix64, 128 bits per ID.
///
/// The sequence is fully determined by the seed, so a process must not reuse one: pass a fresh random seed
/// at every start (IDs already issued are persisted with the presence snapshot, not regenerated).
public struct ChannelIDGenerator: Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var splitMix = seed
        func next() -> UInt64 {
            splitMix &+= 0x9e37_79b9_7f4a_7c15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        state = (next(), next(), next(), next())
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func nextWord() -> UInt64 {
        let result = Mix.rotateLeft(state.1 &* 5, 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = Mix.rotateLeft(state.3, 45)
        return result
    }

    /// A new channel ID: 128 random bits as 32 lowercase hex characters.
    public mutating func next() -> String {
        let high = nextWord()
        return ChannelID.render(high: high, low: nextWord())
    }
}
