import BridgeCore
import WireProtocol

/// A consumer group named in `queue.groups` that has subscribed once: its messages are kept while no
/// member is connected, and handed to the first member that comes back.
public struct DurableSubscription: Sendable, Hashable, Codable {
    public var topic: String
    public var group: String
    /// The tag expression of the member that registered it.
    public var tags: String

    public init(topic: String, group: String, tags: String) {
        self.topic = topic
        self.group = group
        self.tags = tags
    }
}

extension HubRouter {
    /// The durable subscriptions known, for the I/O shell to keep on disk.
    public var durableSubscriptions: [DurableSubscription] {
        durable.map { DurableSubscription(topic: $0.key.topic, group: $0.key.group, tags: $0.value.description) }
            .sorted { ($0.topic, $0.group) < ($1.topic, $1.group) }
    }

    /// Deliveries held for durable groups with no member connected.
    public var heldForDurableGroups: Int {
        durableBacklog.values.reduce(0) { $0 + $1.count }
    }

    /// Registers the group of a consumer that said HELLO when the group is durable; returns whether the
    /// registrations changed.
    mutating func registerDurable(_ key: GroupKey, tags: TagExpression) -> Bool {
        guard settings.durableGroups.contains(key.group), durable[key]?.description != tags.description else { return false }
        if durable[key] == nil { durableByTopic[key.topic, default: []].append(key) }
        durable[key] = tags
        return true
    }

    /// Holds a delivery for each durable group of the message's topic that has no member connected.
    mutating func holdForAbsentDurableGroups(_ delivery: Delivery) -> Int {
        var held = 0
        for key in durableByTopic[delivery.message.topic] ?? [] where groups[key] == nil {
            guard durable[key]?.accepts(delivery.message.tag) == true else { continue }
            durableBacklog[key, default: FIFO()].push(delivery)
            held += 1
        }
        return held
    }

    /// Hands what a durable group's absence kept to a member that joined, in order.
    mutating func releaseDurableBacklog(of key: GroupKey, to member: PeerID) -> [HubAction] {
        guard var backlog = durableBacklog.removeValue(forKey: key), !backlog.isEmpty else { return [] }
        let count = backlog.count
        for delivery in backlog.drain() {
            consumers[member]!.queue.push(delivery)
        }
        return pump(member) + [.log(.info, kind: "durable_released", "\(count) messages kept for group '\(key.group)' on \(key.topic) go to its member")]
    }
}
