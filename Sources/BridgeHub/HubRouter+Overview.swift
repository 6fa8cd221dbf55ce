import BridgeCore
import WireProtocol

/// One connected peer, as the console lists it.
public struct PeerSummary: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case mqttWorker = "mqtt-worker"
        case engine
        case consumer
        case producer
    }

    public var kind: Kind
    /// The name the peer gave in `HELLO`.
    public var name: String
    /// A consumer's queue topic, tag expression and group (with whether the group is durable).
    public var topic: String?
    public var tags: String?
    public var group: String?
    public var durable = false
    /// The window the peer asked for (0 while paused); nil for producers.
    public var window: Int?
    /// Messages sent to it and not settled yet (for consumers and engines, queued ones too).
    public var inFlight = 0

    public init(kind: Kind, name: String) {
        self.kind = kind
        self.name = name
    }
}

/// A message the bridge refused, kept among the latest few for the console.
public struct Rejection: Sendable, Equatable {
    public enum Direction: String, Sendable {
        /// An MQTT message the outflow rules refused.
        case outflow
        /// A queue-side message the inflow rules refused, or the broker did not take.
        case inflow
        /// A delivery a consumer refused.
        case consumer
    }

    /// Milliseconds since the epoch.
    public var time: Int64
    public var direction: Direction
    /// The reason code, as counted in `mqbridge_rejected_total`.
    public var reason: String
    /// The MQTT topic (outflow, inflow publishes) or queue topic (inflow messages refused by the rules).
    public var topic: String
    public var detail: String

    public init(time: Int64, direction: Direction, reason: String, topic: String, detail: String) {
        self.time = time
        self.direction = direction
        self.reason = reason
        self.topic = topic
        self.detail = detail
    }
}

/// The latest `capacity` items, oldest first; older ones are dropped as new ones come.
public struct RecentList<Element: Sendable>: Sendable {
    public let capacity: Int
    private var storage: [Element] = []
    private var next = 0

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    public mutating func append(_ element: Element) {
        if storage.count < capacity {
            storage.append(element)
        } else {
            storage[next] = element
        }
        next = (next + 1) % capacity
    }

    /// Oldest first.
    public var elements: [Element] {
        storage.count < capacity ? storage : Array(storage[next...] + storage[..<next])
    }
}

extension HubRouter {
    /// How many refusals the console is shown.
    static let recentRejectionCapacity = 50

    /// Counts a refusal by its reason and keeps it among the latest ones.
    mutating func noteRejection(_ direction: Rejection.Direction, reason: String, topic: String, detail: String) {
        counters.rejected[reason, default: 0] += 1
        recentRejections.append(Rejection(time: wallNow, direction: direction, reason: reason, topic: topic, detail: detail))
    }

    /// Every connected peer: MQTT workers, engines, consumers (with topic, tags and group), producers;
    /// by kind, then name.
    public var peerSummaries: [PeerSummary] {
        var peers: [PeerSummary] = []
        for worker in workers.values {
            var summary = PeerSummary(kind: .mqttWorker, name: worker.name)
            summary.window = worker.window
            summary.inFlight = worker.inflight.count
            peers.append(summary)
        }
        for (peer, consumer) in consumers {
            var summary = PeerSummary(kind: isEngine(peer) ? .engine : .consumer, name: consumer.name)
            if !isEngine(peer) {
                summary.topic = consumer.topic
                summary.tags = consumer.tags.description
                summary.group = consumer.group?.group
                summary.durable = consumer.group.map { durable[$0] != nil } ?? false
            }
            summary.window = consumer.window
            summary.inFlight = consumer.load
            peers.append(summary)
        }
        for peer in producers.keys {
            peers.append(PeerSummary(kind: .producer, name: producerNames[peer] ?? ""))
        }
        let order: [PeerSummary.Kind: Int] = [.mqttWorker: 0, .engine: 1, .consumer: 2, .producer: 3]
        return peers.sorted { (order[$0.kind]!, $0.name) < (order[$1.kind]!, $1.name) }
    }
}
