import BridgeCore

/// Maps queue-side messages (SPEC §3) to JetStream messages and back (SPEC §10).
///
/// Headers of a message, in this order:
/// 1. `Nats-Msg-Id`: the message ID, when it has one;
/// 2. one header per user property, under its exact name, names in UTF-8 byte order;
/// 3. `Mq-Keys`: the keys joined by one space, when there are keys;
/// 4. `Mq-Born-Timestamp`: milliseconds since the epoch, when set;
/// 5. `Mq-Encoded`: the names of the properties sent base64-encoded, comma-separated, when there are any;
/// 6. `Mq-Empty`: the names of the properties whose value is empty, comma-separated, when there are any.
///
/// A header value cannot hold CR, LF or NUL, and readers trim spaces and tabs around it; a property value
/// with any of these is sent as base64 of its UTF-8 and named in `Mq-Encoded`, so decoding restores it
/// exactly. An empty value has no header of its own (nats.c misreads headers with empty values): its name
/// is listed in `Mq-Empty`. Keys that cannot be joined by spaces (empty, or holding whitespace) are sent as
/// the base64 of their JSON array, with `Mq-Keys` named in `Mq-Encoded`.
public struct JetStreamCodec: Sendable {
    public let subjects: JetStreamSubjects

    public init(subjects: JetStreamSubjects) {
        self.subjects = subjects
    }

    /// The subject, headers and data for `message`. Throws, never traps, for what cannot be carried:
    /// `invalidTopic`, `invalidPropertyName` (empty, holding `:`, `,`, whitespace or control characters, or in
    /// the `Nats-`/`Mq-` namespace) and `invalidMessageID` (empty, or holding CR, LF, NUL or surrounding blanks).
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
        var empty: [String] = []
        let names = message.properties.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for name in names {
            if let problem = JetStreamHeaderName.propertyNameProblem(name) {
                throw JetStreamMappingError(.invalidPropertyName, problem)
            }
            let value = message.properties[name] ?? ""
            if value.isEmpty {
                empty.append(name)
            } else if JetStreamHeaderName.valueNeedsEncoding(value) {
                headers.append(JetStreamHeader(name, Base64.encode(Array(value.utf8))))
                encoded.append(name)
            } else {
                headers.append(JetStreamHeader(name, value))
            }
        }
        if message.keys.allSatisfy(Self.isValidKey) {
            if !message.keys.isEmpty { headers.append(JetStreamHeader(JetStreamHeaderName.keys, message.keys.joined(separator: " "))) }
        } else {
            // A client ID may hold a space: such keys travel as a JSON array, base64-encoded.
            var writer = JSONWriter()
            writer.beginArray()
            for key in message.keys { writer.string(key) }
            writer.endArray()
            headers.append(JetStreamHeader(JetStreamHeaderName.keys, Base64.encode(writer.bytes)))
            encoded.append(JetStreamHeaderName.keys)
        }
        if let born = message.bornTimestamp {
            headers.append(JetStreamHeader(JetStreamHeaderName.bornTimestamp, String(born)))
        }
        if !encoded.isEmpty {
            headers.append(JetStreamHeader(JetStreamHeaderName.encoded, encoded.joined(separator: ",")))
        }
        if !empty.isEmpty {
            headers.append(JetStreamHeader(JetStreamHeaderName.empty, empty.joined(separator: ",")))
        }
        return JetStreamMessage(subject: subject, headers: headers, body: message.body)
    }

    /// A key can be carried when it is non-empty and holds no whitespace or control characters.
    public static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && !key.unicodeScalars.contains { $0.properties.isWhitespace || $0.properties.generalCategory == .control }
    }
}
