import BridgeCore

extension JetStreamCodec {
    /// The queue-side message of a JetStream message (inflow).
    ///
    /// - topic and tag: from the subject (``JetStreamSubjects/parseSubject(_:)``);
    /// - properties: every header outside the `Nats-` and `Mq-` namespaces (any letter case), under its exact
    ///   name; when a name repeats, the **last** header wins (as a later `Set` of the same header would);
    ///   those named in `Mq-Encoded` are base64-decoded;
    /// - keys: `Mq-Keys` split on single spaces (an empty value means no keys);
    /// - msgId: `Nats-Msg-Id` when present; bornTimestamp: `Mq-Born-Timestamp` when it is a whole number of
    ///   milliseconds from 0, else none.
    ///
    /// Known headers are matched in any letter case, the last one winning. Throws `invalidSubject` or
    /// `malformedToken` for the subject, and `malformedHeader` when `Mq-Encoded` names a header that is
    /// missing or whose value is not base64 of UTF-8 text.
    public func decode(subject: String, headers: [JetStreamHeader], body: [UInt8]) throws(JetStreamMappingError) -> QueueMessage {
        let (topic, tag) = try subjects.parseSubject(subject)
        var message = QueueMessage(topic: topic, tag: tag, body: body)
        var encodedList: String?
        var emptyList: String?
        var keysText: String?
        for header in headers {
            if !JetStreamHeaderName.isReserved(header.name) {
                message.properties[header.name] = header.value
            } else if JetStreamHeaderName.equalIgnoringCase(header.name, JetStreamHeaderName.messageID) {
                message.msgId = header.value
            } else if JetStreamHeaderName.equalIgnoringCase(header.name, JetStreamHeaderName.keys) {
                keysText = header.value
            } else if JetStreamHeaderName.equalIgnoringCase(header.name, JetStreamHeaderName.bornTimestamp) {
                message.bornTimestamp = header.value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
                    ? Int64(header.value) : nil
            } else if JetStreamHeaderName.equalIgnoringCase(header.name, JetStreamHeaderName.encoded) {
                encodedList = header.value
            } else if JetStreamHeaderName.equalIgnoringCase(header.name, JetStreamHeaderName.empty) {
                emptyList = header.value
            }
        }
        var keysEncoded = false
        if let encodedList {
            for item in Self.split(encodedList, on: ",", omittingEmpty: true) {
                let name = String(item.unicodeScalars.filter { $0 != " " && $0 != "\t" })
                if name.isEmpty { continue }
                if JetStreamHeaderName.equalIgnoringCase(name, JetStreamHeaderName.keys) {
                    keysEncoded = true
                    continue
                }
                guard let value = message.properties[name] else {
                    throw JetStreamMappingError(
                        .malformedHeader, "Mq-Encoded names property '\(name)', but the message has no header '\(name)'")
                }
                guard let bytes = Base64.decode(value), let text = Self.utf8Text(bytes) else {
                    throw JetStreamMappingError(
                        .malformedHeader, "header '\(name)' is listed in Mq-Encoded but is not base64 of UTF-8 text")
                }
                message.properties[name] = text
            }
        }
        for item in Self.split(emptyList ?? "", on: ",", omittingEmpty: true) {
            let name = String(item.unicodeScalars.filter { $0 != " " && $0 != "\t" })
            if !name.isEmpty && !JetStreamHeaderName.isReserved(name) { message.properties[name] = "" }
        }
        if let keysText {
            message.keys = keysEncoded ? try Self.decodeKeys(keysText) : Self.split(keysText, on: " ", omittingEmpty: false)
        }
        return message
    }

    /// ``decode(subject:headers:body:)`` of a ``JetStreamMessage``.
    public func decode(_ message: JetStreamMessage) throws(JetStreamMappingError) -> QueueMessage {
        try decode(subject: message.subject, headers: message.headers, body: message.body)
    }

    /// Splits on a scalar, not on a `Character`: a space followed by a combining mark is one `Character`
    /// but still separates two keys. An empty text has no parts.
    static func split(_ text: String, on separator: Unicode.Scalar, omittingEmpty: Bool) -> [String] {
        if text.isEmpty { return [] }
        return text.unicodeScalars.split(separator: separator, omittingEmptySubsequences: omittingEmpty)
            .map { String(String.UnicodeScalarView($0)) }
    }

    /// Keys sent as the base64 of their JSON array (see `encode`).
    static func decodeKeys(_ text: String) throws(JetStreamMappingError) -> [String] {
        let problem = JetStreamMappingError(.malformedHeader, "Mq-Keys is listed in Mq-Encoded but is not base64 of a JSON array of strings")
        guard let bytes = Base64.decode(text), let value = try? JSONValue.parse(bytes: bytes), case .array(let elements) = value else {
            throw problem
        }
        var keys: [String] = []
        for element in elements {
            guard let key = element.stringValue else { throw problem }
            keys.append(key)
        }
        return keys
    }

    static func utf8Text(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.utf8.elementsEqual(bytes) ? text : nil
    }
}
