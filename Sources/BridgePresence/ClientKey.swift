/// A client ID as the index looks it up: its bytes, their hash and, for an ID of at most
/// `ClientRecord.inlineIDCapacity` bytes, the bytes as four zero-padded words, which the record holds the same
/// way, so comparing an ID takes four word comparisons and no trip to the arena.
struct ClientKey {
    typealias Words = (UInt64, UInt64, UInt64, UInt64)

    let bytes: UnsafeBufferPointer<UInt8>
    /// The zero-padded bytes when they fit; all zero otherwise.
    private(set) var words: Words = (0, 0, 0, 0)
    let hash: UInt64

    var isInline: Bool { bytes.count <= ClientRecord.inlineIDCapacity }

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        if bytes.count <= ClientRecord.inlineIDCapacity {
            var words: Words = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(bytes)) }
            self.words = words
            var hash = ClientKey.seed(bytes.count)
            let used = (bytes.count + 7) / 8
            if used > 0 { hash = ClientKey.step(hash, words.0) }
            if used > 1 { hash = ClientKey.step(hash, words.1) }
            if used > 2 { hash = ClientKey.step(hash, words.2) }
            if used > 3 { hash = ClientKey.step(hash, words.3) }
            self.hash = Mix.finalize(hash)
        } else {
            self.hash = ClientKey.hash(bytes)
        }
    }

    /// The index's hash of an ID: its length, then its bytes eight at a time (native byte order, the last
    /// word zero-padded), finalized. In memory only, so it may differ between platforms.
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash = seed(bytes.count)
        var offset = 0
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while offset + 8 <= bytes.count {
                hash = step(hash, raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                offset += 8
            }
            if offset < bytes.count {
                var last: UInt64 = 0
                withUnsafeMutableBytes(of: &last) {
                    $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[offset...]))
                }
                hash = step(hash, last)
            }
        }
        return Mix.finalize(hash)
    }

    @inline(__always)
    private static func seed(_ count: Int) -> UInt64 {
        Mix.fnvOffset ^ UInt64(truncatingIfNeeded: count) &* 0x9e37_79b9_7f4a_7c15
    }

    @inline(__always)
    private static func step(_ hash: UInt64, _ word: UInt64) -> UInt64 {
        Mix.rotateLeft((hash ^ word) &* 0xff51_afd7_ed55_8ccd, 29)
    }
}
