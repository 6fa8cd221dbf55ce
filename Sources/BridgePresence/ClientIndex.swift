/// Open-addressing hash index from client ID to record number, linear probing, load factor at most 0.7.
///
/// A slot is one `UInt64`: the record number + 1 in the low half (0 is empty) and the low 32 bits of the ID's
/// hash in the high half. A probe compares those hash bits first, so it reads a record (and, for a long ID,
/// the arena) only when they match, and growing moves slots by their stored bits without hashing any ID
/// again. Keys live in the records, so the index asks the caller to compare.
struct ClientIndex: Sendable {
    private(set) var slots: [UInt64] = []
    private(set) var count = 0

    var capacity: Int { slots.count }

    /// Bytes per slot, for memory estimates.
    static let slotBytes = MemoryLayout<UInt64>.stride

    @inline(__always)
    private static func tag(_ hash: UInt64) -> UInt64 { hash & 0xFFFF_FFFF }

    func find(hash: UInt64, matches: (Int32) -> Bool) -> Int32? {
        guard !slots.isEmpty else { return nil }
        let tag = Self.tag(hash)
        return slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            var position = Int(truncatingIfNeeded: tag) & mask
            while true {
                let slot = slots[position]
                if slot == 0 { return nil }
                if slot >> 32 == tag {
                    let record = Int32(truncatingIfNeeded: slot & 0xFFFF_FFFF) - 1
                    if matches(record) { return record }
                }
                position = (position + 1) & mask
            }
        }
    }

    /// The record number in the hash's home slot when that slot's hash bits match, without probing further:
    /// a guess for reading ahead (`PresenceTracker.apply(contentsOf:)`), or nil.
    @inline(__always)
    func homeRecord(hash: UInt64) -> Int32? {
        let slot = homeSlot(hash: hash)
        guard slot != 0, slot >> 32 == Self.tag(hash) else { return nil }
        return Int32(truncatingIfNeeded: slot & 0xFFFF_FFFF) - 1
    }

    /// The hash's home slot (0 when empty or when the index has no slots yet).
    @inline(__always)
    func homeSlot(hash: UInt64) -> UInt64 {
        slots.withUnsafeBufferPointer { slots in
            slots.isEmpty ? 0 : slots[Int(truncatingIfNeeded: Self.tag(hash)) & (slots.count - 1)]
        }
    }

    /// Starts loading the hash's home slot into the cache.
    @inline(__always)
    func prefetchHomeSlot(hash: UInt64) {
        slots.withUnsafeBufferPointer { slots in
            guard let base = slots.baseAddress else { return }
            prefetch(base + (Int(truncatingIfNeeded: Self.tag(hash)) & (slots.count - 1)))
        }
    }

    /// Adds `record`, which must not be present yet.
    mutating func insert(_ record: Int32, hash: UInt64) {
        if (count + 1) * 10 > slots.count * 7 {
            grow(minimumCount: count + 1)
        }
        place(UInt64(UInt32(record) + 1) | Self.tag(hash) << 32)
        count += 1
    }

    /// Makes room for `total` records without growing again.
    mutating func reserve(_ total: Int) {
        if total * 10 > slots.count * 7 {
            grow(minimumCount: total)
        }
    }

    private mutating func place(_ slot: UInt64) {
        let mask = slots.count - 1
        var position = Int(truncatingIfNeeded: slot >> 32) & mask
        while slots[position] != 0 {
            position = (position + 1) & mask
        }
        slots[position] = slot
    }

    private mutating func grow(minimumCount: Int) {
        var capacity = max(16, slots.count)
        while minimumCount * 10 > capacity * 7 {
            capacity *= 2
        }
        // Positions come from the 32 stored hash bits, which address at most 2^32 slots.
        precondition(capacity <= 1 << 32, "client index is limited to 2^32 slots")
        let old = slots
        slots = [UInt64](repeating: 0, count: capacity)
        for slot in old where slot != 0 {
            place(slot)
        }
    }
}
