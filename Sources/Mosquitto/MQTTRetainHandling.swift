/// MQTT 5's Retain Handling subscription option: when the broker sends the retained messages that match a
/// filter being subscribed to.
public enum MQTTRetainHandling: Sendable, Hashable {
    /// At every SUBSCRIBE (MQTT 3.1.1's only behaviour).
    case always
    /// Only when the subscription did not exist yet: a client that subscribes again in a session that kept
    /// its subscriptions is not sent them a second time.
    case newSubscriptionOnly
    /// Never.
    case never
}
