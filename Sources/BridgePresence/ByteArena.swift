/// Strings stored back to back as UTF-8 in one array, addressed by offset and length: one allocation for all
/// long client IDs, text channel IDs and addresses instead of one each. Replaced strings are not reused in place but counted as
/// `garbage`; the owner compacts when that grows large.
struct ByteArena: Sendable {
    private(set) var bytes: [UInt8] = []
    /// Bytes no longer referenced.
    var garbage = 0

    /// Offsets are stored in 32 bits.
    static let capacityLimit = Int(UInt32.max)

    var capacity: Int { bytes.capacity }

    mutating func reserveCapacity(_ count: Int) {
        bytes.reserveCapacity(count)
    }

    /// Appends the UTF-8 of `text`; returns its offset.
    mutating func append(_ text: String) -> Int {
        let offset = bytes.count
        precondition(offset + text.utf8.count <= ByteArena.capacityLimit, "presence arena exceeds 4 GiB")
        bytes.append(contentsOf: text.utf8)
        return offset
    }

    /// Appends raw bytes (a length prefix); returns their offset.
    mutating func append(bytes more: [UInt8]) -> Int {
        let offset = bytes.count
        precondition(offset + more.count <= ByteArena.capacityLimit, "presence arena exceeds 4 GiB")
        bytes.append(contentsOf: more)
        return offset
    }

    /// Appends bytes; returns their offset.
    mutating func append(_ buffer: UnsafeBufferPointer<UInt8>) -> Int {
        let offset = bytes.count
        precondition(offset + buffer.count <= ByteArena.capacityLimit, "presence arena exceeds 4 GiB")
        bytes.append(contentsOf: buffer)
        return offset
    }

    /// Copies `length` bytes at `offset` from another arena; returns their new offset.
    mutating func copy(from other: ByteArena, offset: Int, length: Int) -> Int {
        let start = bytes.count
        bytes.append(contentsOf: other.bytes[offset..<offset + length])
        return start
    }

    func string(offset: Int, length: Int) -> String {
        bytes.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[offset..<offset + length]), as: UTF8.self)
        }
    }

    func equals(offset: Int, length: Int, _ other: UnsafeBufferPointer<UInt8>) -> Bool {
        guard length == other.count else { return false }
        return bytes.withUnsafeBufferPointer { buffer in
            var index = 0
            while index < length {
                if buffer[offset + index] != other[index] { return false }
                index += 1
            }
            return true
        }
    }

    func equals(offset: Int, length: Int, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { equals(offset: offset, length: length, $0) }
    }

    /// A little-endian 32-bit value at `offset` (the length prefix of a long client ID).
    func uint32(at offset: Int) -> Int {
        var value = 0
        for index in (0..<4).reversed() {
            value = value << 8 | Int(bytes[offset + index])
        }
        return value
    }
}
