/// The `msgId` of a queue-side message made from an MQTT message that an MQTT worker journaled: the
/// journal's 16 hex characters, the seq (12 hex characters: seqs stay below 2^48) and the index of the rule
/// result among that message's results (4 hex characters). A message the worker sends again (after a
/// reconnect, or replayed from its journal after a crash) has the same journal and seq, so it gets the
/// same IDs, and an engine that de-duplicates by ID stores it once.
public enum OutflowMessageID {
    public static func make(journal: String, seq: UInt64, index: Int) -> String {
        // Written as bytes into one string of the final size: the hub makes one ID per routed message.
        var journal = journal
        return journal.withUTF8 { prefix in
            String(unsafeUninitializedCapacity: prefix.count + 16) { buffer in
                _ = buffer.initialize(from: prefix)
                writeHex(seq & 0xFFFF_FFFF_FFFF, digits: 12, into: buffer, at: prefix.count)
                writeHex(UInt64(truncatingIfNeeded: index) & 0xFFFF, digits: 4, into: buffer, at: prefix.count + 12)
                return prefix.count + 16
            }
        }
    }

    /// Writes the low `digits` hex digits of `value`, lowercase, most significant first, at `offset`.
    @inline(__always)
    private static func writeHex(_ value: UInt64, digits: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        var value = value
        for position in stride(from: offset + digits - 1, through: offset, by: -1) {
            let nibble = UInt8(truncatingIfNeeded: value & 0xF)
            buffer[position] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            value >>= 4
        }
    }
}
