import BridgeCore

/// The durable pull consumers of the inflow rules: one per rule, on every subject of the rule's queue
/// topic (`<prefix>.<topic>.>`; a 2.9 server takes one filter subject per consumer, so tags are not
/// filtered by the server). Each consumer hands the hub only the messages its rule's tags take; the first
/// rule of a topic also hands over messages no rule of the topic takes, so that the hub refuses them
/// (`tag_not_accepted`) and they reach the DLQ instead of waiting forever. Any other message is acked and
/// left to the consumer of the rule that takes it, so each message is published once.
public struct InflowConsumers: Sendable {
    public struct Consumer: Sendable, Equatable {
        public var ruleId: String
        public var queueTopic: String
        /// The durable consumer's name: the same for every bridge with this rule, so bridges share it.
        public var durableName: String
        public var streamName: String
        public var filterSubject: String
        /// Whether this consumer also takes the topic's messages no rule takes.
        public var takesUnclaimed: Bool
        var tags: TagExpression
    }

    public let consumers: [Consumer]
    /// Every rule's tags, by queue topic, to tell claimed messages from unclaimed ones.
    let tagsByTopic: [String: [TagExpression]]

    public init(rules: [InflowRule], subjects: JetStreamSubjects) throws(JetStreamMappingError) {
        var seenTopics: Set<String> = []
        var tagsByTopic: [String: [TagExpression]] = [:]
        var consumers: [Consumer] = []
        for rule in rules {
            tagsByTopic[rule.queueTopic, default: []].append(rule.tags)
            consumers.append(Consumer(
                ruleId: rule.id, queueTopic: rule.queueTopic, durableName: Self.durableName(ruleId: rule.id),
                streamName: try subjects.streamName(topic: rule.queueTopic), filterSubject: try subjects.streamSubjects(topic: rule.queueTopic),
                takesUnclaimed: seenTopics.insert(rule.queueTopic).inserted, tags: rule.tags))
        }
        self.consumers = consumers
        self.tagsByTopic = tagsByTopic
    }

    /// Whether consumer `index` hands a message of its topic with `tag` to the hub (false: ack and skip).
    public func takes(_ index: Int, tag: String?) -> Bool {
        let consumer = consumers[index]
        if consumer.tags.accepts(tag) { return true }
        guard consumer.takesUnclaimed else { return false }
        return !(tagsByTopic[consumer.queueTopic] ?? []).contains { $0.accepts(tag) }
    }

    /// `mqbridge_` and the rule id with every character outside `A-Z a-z 0-9 - _` as `_`: a valid durable
    /// name (no `.`, `*`, `>` or whitespace), the same on every bridge.
    public static func durableName(ruleId: String) -> String {
        "mqbridge_" + String(ruleId.unicodeScalars.map { scalar -> Character in
            let isWordCharacter = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_")
            return isWordCharacter ? Character(scalar) : "_"
        })
    }
}
