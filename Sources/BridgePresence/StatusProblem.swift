/// Why a broker status message could not be used: counted by `kind`, logged with `message`.
public struct StatusProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable, snake_case names, fit for counter labels.
    public enum Kind: String, Sendable, CaseIterable {
        /// The payload is empty (or only line breaks).
        case empty
        /// The payload is not valid UTF-8.
        case invalidUTF8 = "invalid_utf8"
        /// A `New client connected from …` line whose parts could not be read.
        case malformedConnectLine = "malformed_connect_line"
        /// A `Client <id> …` line with an ending that is not a known connection message.
        case unrecognisedClientLine = "unrecognised_client_line"
        /// An EMQX event payload that is not a JSON object.
        case malformedEMQXEvent = "malformed_emqx_event"
        /// An EMQX event without a required member (`clientid`, `connected_at`) or with one of the wrong type.
        case missingEMQXField = "missing_emqx_field"
        /// A persisted status event (`StatusEvent(json:)`) that is not valid.
        case malformedStatusEvent = "malformed_status_event"
    }

    public let kind: Kind
    /// A human-readable explanation, without the payload (which may be large or hostile).
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
