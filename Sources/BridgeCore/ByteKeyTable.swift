#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Open-addressing hash table from a key — a 32-bit scope and a byte string — to a non-negative `Int32`.
///
/// Built once and then only read, per message: the topic filter trie keys its ASCII literal children by
/// (parent node, level bytes), and inflow keys queue topics by their bytes. Keys of up to 16 bytes are kept
/// inside their slot, so a lookup touches one slot's cache line and compares two words; longer keys live in
/// one byte arena. Keys are compared as bytes: callers keep keys whose string comparison could differ from
/// byte comparison (non-ASCII text) out of the table.
struct ByteKeyTable: Sendable {
    private struct Slot: Sendable {
        /// The value, or -1 for an empty slot.
        var value: Int32 = -1
        var scope: Int32 = 0
        var hash: UInt32 = 0
        var length: UInt32 = 0
        /// The key's bytes, zero-padded, when it is at most 16 bytes; otherwise `word0` is its arena offset.
        var word0: UInt64 = 0
        var word1: UInt64 = 0
    }

    /// Longest key kept inside its slot.
    static let inlineBytes = 16

    private var slots: [Slot] = []
    private var arena: [UInt8] = []
    /// Number of keys.
    private(set) var count = 0

    init() {}

    /// The first 16 bytes of `key`, zero-padded, as two words.
    @inline(__always)
    static func words(_ key: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        var word0: UInt64 = 0
        var word1: UInt64 = 0
        let count = min(key.count, inlineBytes)
        var index = 0
        while index < count && index < 8 {
            word0 |= UInt64(key[index]) << (UInt64(index) &* 8)
            index += 1
        }
        while index < count {
            word1 |= UInt64(key[index]) << (UInt64(index - 8) &* 8)
            index += 1
        }
        return (word0, word1)
    }

    /// The bytes that `words` holds, the inverse of `words(_:)` for a key of `count` bytes.
    static func bytes(of words: (UInt64, UInt64), count: Int) -> [UInt8] {
        (0..<min(count, inlineBytes)).map { index in
            UInt8(truncatingIfNeeded: (index < 8 ? words.0 : words.1) >> (UInt64(index % 8) * 8))
        }
    }

    /// A 64-bit mix of the scope, the length and the bytes (the padded words for short keys, FNV-1a otherwise).
    @inline(__always)
    private static func hash(scope: Int32, key: UnsafeBufferPointer<UInt8>, words: (UInt64, UInt64)) -> UInt64 {
        var hash: UInt64
        if key.count <= inlineBytes {
            hash = (words.0 ^ UInt64(UInt32(bitPattern: scope))) &* 0x9E37_79B9_7F4A_7C15
            hash = (hash ^ (hash >> 32) ^ words.1) &* 0xD6E8_FEB8_6659_FD93
        } else {
            hash = 0xcbf2_9ce4_8422_2325 ^ UInt64(UInt32(bitPattern: scope))
            for byte in key {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
        }
        hash = (hash ^ UInt64(key.count) ^ (hash >> 32)) &* 0x9E37_79B9_7F4A_7C15
        return hash ^ (hash >> 29)
    }

    /// The value stored for (`scope`, `key`), or nil.
    func find(scope: Int32, key: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard !slots.isEmpty else { return nil }
        let words = Self.words(key)
        let hash = Self.hash(scope: scope, key: key, words: words)
        let shortHash = UInt32(truncatingIfNeeded: hash)
        let mask = slots.count - 1
        var position = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            while true {
                let slot = slots[position]
                if slot.value < 0 { return nil }
                if slot.hash == shortHash, slot.scope == scope, Int(slot.length) == key.count {
                    if key.count <= Self.inlineBytes {
                        if slot.word0 == words.0 && slot.word1 == words.1 { return slot.value }
                    } else if arena.withUnsafeBufferPointer({
                        memcmp(key.baseAddress!, $0.baseAddress! + Int(slot.word0), key.count) == 0
                    }) {
                        return slot.value
                    }
                }
                position = (position + 1) & mask
            }
        }
    }

    /// The value stored for (`scope`, `key`), or nil; any string works (non-contiguous ones are copied).
    func find(scope: Int32, key: String) -> Int32? {
        if let found = key.utf8.withContiguousStorageIfAvailable({ find(scope: scope, key: $0) }) { return found }
        return Array(key.utf8).withUnsafeBufferPointer { find(scope: scope, key: $0) }
    }

    /// Adds a key that is not in the table yet; `value` must not be negative.
    mutating func insert(scope: Int32, key: [UInt8], value: Int32) {
        precondition(value >= 0, "ByteKeyTable values are non-negative")
        if (count + 1) * 2 > slots.count {
            grow()
        }
        var slot = Slot(value: value, scope: scope, hash: 0, length: UInt32(key.count))
        let hash = key.withUnsafeBufferPointer { key in
            let words = Self.words(key)
            if key.count <= Self.inlineBytes {
                (slot.word0, slot.word1) = words
            }
            return Self.hash(scope: scope, key: key, words: words)
        }
        if key.count > Self.inlineBytes {
            slot.word0 = UInt64(arena.count)
            arena.append(contentsOf: key)
        }
        slot.hash = UInt32(truncatingIfNeeded: hash)
        place(slot, hash: hash)
        count += 1
    }

    private mutating func place(_ slot: Slot, hash: UInt64) {
        let mask = slots.count - 1
        var position = Int(truncatingIfNeeded: hash) & mask
        while slots[position].value >= 0 {
            position = (position + 1) & mask
        }
        slots[position] = slot
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(), count: max(16, old.count * 2))
        // A slot's position depends only on the low bits of its hash, which the slot keeps.
        for slot in old where slot.value >= 0 {
            place(slot, hash: UInt64(slot.hash))
        }
    }
}
