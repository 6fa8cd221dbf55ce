/// The `msgId` of a queue-side message made from an MQTT message that an MQTT worker journaled: the
/// journal's 16 hex characters, the seq (12 hex characters: seqs stay below 2^48) and the index of the rule
/// result among that message's results (4 hex characters). A message the worker sends again (after a
/// reconnect, or replayed from its journal after a crash) has the same journal and seq, so it gets the
/// same IDs, and an engine that de-duplicates by ID stores it once.
public enum OutflowMessageID {
    public static func make(journal: String, seq: UInt64, index: Int) -> String {
        var text = journal
        text.reserveCapacity(32)
        appendHex(seq & 0xFFFF_FFFF_FFFF, digits: 12, to: &text)
        appendHex(UInt64(truncatingIfNeeded: index) & 0xFFFF, digits: 4, to: &text)
        return text
    }

    static func appendHex(_ value: UInt64, digits: Int, to text: inout String) {
        let hexDigits = Array("0123456789abcdef".unicodeScalars)
        for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
            text.unicodeScalars.append(hexDigits[Int((value >> UInt64(shift)) & 0xF)])
        }
    }
}
