/// Validated UTF-8 text searched as bytes. Every needle the parsers use starts and ends with an ASCII byte,
/// so a match always falls on scalar boundaries and the text between matches is valid UTF-8 again.
struct ByteText {
    let bytes: [UInt8]

    var count: Int { bytes.count }

    func matches(_ needle: [UInt8], at index: Int) -> Bool {
        guard index >= 0, index + needle.count <= bytes.count else { return false }
        var offset = 0
        while offset < needle.count {
            if bytes[index + offset] != needle[offset] { return false }
            offset += 1
        }
        return true
    }

    func hasSuffix(_ needle: [UInt8], end: Int) -> Bool {
        matches(needle, at: end - needle.count)
    }

    /// The start of the first match lying wholly inside `range`.
    func firstIndex(of needle: [UInt8], in range: Range<Int>) -> Int? {
        guard !needle.isEmpty else { return range.lowerBound }
        var index = range.lowerBound
        while index + needle.count <= range.upperBound {
            if matches(needle, at: index) { return index }
            index += 1
        }
        return nil
    }

    /// The start of the last match lying wholly inside `range`.
    func lastIndex(of needle: [UInt8], in range: Range<Int>) -> Int? {
        var index = range.upperBound - needle.count
        while index >= range.lowerBound {
            if matches(needle, at: index) { return index }
            index -= 1
        }
        return nil
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// Reads a run of ASCII digits at `index`: its end, and its value when it fits an `Int64`.
    func digits(at index: Int) -> (end: Int, value: Int64?) {
        var end = index
        var value: Int64? = 0
        while end < bytes.count, ByteText.isDigit(bytes[end]) {
            if let current = value {
                let (times, overflow1) = current.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(Int64(bytes[end] - UInt8(ascii: "0")))
                value = overflow1 || overflow2 ? nil : sum
            }
            end += 1
        }
        return (end, end == index ? nil : value)
    }
}

extension Array where Element == UInt8 {
    /// The UTF-8 bytes of an ASCII literal, for needles.
    init(ascii text: StaticString) {
        self = text.withUTF8Buffer { Array($0) }
    }
}
