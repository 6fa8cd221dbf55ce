/// Which subscriptions the MQTT worker makes after (re)connecting to the broker.
///
/// A broker that kept the session (`sessionPresent`) normally kept its subscriptions too, but subscribing
/// again is what keeps the bridge from depending on that:
/// - MQTT 5: every subscription asks for retained messages only when it is new (Retain Handling 1), so
///   subscribing again costs nothing and heals a session that lost a subscription;
/// - a shared subscription (`$share/<group>/…`) never carries retained messages, and Mosquitto 2.0 does not
///   restore shared subscriptions from its persistence file: after a broker restart the session is
///   "present" without them, and a bridge that did not subscribe again would receive nothing;
/// - MQTT 3.1.1 has no Retain Handling and the broker sends the retained messages at every SUBSCRIBE, so a
///   plain filter this run already subscribed to in a session the broker kept is left alone.
public enum SubscriptionRenewal {
    /// The filters of `wanted` to subscribe to now, in their order.
    /// - Parameters:
    ///   - keptBySession: filters subscribed to earlier in this run, when the broker says it kept the session
    ///     (empty otherwise).
    ///   - isV5: the connection speaks MQTT 5.
    ///   - isShared: whether a filter is subscribed through `$share/<group>/`.
    public static func filters(_ wanted: [String], keptBySession: Set<String>, isV5: Bool, isShared: (String) -> Bool) -> [String] {
        wanted.filter { isV5 || isShared($0) || !keptBySession.contains($0) }
    }
}
