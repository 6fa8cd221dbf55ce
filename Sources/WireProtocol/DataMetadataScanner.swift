import BridgeCore

/// A one-pass reader of the metadata of a `DATA` as the bridge and most peers write it: a flat object of the
/// known members with plain values. It builds the message without a JSON tree, and gives up (nil) at anything
/// else — an escape in a string, an unknown or repeated member, a number with a fraction, a value of the wrong
/// type or out of range — so that `Metadata`, reading the whole JSON, decides those cases and reports them.
/// Whatever it returns is what `Metadata` would return for the same bytes.
struct DataMetadataScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The `DATA` these metadata and body make, or nil when the full reader must decide.
    static func decode(metadata: [UInt8], body: [UInt8], form: WireCodec.DataForm) -> WireMessage? {
        metadata.withUnsafeBufferPointer { decode(metadata: $0, body: body, form: form) }
    }

    /// `decode`, reading the metadata where it lies (a record of a `BATCH`).
    static func decode(metadata: UnsafeBufferPointer<UInt8>, body: [UInt8], form: WireCodec.DataForm) -> WireMessage? {
        var scanner = DataMetadataScanner(metadata)
        switch form {
        case .mqtt: return scanner.mqttData(body: body)
        case .queue: return scanner.queueData(body: body)
        }
    }

    // MARK: - The two forms

    private enum MQTTMember: String, CaseIterable {
        case seq, topic, qos, retain, userProperties, contentType, expiry, clientId
    }

    private mutating func mqttData(body: [UInt8]) -> WireMessage? {
        var seq: UInt64?
        var topic: String?
        var qos = QoS.atMostOnce
        var retain = false
        var userProperties: [UserProperty] = []
        var contentType: String?
        var expiry: UInt32?
        var clientId: String?
        var seen: UInt32 = 0
        let complete = members { scanner, name in
            guard let member = scanner.claim(name, in: Self.mqttMembers, seen: &seen) else { return false }
            switch member {
            case .seq:
                guard let value = scanner.wholeNumber(upTo: 1 << 53) else { return false }
                seq = value
            case .topic:
                guard let value = scanner.string() else { return false }
                topic = value
            case .qos:
                if scanner.null() { return true }
                guard let value = scanner.wholeNumber(upTo: 2) else { return false }
                qos = QoS(rawValue: UInt8(value))!
            case .retain:
                if scanner.null() { return true }
                guard let value = scanner.bool() else { return false }
                retain = value
            case .userProperties:
                if scanner.null() { return true }
                guard let value = scanner.userPropertyList() else { return false }
                userProperties = value
            case .contentType:
                return scanner.nullableString(&contentType)
            case .expiry:
                if scanner.null() { return true }
                guard let value = scanner.wholeNumber(upTo: UInt64(UInt32.max)) else { return false }
                expiry = UInt32(value)
            case .clientId:
                return scanner.nullableString(&clientId)
            }
            return true
        }
        guard complete, let seq, let topic else { return nil }
        return .mqttData(
            seq: seq,
            MQTTMessage(
                topic: topic, payload: body, qos: qos, retain: retain, userProperties: userProperties, contentType: contentType,
                messageExpiryInterval: expiry),
            clientId: clientId)
    }

    private enum QueueMember: String, CaseIterable {
        case seq, topic, tag, keys, properties, msgId, bornTimestamp
    }

    private mutating func queueData(body: [UInt8]) -> WireMessage? {
        var seq: UInt64?
        var topic: String?
        var tag: String?
        var keys: [String] = []
        var properties: [String: String] = [:]
        var msgId: String?
        var born: Int64?
        var seen: UInt32 = 0
        let complete = members { scanner, name in
            guard let member = scanner.claim(name, in: Self.queueMembers, seen: &seen) else { return false }
            switch member {
            case .seq:
                guard let value = scanner.wholeNumber(upTo: 1 << 53) else { return false }
                seq = value
            case .topic:
                guard let value = scanner.string() else { return false }
                topic = value
            case .tag:
                return scanner.nullableString(&tag)
            case .keys:
                if scanner.null() { return true }
                guard let value = scanner.stringList() else { return false }
                keys = value
            case .properties:
                if scanner.null() { return true }
                guard let value = scanner.stringObject() else { return false }
                properties = value
            case .msgId:
                return scanner.nullableString(&msgId)
            case .bornTimestamp:
                if scanner.null() { return true }
                guard let value = scanner.wholeNumber(upTo: 1 << 53) else { return false }
                born = Int64(value)
            }
            return true
        }
        guard complete, let seq, let topic else { return nil }
        return .queueData(
            seq: seq,
            QueueMessage(topic: topic, tag: tag, keys: keys, properties: properties, body: body, msgId: msgId, bornTimestamp: born))
    }

    /// The member `name` (a range of the metadata) names, unless it is unknown or was already read (both left
    /// to the full reader). The names are compared in place: no array is made and nothing is hashed.
    private func claim<Member>(_ name: Range<Int>, in table: [(name: [UInt8], member: Member)], seen: inout UInt32) -> Member? {
        for (index, entry) in table.enumerated() where matches(name, entry.name) {
            guard seen & (1 << index) == 0 else { return nil }
            seen |= 1 << index
            return entry.member
        }
        return nil
    }

    /// Whether the bytes in `range` are `expected`.
    private func matches(_ range: Range<Int>, _ expected: [UInt8]) -> Bool {
        guard range.count == expected.count else { return false }
        var offset = 0
        for index in range {
            guard bytes[index] == expected[offset] else { return false }
            offset += 1
        }
        return true
    }

    private static let mqttMembers = table(MQTTMember.self)
    private static let queueMembers = table(QueueMember.self)

    private static func table<Member: RawRepresentable & CaseIterable>(_: Member.Type) -> [(name: [UInt8], member: Member)]
    where Member.RawValue == String {
        Member.allCases.map { (Array($0.rawValue.utf8), $0) }
    }

    // MARK: - Syntax

    /// Walks a whole object (and nothing after it but white space), handing each member's name to `value`,
    /// which reads the value; false when anything is not as expected.
    private mutating func members(_ value: (inout DataMetadataScanner, Range<Int>) -> Bool) -> Bool {
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return false }
        skipSpace()
        if !take(UInt8(ascii: "}")) {
            while true {
                skipSpace()
                guard let name = plainStringRange() else { return false }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return false }
                skipSpace()
                guard value(&self, name) else { return false }
                skipSpace()
                if take(UInt8(ascii: ",")) { continue }
                guard take(UInt8(ascii: "}")) else { return false }
                break
            }
        }
        skipSpace()
        return position == bytes.count
    }

    private mutating func skipSpace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    private mutating func null() -> Bool {
        guard bytes.count - position >= 4, bytes[position] == UInt8(ascii: "n"), bytes[position + 1] == UInt8(ascii: "u"),
            bytes[position + 2] == UInt8(ascii: "l"), bytes[position + 3] == UInt8(ascii: "l")
        else { return false }
        position += 4
        return true
    }

    private mutating func bool() -> Bool? {
        if bytes.count - position >= 4, bytes[position] == UInt8(ascii: "t"), bytes[position + 1] == UInt8(ascii: "r"),
            bytes[position + 2] == UInt8(ascii: "u"), bytes[position + 3] == UInt8(ascii: "e")
        {
            position += 4
            return true
        }
        if bytes.count - position >= 5, bytes[position] == UInt8(ascii: "f"), bytes[position + 1] == UInt8(ascii: "a"),
            bytes[position + 2] == UInt8(ascii: "l"), bytes[position + 3] == UInt8(ascii: "s"), bytes[position + 4] == UInt8(ascii: "e")
        {
            position += 5
            return false
        }
        return nil
    }

    /// Digits only, no leading zero, at most `limit`; anything else (a sign, a fraction, an exponent) is left
    /// to the full reader.
    private mutating func wholeNumber(upTo limit: UInt64) -> UInt64? {
        let start = position
        var value: UInt64 = 0
        while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
            guard position - start < 16 else { return nil }
            value = value * 10 + UInt64(bytes[position] - UInt8(ascii: "0"))
            position += 1
        }
        let digits = position - start
        guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0"), value <= limit else { return nil }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") || bytes[position] | 0x20 == UInt8(ascii: "e") { return nil }
        return value
    }

    /// A string, or `null` for an absent one (`value` left as it was).
    private mutating func nullableString(_ value: inout String?) -> Bool {
        if null() { return true }
        guard let text = string() else { return false }
        value = text
        return true
    }

    private mutating func string() -> String? {
        guard let range = plainStringRange() else { return nil }
        let run = UnsafeBufferPointer(rebasing: bytes[range])
        var ascii = true
        for byte in run where byte >= 0x80 {
            ascii = false
            break
        }
        if ascii { return String(decoding: run, as: UTF8.self) }
        return String(validating: run, as: UTF8.self)
    }

    /// Where a string without escapes or control characters is (the quotes excluded); nil for any other.
    private mutating func plainStringRange() -> Range<Int>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return start..<(position - 1)
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            position += 1
        }
        return nil
    }

    private mutating func stringList() -> [String]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var list: [String] = []
        skipSpace()
        if take(UInt8(ascii: "]")) { return list }
        while true {
            skipSpace()
            guard let item = string() else { return nil }
            list.append(item)
            skipSpace()
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "]")) ? list : nil
        }
    }

    /// An object of string values, as `properties`; a repeated name is left to the full reader.
    private mutating func stringObject() -> [String: String]? {
        guard take(UInt8(ascii: "{")) else { return nil }
        // Room for the usual handful of properties at once, instead of growing through 1, 2, 4 and 8.
        var object = [String: String](minimumCapacity: 8)
        skipSpace()
        if take(UInt8(ascii: "}")) { return object }
        while true {
            skipSpace()
            guard let name = string() else { return nil }
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            guard let value = string(), object.updateValue(value, forKey: name) == nil else { return nil }
            skipSpace()
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "}")) ? object : nil
        }
    }

    /// `[{"key":…,"value":…},…]`, each object with exactly those two members.
    private mutating func userPropertyList() -> [UserProperty]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var list: [UserProperty] = []
        skipSpace()
        if take(UInt8(ascii: "]")) { return list }
        while true {
            skipSpace()
            guard take(UInt8(ascii: "{")) else { return nil }
            var key: String?
            var value: String?
            for _ in 0..<2 {
                skipSpace()
                guard let name = plainStringRange() else { return nil }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                guard let text = string() else { return nil }
                if matches(name, Self.keyName), key == nil {
                    key = text
                } else if matches(name, Self.valueName), value == nil {
                    value = text
                } else {
                    return nil
                }
                skipSpace()
                if key == nil || value == nil { guard take(UInt8(ascii: ",")) else { return nil } }
            }
            skipSpace()
            guard take(UInt8(ascii: "}")), let key, let value else { return nil }
            list.append(UserProperty(key: key, value: value))
            skipSpace()
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "]")) ? list : nil
        }
    }

    private static let keyName: [UInt8] = Array("key".utf8)
    private static let valueName: [UInt8] = Array("value".utf8)
}
