/// Builds compact JSON text as UTF-8 bytes. It runs several times per message (wire metadata, the journal),
/// so it appends bytes to one buffer and copies strings run by run, never character by character.
public struct JSONWriter: Sendable {
    /// The UTF-8 bytes written so far.
    public private(set) var bytes: [UInt8] = []
    /// One bit per open object or array (bit 0 for the top level): set when the next item needs a comma.
    private var commaBits: UInt64 = 0
    private var depth = 0

    /// Deepest nesting the writer supports (the parser's limit too).
    public static let maxDepth = 63

    public init() {
        bytes.reserveCapacity(256)
    }

    /// A writer that appends to `bytes` (given with `consume`, so that it is not copied); `takeBytes()` hands
    /// them back with the JSON after them.
    public init(appendingTo bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The bytes written, moved out of the writer, which is left empty.
    public mutating func takeBytes() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &bytes)
        return taken
    }

    /// The text written so far.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Writes `"name":` inside an object; the value must follow.
    public mutating func key(_ name: String) {
        JSONWriter.appendQuoted(name, to: &bytes, comma: needsComma(), colon: true)
        commaBits &= ~(1 << UInt64(depth))
    }

    public mutating func string(_ value: String) {
        JSONWriter.appendQuoted(value, to: &bytes, comma: needsComma(), colon: false)
    }

    public mutating func number(_ value: Int64) {
        separate()
        if value >= 0 && value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        // Digits backwards into a small buffer, then appended in order.
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var count = 0
            repeat {
                digits[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[(20 - count)...]))
        }
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: Array("null".utf8))
    }

    /// Writes `json`, a complete JSON value made elsewhere (e.g. by ``MessageJSON``), as the next value.
    public mutating func raw(_ json: String) {
        separate()
        bytes.append(contentsOf: Array(json.utf8))
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? JSONWriter.trueBytes : JSONWriter.falseBytes)
    }

    /// User properties as an array of `{"key":…,"value":…}` objects, order and duplicates kept.
    public mutating func userProperties(_ properties: [UserProperty]) {
        beginArray()
        for property in properties {
            beginObject()
            field("key", property.key)
            field("value", property.value)
            endObject()
        }
        endArray()
    }

    /// `"name":"value"` in an object.
    public mutating func field(_ name: String, _ value: String) {
        key(name)
        string(value)
    }

    private static let trueBytes: [UInt8] = Array("true".utf8)
    private static let falseBytes: [UInt8] = Array("false".utf8)

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        depth += 1
        precondition(depth <= JSONWriter.maxDepth, "JSONWriter nests at most \(JSONWriter.maxDepth) levels")
        commaBits &= ~(1 << UInt64(depth))
    }

    private mutating func close(_ bracket: UInt8) {
        depth -= 1
        bytes.append(bracket)
        commaBits |= 1 << UInt64(depth)
    }

    /// Whether the next item needs a comma before it; the item after it will.
    @inline(__always)
    private mutating func needsComma() -> Bool {
        let bit: UInt64 = 1 << UInt64(depth)
        defer { commaBits |= bit }
        return commaBits & bit != 0
    }

    @inline(__always)
    private mutating func separate() {
        let bit: UInt64 = 1 << UInt64(depth)
        if commaBits & bit != 0 {
            bytes.append(UInt8(ascii: ","))
        }
        commaBits |= bit
    }

    /// Appends `value` as a JSON string literal (RFC 8259 escapes; other characters as UTF-8).
    public static func appendQuoted(_ value: String, to text: inout String) {
        var bytes: [UInt8] = []
        appendQuoted(value, to: &bytes)
        text += String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `value` as a JSON string literal, in UTF-8: `"` and `\` and control characters escaped, the
    /// rest copied as it is.
    public static func appendQuoted(_ value: String, to bytes: inout [UInt8]) {
        appendQuoted(value, to: &bytes, comma: false, colon: false)
    }

    /// `appendQuoted`, with a comma before it and a colon after it when asked. A short string with nothing
    /// to escape (member names, most values) is written with one append: this runs for every name and string
    /// of every message's metadata.
    static func appendQuoted(_ value: String, to bytes: inout [UInt8], comma: Bool, colon: Bool) {
        let written: Bool? = value.utf8.withContiguousStorageIfAvailable { utf8 in
            let total = utf8.count + 4
            guard total <= 64 else { return false }
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { out in
                var index = 0
                if comma {
                    out[index] = UInt8(ascii: ",")
                    index += 1
                }
                out[index] = UInt8(ascii: "\"")
                index += 1
                if let base = utf8.baseAddress { (out.baseAddress! + index).update(from: base, count: utf8.count) }
                index += utf8.count
                out[index] = UInt8(ascii: "\"")
                index += 1
                if colon {
                    out[index] = UInt8(ascii: ":")
                    index += 1
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: out[0..<index]))
                return true
            }
        }
        if written == true { return }
        if comma { bytes.append(UInt8(ascii: ",")) }
        appendQuotedEscaping(value, to: &bytes)
        if colon { bytes.append(UInt8(ascii: ":")) }
    }

    private static func appendQuotedEscaping(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if runStart < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
                appendEscape(for: byte, to: &bytes)
                runStart = index + 1
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func appendEscape(for byte: UInt8, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        default:
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
        }
    }
}
