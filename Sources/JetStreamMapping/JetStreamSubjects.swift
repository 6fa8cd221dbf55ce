/// Subjects and stream names of the queue side on JetStream (SPEC §10).
///
/// - A message is published on `<prefix>.<topic>.<tag>`: the tag escaped by ``SubjectToken``, `_` without a
///   tag. The topic is used as it is and must be one subject token that is also usable in a stream name
///   (see ``topicProblem(_:)``); mapping files only allow such topics.
/// - One stream per queue topic, named `<prefix>_<topic>` with every `.` of the prefix written `_` (stream
///   names cannot hold `.`), holding the subjects `<prefix>.<topic>.>`.
/// - Dead letters of a topic go to `<prefix>.DLQ.<topic>`, all in one stream `<prefix>_DLQ` holding
///   `<prefix>.DLQ.>`. A queue topic named `DLQ` would share both, so it is refused.
///
/// Within one prefix, topic ↔ stream name is one-to-one. Prefixes `a.b` and `a_b` give the same stream
/// names; two bridges on one NATS account must not use two such prefixes.
public struct JetStreamSubjects: Sendable, Equatable {
    /// The dot-separated prefix of every subject, e.g. `mq`.
    public let prefix: String
    /// The prefix as it starts a stream name: its dots written `_`.
    public let streamPrefix: String
    private let prefixTokenCount: Int

    /// The token after the prefix that marks dead-letter subjects, and the suffix of the dead-letter stream.
    public static let deadLetterToken = "DLQ"
    /// The longest stream name JetStream accepts.
    public static let maxStreamNameLength = 255

    /// Throws `invalidPrefix` unless `prefix` is one or more dot-separated valid subject tokens (see
    /// ``SubjectToken/isValidToken(_:)``) with no `/` or `\` (they would end up in stream names).
    public init(prefix: String) throws(JetStreamMappingError) {
        let tokens = prefix.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            .map { Substring(String(decoding: $0, as: UTF8.self)) }
        guard !prefix.isEmpty, tokens.allSatisfy({ SubjectToken.isValidToken($0) && !$0.contains("/") && !$0.contains("\\") }) else {
            throw JetStreamMappingError(
                .invalidPrefix,
                "subject prefix '\(prefix)' must be dot-separated tokens of printable ASCII without '*', '>', '/' or '\\', none empty")
        }
        self.prefix = prefix
        self.streamPrefix = tokens.joined(separator: "_")
        self.prefixTokenCount = tokens.count
    }

    /// Why `topic` cannot be a queue topic on JetStream, or nil when it can: it must be one valid subject
    /// token, without `/` or `\` (path separators are refused in stream names), and not `DLQ`.
    public static func topicProblem(_ topic: String) -> String? {
        if !SubjectToken.isValidToken(Substring(topic)) || topic.contains("/") || topic.contains("\\") {
            return "queue topic '\(topic)' must be printable ASCII without '.', '*', '>', '/', '\\' or spaces: "
                + "it becomes one token of the subject <prefix>.<topic>.<tag> and part of the stream name"
        }
        if topic == deadLetterToken {
            return "queue topic '\(topic)' is reserved: <prefix>.DLQ.> holds the dead letters of every topic"
        }
        return nil
    }

    /// `<prefix>.<topic>.<escaped tag>`.
    public func subject(topic: String, tag: String?) throws(JetStreamMappingError) -> String {
        try Self.checkTopic(topic)
        return "\(prefix).\(topic).\(SubjectToken.escape(tag))"
    }

    /// The topic and tag of a subject made by ``subject(topic:tag:)``; nil when it is not under the prefix or
    /// is malformed (``parseSubject(_:)`` says why).
    public func parse(_ subject: String) -> (topic: String, tag: String?)? {
        try? parseSubject(subject)
    }

    /// ``parse(_:)`` with the reason when it fails: `invalidSubject` when the subject is not
    /// `<prefix>.<topic>.<tag>`, `malformedToken` when the tag token is not an escaped tag.
    public func parseSubject(_ subject: String) throws(JetStreamMappingError) -> (topic: String, tag: String?) {
        // Split on the byte '.', not on `Character`s: a '.' followed by a combining mark is one `Character`.
        let tokens = subject.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        guard tokens.count > prefixTokenCount, tokens[..<prefixTokenCount].joined(separator: ".") == prefix else {
            throw JetStreamMappingError(.invalidSubject, "subject '\(subject)' is not under the prefix '\(prefix)'")
        }
        guard tokens.count == prefixTokenCount + 2 else {
            throw JetStreamMappingError(
                .invalidSubject, "subject '\(subject)' must be \(prefix).<topic>.<tag>: one token each for topic and tag")
        }
        let topic = tokens[prefixTokenCount]
        if let problem = Self.topicProblem(topic) {
            throw JetStreamMappingError(.invalidSubject, "subject '\(subject)': \(problem)")
        }
        return (topic, try SubjectToken.unescape(tokens[prefixTokenCount + 1]))
    }

    /// The subjects of the topic's stream: `<prefix>.<topic>.>`.
    public func streamSubjects(topic: String) throws(JetStreamMappingError) -> String {
        try Self.checkTopic(topic)
        return "\(prefix).\(topic).>"
    }

    /// The topic's stream: `<prefix, dots as _>_<topic>`. Throws `invalidTopic` also when the name would be
    /// longer than JetStream allows.
    public func streamName(topic: String) throws(JetStreamMappingError) -> String {
        try Self.checkTopic(topic)
        let name = "\(streamPrefix)_\(topic)"
        guard name.utf8.count <= Self.maxStreamNameLength else {
            throw JetStreamMappingError(
                .invalidTopic, "stream name '\(name)' is longer than \(Self.maxStreamNameLength) bytes; shorten the prefix or the topic")
        }
        return name
    }

    /// Where the topic's rejected messages go: `<prefix>.DLQ.<topic>`.
    public func dlqSubject(topic: String) throws(JetStreamMappingError) -> String {
        try Self.checkTopic(topic)
        return "\(prefix).\(Self.deadLetterToken).\(topic)"
    }

    /// The one dead-letter stream: `<prefix, dots as _>_DLQ`.
    public var dlqStreamName: String { "\(streamPrefix)_\(Self.deadLetterToken)" }
    /// The subjects of the dead-letter stream: `<prefix>.DLQ.>`.
    public var dlqStreamSubjects: String { "\(prefix).\(Self.deadLetterToken).>" }

    private static func checkTopic(_ topic: String) throws(JetStreamMappingError) {
        if let problem = topicProblem(topic) { throw JetStreamMappingError(.invalidTopic, problem) }
    }
}
