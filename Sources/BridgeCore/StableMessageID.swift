/// The message ID of a client status event, derived from what identifies the event (SPEC §10): a resend of
/// the same event (journal replay, reconnect, a second bridge seeing the same broker) carries the same ID,
/// so a store that de-duplicates by message ID (JetStream's `Nats-Msg-Id`) keeps one copy.
public enum StatusMessageID {
    /// 32 lowercase hex characters, the same in every process and on every platform.
    ///
    /// The three fields are hashed as one length-prefixed record, so moving characters from one field to the
    /// next (`("ab", "c")` and `("a", "bc")`) gives a different ID. The hash is 128-bit FNV-1a followed by a
    /// 64-bit finalizer on each half, so that IDs differing in one input byte differ in about half their bits.
    ///
    /// Exactly: the input is, for each of `mqbridge.status.v1`, clientId, channelId and the event type's name,
    /// the UTF-8 length as 8 bytes little-endian followed by the UTF-8 bytes. `h` = FNV-1a 128 of the input
    /// (offset basis `0x6c62272e07bb014262b821756295c58d`, prime 2^88 + 0x13B); `hi`, `lo` its halves;
    /// `lo' = fmix64(lo ^ hi)`, `hi' = fmix64(hi ^ lo')` (murmur3's fmix64); the ID is `hi'` then `lo'` as
    /// 16 lowercase hex digits each.
    public static func make(clientId: String, channelId: String, eventType: StatusEvent.EventType) -> String {
        var hash = StableHash128()
        hash.combine(field: "mqbridge.status.v1")
        hash.combine(field: clientId)
        hash.combine(field: channelId)
        hash.combine(field: eventType.rawValue)
        return hash.finalized().hexDigits
    }
}

extension StatusEvent {
    /// ``StatusMessageID/make(clientId:channelId:eventType:)`` for this event.
    public var messageID: String {
        StatusMessageID.make(clientId: clientId, channelId: channelId, eventType: eventType)
    }
}

/// 128-bit FNV-1a over a sequence of length-prefixed fields, with a finalizer. Pure arithmetic on two
/// `UInt64` halves, so the result does not depend on the platform (no `Hasher`, whose seed is per process).
struct StableHash128 {
    /// FNV-1a 128-bit offset basis.
    private(set) var high: UInt64 = 0x6C62_272E_07BB_0142
    private(set) var low: UInt64 = 0x62B8_2175_6295_C58D

    /// Hashes `bytes` as plain FNV-1a (no length prefix).
    mutating func combine<Bytes: Sequence<UInt8>>(bytes: Bytes) {
        for byte in bytes {
            low ^= UInt64(byte)
            multiplyByPrime()
        }
    }

    /// Hashes the field's UTF-8 length (8 bytes, little-endian) and then its UTF-8 bytes.
    mutating func combine(field: String) {
        var length = UInt64(field.utf8.count)
        for _ in 0..<8 {
            combine(bytes: CollectionOfOne(UInt8(truncatingIfNeeded: length)))
            length >>= 8
        }
        combine(bytes: field.utf8)
    }

    /// The FNV prime 2^88 + 0x13B: `x * prime = x * 0x13B + (x << 88)`, modulo 2^128.
    private mutating func multiplyByPrime() {
        let product = low.multipliedFullWidth(by: 0x13B)
        high = high &* 0x13B &+ product.high &+ (low << 24)
        low = product.low
    }

    /// The raw FNV-1a state as 32 hex digits (for checking against the published test vectors).
    var fnvHexDigits: String { Self.hex(high) + Self.hex(low) }

    /// The state run through an invertible mix (murmur3's fmix64, each half feeding the other).
    func finalized() -> (high: UInt64, low: UInt64, hexDigits: String) {
        let mixedLow = Self.fmix64(low ^ high)
        let mixedHigh = Self.fmix64(high ^ mixedLow)
        return (mixedHigh, mixedLow, Self.hex(mixedHigh) + Self.hex(mixedLow))
    }

    private static func fmix64(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x &*= 0xFF51_AFD7_ED55_8CCD
        x ^= x >> 33
        x &*= 0xC4CE_B9FE_1A85_EC53
        x ^= x >> 33
        return x
    }

    private static let digits = Array("0123456789abcdef".utf8)

    static func hex(_ value: UInt64) -> String {
        var out = [UInt8](repeating: 0, count: 16)
        for index in 0..<16 {
            out[index] = digits[Int(value >> UInt64(60 - 4 * index) & 0xF)]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
