/// Open-addressing hash index from client ID to record number: one `Int32` per slot (record + 1; 0 is
/// empty), linear probing, load factor at most 0.7. Keys live in the arena, so the index asks the caller
/// to compare and to rehash.
struct ClientIndex: Sendable {
    private(set) var slots: [Int32] = []
    private(set) var count = 0

    var capacity: Int { slots.count }

    func find(hash: UInt64, matches: (Int32) -> Bool) -> Int32? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var position = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[position]
            if slot == 0 { return nil }
            if matches(slot - 1) { return slot - 1 }
            position = (position + 1) & mask
        }
    }

    /// Adds `record`, which must not be present yet.
    mutating func insert(_ record: Int32, hash: UInt64, rehash: (Int32) -> UInt64) {
        if (count + 1) * 10 > slots.count * 7 {
            grow(minimumCount: count + 1, rehash: rehash)
        }
        place(record, hash: hash)
        count += 1
    }

    /// Makes room for `total` records without growing again.
    mutating func reserve(_ total: Int, rehash: (Int32) -> UInt64) {
        if total * 10 > slots.count * 7 {
            grow(minimumCount: total, rehash: rehash)
        }
    }

    private mutating func place(_ record: Int32, hash: UInt64) {
        let mask = slots.count - 1
        var position = Int(truncatingIfNeeded: hash) & mask
        while slots[position] != 0 {
            position = (position + 1) & mask
        }
        slots[position] = record + 1
    }

    private mutating func grow(minimumCount: Int, rehash: (Int32) -> UInt64) {
        var capacity = max(16, slots.count)
        while minimumCount * 10 > capacity * 7 {
            capacity *= 2
        }
        let old = slots
        slots = [Int32](repeating: 0, count: capacity)
        for slot in old where slot != 0 {
            place(slot - 1, hash: rehash(slot - 1))
        }
    }
}
