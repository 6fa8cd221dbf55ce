/// 64-bit hashing primitives. Deterministic across processes and platforms (unlike `Hasher`), because channel
/// IDs derived from them are published and persisted.
enum Mix {
    static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x0000_0100_0000_01b3

    /// MurmurHash3's 64-bit finalizer: every input bit affects every output bit.
    @inline(__always)
    static func finalize(_ value: UInt64) -> UInt64 {
        var k = value
        k ^= k >> 33
        k &*= 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k &*= 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }

    @inline(__always)
    static func rotateLeft(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }
}

/// A 128-bit, non-cryptographic hash built from two independent 64-bit lanes over the same bytes: FNV-1a, and
/// a multiply-rotate lane with the golden-ratio constant. Each lane is finalized with MurmurHash3's mixer
/// after the two are cross-combined, so a difference in any input byte spreads over all 128 output bits.
/// Collisions among non-adversarial inputs are as unlikely as among random 128-bit values for any practical
/// number of connections.
struct Hash128 {
    private var a = Mix.fnvOffset
    private var b: UInt64 = 0x6c62_272e_07bb_0142

    mutating func add(_ byte: UInt8) {
        a = (a ^ UInt64(byte)) &* Mix.fnvPrime
        b = Mix.rotateLeft((b ^ UInt64(byte)) &* 0x9e37_79b9_7f4a_7c15, 31)
    }

    mutating func add(_ value: UInt64) {
        var rest = value
        for _ in 0..<8 {
            add(UInt8(truncatingIfNeeded: rest))
            rest >>= 8
        }
    }

    func finish() -> (high: UInt64, low: UInt64) {
        let high = Mix.finalize(a ^ Mix.rotateLeft(b, 32))
        let low = Mix.finalize(b &+ high &* 0x9e37_79b9_7f4a_7c15)
        return (high, low)
    }
}
