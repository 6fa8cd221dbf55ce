/// A channel ID as the tracker keeps it: the 128 bits of a well-formed ID (32 lowercase hex), any other
/// text as is. `.text` never holds a well-formed ID, so equal IDs always give equal keys.
enum ChannelKey: Hashable, Sendable {
    case hex(UInt64, UInt64)
    case text(String)

    init(_ channelId: String) {
        if let (high, low) = ChannelID.parse(channelId) {
            self = .hex(high, low)
        } else {
            self = .text(channelId)
        }
    }

    var string: String {
        switch self {
        case .hex(let high, let low): ChannelID.render(high: high, low: low)
        case .text(let text): text
        }
    }

    /// A total order for tie-breaks (the order of the IDs as text).
    static func precedes(_ lhs: ChannelKey, _ rhs: ChannelKey) -> Bool {
        if case .hex(let h1, let l1) = lhs, case .hex(let h2, let l2) = rhs {
            return (h1, l1) < (h2, l2)
        }
        return lhs.string < rhs.string
    }
}

/// A client address as the tracker keeps it: canonical dotted IPv4, with or without `:port`, packed into one
/// word (bits 0–31 address, 32–47 port, bit 48 "has a port"); anything else (IPv6, host names, empty) as text.
enum PackedAddress: Hashable, Sendable {
    case ipv4(UInt64)
    case text(String)

    private static let hasPort: UInt64 = 1 << 48

    init(_ address: String) {
        self = PackedAddress.packIPv4(address).map { .ipv4($0) } ?? .text(address)
    }

    var string: String {
        switch self {
        case .text(let text):
            return text
        case .ipv4(let packed):
            let ip = UInt32(truncatingIfNeeded: packed)
            var text = "\(ip >> 24).\((ip >> 16) & 0xFF).\((ip >> 8) & 0xFF).\(ip & 0xFF)"
            if packed & PackedAddress.hasPort != 0 {
                text += ":\((packed >> 32) & 0xFFFF)"
            }
            return text
        }
    }

    /// Packs only text that `string` reproduces byte for byte: four decimal octets without leading zeros,
    /// optionally `:` and a port without leading zeros.
    private static func packIPv4(_ address: String) -> UInt64? {
        let count = address.utf8.count
        guard count >= 7, count <= 21 else { return nil }
        if let packed = address.utf8.withContiguousStorageIfAvailable(packedIPv4) { return packed }
        var address = address
        return address.withUTF8(packedIPv4)
    }

    private static func packedIPv4(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        var index = 0
        var ip: UInt64 = 0
        for octet in 0..<4 {
            if octet > 0 {
                guard index < bytes.count, bytes[index] == 0x2E else { return nil }  // "."
                index += 1
            }
            guard let value = number(bytes, &index, limit: 255) else { return nil }
            ip = ip << 8 | value
        }
        if index == bytes.count { return ip }
        guard bytes[index] == 0x3A else { return nil }  // ":"
        index += 1
        guard let port = number(bytes, &index, limit: 65535), index == bytes.count else { return nil }
        return ip | port << 32 | hasPort
    }

    /// A decimal number without leading zeros at `index`, at most `limit`.
    private static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int, limit: UInt64) -> UInt64? {
        let start = index
        var value: UInt64 = 0
        // Byte literals rather than `UInt8(ascii:)`: this runs per event, also in debug builds.
        while index < bytes.count, index - start < 6, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            value = value * 10 + UInt64(bytes[index] &- 0x30)
            index += 1
        }
        let digits = index - start
        guard digits > 0, value <= limit, !(digits > 1 && bytes[start] == 0x30) else { return nil }
        return value
    }
}
