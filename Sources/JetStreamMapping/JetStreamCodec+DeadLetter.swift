extension JetStreamCodec {
    /// The dead letter of a rejected inflow message: published on `<prefix>.DLQ.<topic>` with the original
    /// headers (any earlier `Mq-Error` and `Mq-Subject` replaced), `Mq-Subject` = the original subject (it
    /// holds the tag) and `Mq-Error` = `<code>: <message>` on one line, and the original data.
    ///
    /// `topic` is the topic of the stream the message came from: the subject itself may be what was wrong.
    public func deadLetter(
        of original: JetStreamMessage, topic: String, code: String, message: String
    ) throws(JetStreamMappingError) -> JetStreamMessage {
        let subject = try subjects.dlqSubject(topic: topic)
        return JetStreamMessage(
            subject: subject,
            headers: Self.deadLetterHeaders(original.headers, subject: original.subject, code: code, message: message),
            body: original.body)
    }

    /// The headers of a dead letter: `headers` without earlier `Mq-Error`/`Mq-Subject` headers, then
    /// `Mq-Subject: <subject>` and `Mq-Error: <code>: <message>`.
    public static func deadLetterHeaders(
        _ headers: [JetStreamHeader], subject: String, code: String, message: String
    ) -> [JetStreamHeader] {
        var result = headers.filter {
            !JetStreamHeaderName.equalIgnoringCase($0.name, JetStreamHeaderName.error)
                && !JetStreamHeaderName.equalIgnoringCase($0.name, JetStreamHeaderName.subject)
        }
        result.append(JetStreamHeader(JetStreamHeaderName.subject, oneLine(subject)))
        result.append(JetStreamHeader(JetStreamHeaderName.error, oneLine("\(oneLine(code)): \(oneLine(message))")))
        return result
    }

    /// `text` as one header value: every control character (CR, LF, NUL, tab, …) becomes a space, runs of
    /// spaces become one, and spaces at either end are dropped.
    static func oneLine(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control || scalar.properties.isWhitespace {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(" ")
                pendingSpace = false
            }
            out.append(scalar)
        }
        return String(out)
    }
}
