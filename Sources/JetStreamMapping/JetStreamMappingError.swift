/// Why a queue-side message and a JetStream message cannot be mapped onto each other. `reason` is stable
/// (for counters and the `Mq-Error` code); `message` says what is wrong and what to fix.
public struct JetStreamMappingError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable, CaseIterable {
        /// The subject prefix is not one or more valid subject tokens.
        case invalidPrefix = "invalid_prefix"
        /// A queue topic that cannot be one subject token and part of a stream name.
        case invalidTopic = "invalid_topic"
        /// A property whose name cannot be a header name, or is one of the bridge's own header names.
        case invalidPropertyName = "invalid_property_name"
        /// A message ID that cannot be a `Nats-Msg-Id` value.
        case invalidMessageID = "invalid_message_id"
        /// A subject outside the prefix, or not of the form `<prefix>.<topic>.<tag>`.
        case invalidSubject = "invalid_subject"
        /// A subject token that is not the output of ``SubjectToken/escape(_:)``.
        case malformedToken = "malformed_token"
        /// A header the bridge writes (`Mq-Encoded` and the values it names) that does not decode.
        case malformedHeader = "malformed_header"
    }

    public let reason: Reason
    public let message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(reason.rawValue): \(message)" }
}
