extension JSONParser {
    /// Parses a string literal starting at the opening quote; rejects raw control characters and invalid UTF-8.
    mutating func parseString() throws(JSONParseError) -> String {
        let start = position
        position += 1
        // Most strings have no escapes: one validated copy of the bytes between the quotes.
        var end = position
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 {
            end += 1
        }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let run = position
            let text = bytes.withUnsafeBufferPointer { JSONParser.validatedString(UnsafeBufferPointer(rebasing: $0[run..<end])) }
            guard let text else { throw JSONParseError(offset: run, message: "invalid UTF-8 in a string") }
            position = end + 1
            return text
        }
        var scalars = String.UnicodeScalarView()
        var runStart = position
        func flushRun(_ parser: JSONParser, upTo end: Int) throws(JSONParseError) {
            guard runStart < end else { return }
            guard let run = String(validating: parser.bytes[runStart..<end], as: UTF8.self) else {
                throw JSONParseError(offset: runStart, message: "invalid UTF-8 in a string")
            }
            scalars.append(contentsOf: run.unicodeScalars)
        }
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                try flushRun(self, upTo: position)
                position += 1
                return String(scalars)
            }
            if byte < 0x20 {
                throw JSONParseError(offset: position, message: "control character in a string")
            }
            if byte == UInt8(ascii: "\\") {
                try flushRun(self, upTo: position)
                scalars.append(try parseEscape())
                runStart = position
                continue
            }
            position += 1
        }
        throw JSONParseError(offset: start, message: "unterminated string")
    }

    /// The bytes as a String when they are valid UTF-8. ASCII, the common case, takes a plain scan and a
    /// copy (`String(validating:)` is generic and not specialized for buffers).
    static func validatedString(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var ascii = true
        for byte in bytes where byte >= 0x80 {
            ascii = false
            break
        }
        if ascii { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    private mutating func parseEscape() throws(JSONParseError) -> Unicode.Scalar {
        position += 1
        guard position < bytes.count else { throw JSONParseError(offset: position, message: "unterminated escape") }
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try parseHex4()
            if (0xD800...0xDBFF).contains(high) {
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u")
                else { throw JSONParseError(offset: position, message: "unpaired surrogate in \\u escape") }
                position += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw JSONParseError(offset: position, message: "unpaired surrogate in \\u escape")
                }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
            }
            guard let scalar = Unicode.Scalar(high) else {
                throw JSONParseError(offset: position, message: "unpaired surrogate in \\u escape")
            }
            return scalar
        default:
            throw JSONParseError(offset: position - 1, message: "unknown escape")
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw JSONParseError(offset: position, message: "short \\u escape") }
        var value: UInt32 = 0
        for byte in bytes[position..<position + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONParseError(offset: position, message: "bad hex digit in \\u escape")
            }
            value = value << 4 | UInt32(digit)
        }
        position += 4
        return value
    }
}
