/// One NATS message header line, `name: value`. A message's headers are an ordered list in which a name may
/// repeat.
public struct JetStreamHeader: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public var description: String { "\(name): \(value)" }
}

/// The header names the bridge writes and reads. Names starting with `Nats-` or `Mq-` (in any letter case)
/// belong to NATS and to the bridge; they are never user properties.
public enum JetStreamHeaderName {
    /// The message ID; JetStream stores a resend inside the duplicate window once.
    public static let messageID = "Nats-Msg-Id"
    /// The message keys joined by one space (RocketMQ's `KEYS` convention).
    public static let keys = "Mq-Keys"
    /// Milliseconds since the epoch when the bridge created the message.
    public static let bornTimestamp = "Mq-Born-Timestamp"
    /// Comma-separated names of the property headers whose values are base64 (UTF-8) because they hold CR,
    /// LF or NUL, or start or end with a space or tab.
    public static let encoded = "Mq-Encoded"
    /// On a dead letter: `<code>: <message>`, one line.
    /// The properties whose value is empty, comma-separated (they have no header of their own).
    public static let empty = "Mq-Empty"
    public static let error = "Mq-Error"
    /// On a dead letter: the subject the message had before it was rejected (it holds the tag).
    public static let subject = "Mq-Subject"

    /// Whether `name` is in the `Nats-` or `Mq-` namespace.
    public static func isReserved(_ name: String) -> Bool {
        hasPrefixIgnoringCase(name, "nats-") || hasPrefixIgnoringCase(name, "mq-")
    }

    /// Why `name` cannot be a property header, or nil when it can. Header lines are `name: value`, and
    /// `Mq-Encoded` lists names separated by commas, so a name must be non-empty and hold no `:`, `,`,
    /// whitespace or control characters; and it must not be a reserved name.
    public static func propertyNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "a property name cannot be empty as a header name" }
        // Printable ASCII other than ':' and ',' (nearly every name, checked for every message) needs no look at
        // Unicode's properties.
        let plain = name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") && $0 != UInt8(ascii: ",") }
        if !plain, let bad = name.unicodeScalars.first(where: { $0 == ":" || $0 == "," || $0.properties.isWhitespace || $0.properties.generalCategory == .control }) {
            return "property name '\(printable(name))' cannot be a header name: it holds \(describe(bad))"
        }
        if isReserved(name) {
            return "property name '\(name)' is in the Nats-/Mq- header namespace of NATS and the bridge"
        }
        return nil
    }

    /// Whether a header value must be sent base64-encoded: NATS headers are line-based (like HTTP), and
    /// readers trim spaces and tabs around values.
    static func valueNeedsEncoding(_ value: String) -> Bool {
        if value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) { return true }
        guard let first = value.utf8.first, let last = value.utf8.last else { return false }
        return first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09
    }

    static func equalIgnoringCase(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && hasPrefixIgnoringCase(a, b)
    }

    private static func hasPrefixIgnoringCase(_ text: String, _ prefix: String) -> Bool {
        var iterator = text.utf8.makeIterator()
        for expected in prefix.utf8 {
            guard let byte = iterator.next(), lowercased(byte) == lowercased(expected) else { return false }
        }
        return true
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    private static func describe(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case ":", ",": return "'\(scalar)'"
        default: return "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
        }
    }

    /// `text` with control characters shown as `\u{…}`, for error messages that must stay on one line.
    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
