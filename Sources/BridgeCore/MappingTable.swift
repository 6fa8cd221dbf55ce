/// The compiled rules of a mapping file, indexed for per-message lookups. Immutable and `Sendable`:
/// a reload builds a new table and swaps it in whole.
public struct MappingTable: Sendable {
    public let outflowRules: [OutflowRule]
    public let inflowRules: [InflowRule]
    public let statusRules: [StatusRule]
    public let limits: MessageLimits

    let outflowIndex: TopicFilterIndex
    let outflowPlan: OutflowPlan
    let inflowIndex: InflowIndex
    let statusByGroupId: [String: [Int]]

    /// Builds the indexes. The rules are expected to be valid (the config loader checks them).
    public init(
        outflow: [OutflowRule] = [],
        inflow: [InflowRule] = [],
        status: [StatusRule] = [],
        limits: MessageLimits = MessageLimits()
    ) {
        self.outflowRules = outflow
        self.inflowRules = inflow
        self.statusRules = status
        self.limits = limits
        var index = TopicFilterIndex()
        for (position, rule) in outflow.enumerated() {
            index.insert(rule.filter, value: position)
        }
        self.outflowIndex = index
        self.outflowPlan = OutflowPlan(outflow)
        self.inflowIndex = InflowIndex(inflow)
        self.statusByGroupId = Dictionary(grouping: status.indices, by: { status[$0].groupId })
    }

    /// Every distinct outflow filter, for the MQTT subscriptions.
    public var outflowFilters: [String] {
        var seen = Set<String>()
        return outflowRules.map(\.filter.text).filter { seen.insert($0).inserted }
    }

    /// Every distinct inflow parent topic.
    public var inflowParents: Set<String> {
        Set(inflowRules.map(\.mqttParent))
    }
}
