/// Running totals kept by the router, read for metrics and the progress line.
public struct HubCounters: Sendable, Equatable {
    /// MQTT messages received from workers.
    public var outflowReceived = 0
    /// Queue-side messages produced, per outflow or status rule.
    public var outflowRouted: [String: Int] = [:]
    /// Deliveries acknowledged by consumers.
    public var deliveriesAcked = 0
    /// Queue-side messages that found no consumer to go to.
    public var unrouted = 0
    /// MQTT messages that matched no rule.
    public var unmatched = 0
    /// Deliveries lost because their consumer went away and no group member could take them.
    public var deliveriesDropped = 0
    /// Deliveries handed to another group member after theirs went away.
    public var redelivered = 0
    /// Producer messages accepted and published, per inflow rule.
    public var inflowPublished: [String: Int] = [:]
    /// Refused messages, by reason code, both ways.
    public var rejected: [String: Int] = [:]
    /// Malformed or unexpected frames, by error code.
    public var protocolErrors: [String: Int] = [:]
    /// Peers dropped for silence.
    public var peersTimedOut = 0
    /// Client status events produced from the broker's status messages, by event type.
    public var statusEvents: [String: Int] = [:]
    /// Deliveries kept for durable groups with no member connected (a gauge, filled in by `snapshot`).
    public var heldForDurableGroups = 0
    /// Deliveries kept while the engine named in the mapping file has no worker connected (a gauge).
    public var heldForEngine = 0
    /// Deliveries sent to consumers and not yet acknowledged, plus those queued for them (a gauge).
    public var inFlight = 0
    /// Connected peers (gauges).
    public var workers = 0, consumers = 0, producers = 0, engines = 0
    /// Every connected peer (filled in by `snapshot`).
    public var peers: [PeerSummary] = []
    /// The latest refusals, oldest first (filled in by `snapshot`).
    public var recentRejections: [Rejection] = []
    /// From the hub receiving a message to its consumer's acknowledgement.
    public var deliveryLatency = LatencyHistogram()

    public init() {}
}
