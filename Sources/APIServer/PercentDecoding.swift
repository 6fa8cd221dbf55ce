/// `%XX` decoding of request-target parts (RFC 3986 §2.1).
enum PercentDecoding {
    /// Decodes `bytes`; with `plusAsSpace` (query parts, as HTML forms encode them) `+` becomes a
    /// space. Fails on a `%` without two hex digits, on bytes that are not UTF-8, and on NUL, which
    /// no name or value of the API may contain.
    static func decode(_ bytes: ArraySlice<UInt8>, plusAsSpace: Bool) throws(APIRefusal) -> String {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard bytes.endIndex - index >= 3,
                      let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else {
                    let end = min(index + 3, bytes.endIndex)
                    let seen = String(decoding: bytes[index..<end], as: UTF8.self)
                    throw APIRefusal(status: 400, detail: "invalid percent-encoding '\(seen)' in the request target")
                }
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        guard !decoded.contains(0) else {
            throw APIRefusal(status: 400, detail: "the request target encodes a NUL byte")
        }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            throw APIRefusal(status: 400, detail: "the request target decodes to bytes that are not UTF-8")
        }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
