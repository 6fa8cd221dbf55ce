/// Why a message cannot be translated. `reason` is stable (used for counters and error codes);
/// `message` tells the sender what to fix.
public struct TranslationError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable, CaseIterable {
        case invalidTopic = "invalid_topic"
        case bodyTooLarge = "body_too_large"
        case userPropertiesTooLarge = "user_properties_too_large"
        case noInflowRule = "no_inflow_rule"
        case tagNotAccepted = "tag_not_accepted"
        case invalidSubTopic = "invalid_sub_topic"
        case invalidRealTopic = "invalid_real_topic"
        case invalidQoS = "invalid_qos"
        case invalidRetain = "invalid_retain"
        case invalidUserProperties = "invalid_user_properties"
        case invalidExpiryInterval = "invalid_expiry_interval"
    }

    public let reason: Reason
    public let message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(reason.rawValue): \(message)" }
}
