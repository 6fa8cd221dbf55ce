import BridgeCore

/// Maps queue-side messages (SPEC §3) to JetStream messages and back (SPEC §10).
///
/// Headers of a message, in this order:
/// 1. `Nats-Msg-Id`: the message ID, when it has one;
/// 2. one header per user property, under its exact name, names in UTF-8 byte order;
/// 3. `Mq-Keys`: the keys joined by one space, when there are keys;
/// 4. `Mq-Born-Timestamp`: milliseconds since the epoch, when set;
/// 5. `Mq-Encoded`: the names of the properties sent base64-encoded, comma-separated, when there are any.
///
/// A header value cannot hold CR, LF or NUL, and readers trim spaces and tabs around it; a property value
/// with any of these is sent as base64 of its UTF-8 and named in `Mq-Encoded`, so decoding restores it
/// exactly.
public struct JetStreamCodec: Sendable {
    public let subjects: JetStreamSubjects

    public init(subjects: JetStreamSubjects) {
        self.subjects = subjects
    }

    /// The subject, headers and data for `message`. Throws, never traps, for what cannot be carried:
    /// `invalidTopic`, `invalidPropertyName` (empty, holding `:`, `,`, whitespace or control characters, or in
    /// the `Nats-`/`Mq-` namespace), `invalidKey` (empty or holding whitespace or control characters: keys
    /// are separated by spaces) and `invalidMessageID` (empty, or holding CR, LF, NUL or surrounding blanks).
    public func encode(_ message: QueueMessage) throws(JetStreamMappingError) -> JetStreamMessage {
        let subject = try subjects.subject(topic: message.topic, tag: message.tag)
        var headers: [JetStreamHeader] = []
        headers.reserveCapacity(message.properties.count + 4)
        if let msgId = message.msgId {
            if msgId.isEmpty || JetStreamHeaderName.valueNeedsEncoding(msgId) {
                throw JetStreamMappingError(
                    .invalidMessageID,
                    "message ID '\(JetStreamHeaderName.printable(msgId))' cannot be a Nats-Msg-Id value: it is empty or holds CR, LF, NUL or surrounding blanks")
            }
            headers.append(JetStreamHeader(JetStreamHeaderName.messageID, msgId))
        }
        var encoded: [String] = []
        let names = message.properties.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for name in names {
            if let problem = JetStreamHeaderName.propertyNameProblem(name) {
                throw JetStreamMappingError(.invalidPropertyName, problem)
            }
            let value = message.properties[name] ?? ""
            if JetStreamHeaderName.valueNeedsEncoding(value) {
                headers.append(JetStreamHeader(name, Base64.encode(Array(value.utf8))))
                encoded.append(name)
            } else {
                headers.append(JetStreamHeader(name, value))
            }
        }
        if !message.keys.isEmpty {
            for key in message.keys where !Self.isValidKey(key) {
                throw JetStreamMappingError(
                    .invalidKey,
                    "key '\(JetStreamHeaderName.printable(key))' cannot be carried in Mq-Keys: keys are joined by spaces, so a key must be non-empty without whitespace or control characters")
            }
            headers.append(JetStreamHeader(JetStreamHeaderName.keys, message.keys.joined(separator: " ")))
        }
        if let born = message.bornTimestamp {
            headers.append(JetStreamHeader(JetStreamHeaderName.bornTimestamp, String(born)))
        }
        if !encoded.isEmpty {
            headers.append(JetStreamHeader(JetStreamHeaderName.encoded, encoded.joined(separator: ",")))
        }
        return JetStreamMessage(subject: subject, headers: headers, body: message.body)
    }

    /// A key can be carried when it is non-empty and holds no whitespace or control characters.
    public static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && !key.unicodeScalars.contains { $0.properties.isWhitespace || $0.properties.generalCategory == .control }
    }
}
