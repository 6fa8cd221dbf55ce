/// The reversible escaping of a tag into one NATS subject token.
///
/// A subject token is a non-empty run of printable ASCII without `.`, and `*` and `>` are wildcards, so a tag
/// is written byte by byte (UTF-8):
/// - bytes `0x21`–`0x7E` other than `%`, `.`, `*` and `>` stand for themselves;
/// - every other byte (`%`, `.`, `*`, `>`, space and control bytes up to `0x20`, `0x7F`, every byte of a
///   non-ASCII character) is written `%XX`, two uppercase hex digits;
/// - no tag is `_`, so a tag that is exactly `_` is written `%5F`;
/// - the empty tag is `%` alone (a `%` with no hex digits after it cannot occur otherwise).
///
/// Examples: `connect` → `connect`, `a.b` → `a%2Eb`, `50%` → `50%25`, `a b` → `a%20b`, `ü` → `%C3%BC`,
/// `*` → `%2A`. ``unescape(_:)`` accepts exactly what ``escape(_:)`` can produce, except that any byte may be
/// escaped (`%41` is `A`), and refuses the rest with an error.
public enum SubjectToken {
    /// The token of a message without a tag.
    public static let noTag = "_"
    /// The token of the empty tag.
    public static let emptyTag = "%"

    /// The subject token for `tag`; always a valid token (non-empty printable ASCII without `.`, `*`, `>`).
    public static func escape(_ tag: String?) -> String {
        guard let tag else { return noTag }
        if tag.isEmpty { return emptyTag }
        if tag == noTag { return "%5F" }
        var out: [UInt8] = []
        out.reserveCapacity(tag.utf8.count)
        for byte in tag.utf8 {
            if isLiteral(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The tag a token stands for: nil for `_`. Throws `malformedToken` for anything ``escape(_:)`` cannot
    /// produce: an empty token, a `%` not followed by two uppercase hex digits (other than the lone `%`), a
    /// character that must be escaped, or escapes that do not form UTF-8.
    public static func unescape(_ token: String) throws(JetStreamMappingError) -> String? {
        if token == noTag { return nil }
        if token == emptyTag { return "" }
        let bytes = Array(token.utf8)
        guard !bytes.isEmpty else { throw malformed(token, "it is empty") }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else {
                    throw malformed(token, "'%' at offset \(index) must be followed by two uppercase hex digits")
                }
                out.append(high << 4 | low)
                index += 3
            } else if isLiteral(byte) {
                out.append(byte)
                index += 1
            } else {
                throw malformed(token, "byte 0x\(String(byte, radix: 16, uppercase: true)) at offset \(index) must be written as %XX")
            }
        }
        // Decoding replaces ill-formed UTF-8 with U+FFFD, so a changed byte sequence means it was not UTF-8.
        let tag = String(decoding: out, as: UTF8.self)
        guard tag.utf8.elementsEqual(out) else { throw malformed(token, "its escapes do not form UTF-8 text") }
        return tag
    }

    /// Whether `text` is a valid subject token: non-empty printable ASCII without `.`, `*` and `>`.
    public static func isValidToken(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ".") && $0 != UInt8(ascii: "*") && $0 != UInt8(ascii: ">") }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func isLiteral(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "%"), UInt8(ascii: "."), UInt8(ascii: "*"), UInt8(ascii: ">"): false
        default: byte > 0x20 && byte < 0x7F
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func malformed(_ token: String, _ why: String) -> JetStreamMappingError {
        JetStreamMappingError(.malformedToken, "subject token '\(token)' is not an escaped tag: \(why)")
    }
}
