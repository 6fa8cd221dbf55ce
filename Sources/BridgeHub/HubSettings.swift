/// Tunables of the router.
public struct HubSettings: Sendable, Equatable {
    /// How often peers must show life; silent for three intervals means gone.
    public var heartbeatMs: Int64
    /// Inflow messages the hub holds while no MQTT worker can take them; past this it stops reading
    /// from producers.
    public var inflowBacklogLimit: Int
    /// Most keys remembered per group for sticky per-key routing.
    public var maxStickyKeys: Int
    /// The broker's client status topics MQTT workers subscribe to (empty: status is not read).
    public var statusSubscriptions: [String]
    /// Consumer groups whose messages are kept while none of their members is connected (`queue.groups`
    /// and the groups of `queue.durable`).
    public var durableGroups: Set<String>
    /// Durable subscriptions declared in the mapping file (`queue.durable`): registered from the start, so
    /// their messages are kept before any member has connected.
    public var declaredDurable: [DurableSubscription]
    /// How long a producer's message may wait for an MQTT worker (none connected, or every window full)
    /// before the hub gives up on it and answers `ERROR broker_unavailable`; it is then never published.
    public var inflowDeadlineMs: Int64
    /// The mapping file names a queue-side engine (`jetstream:`): every routed message goes to an engine
    /// worker, and is held while none is connected instead of being counted as unrouted.
    public var engineExpected: Bool
    /// Largest message frame a peer may send to the hub's sockets (`hub.maxMessageBytes`); ZeroMQ
    /// disconnects a peer that sends a bigger one before any of it reaches the router. Nil: no cap.
    public var maxMessageBytes: Int?

    public init(heartbeatMs: Int64 = 1_000, inflowBacklogLimit: Int = 10_000, maxStickyKeys: Int = 1_000_000,
                statusSubscriptions: [String] = [], durableGroups: Set<String> = [], engineExpected: Bool = false,
                inflowDeadlineMs: Int64 = 3_000, declaredDurable: [DurableSubscription] = [],
                maxMessageBytes: Int? = nil) {
        self.maxMessageBytes = maxMessageBytes
        self.heartbeatMs = heartbeatMs
        self.inflowBacklogLimit = max(1, inflowBacklogLimit)
        self.maxStickyKeys = maxStickyKeys
        self.statusSubscriptions = statusSubscriptions
        self.declaredDurable = declaredDurable
        self.durableGroups = durableGroups.union(declaredDurable.map(\.group))
        self.engineExpected = engineExpected
        self.inflowDeadlineMs = max(1, inflowDeadlineMs)
    }
}
