import BridgeCore
import Testing
import WireProtocol

@testable import BridgeHub

/// The 16 hex characters every msgId of the test router starts with.
let testIdPrefix = "00c0ffee00c0ffee"
let testSession = "test-session"

/// The rules every router under test starts with.
///
/// - `telemetry`: `sensors/#` -> `SENSOR_DATA`, tag = third level, key = second level, extra property `site`.
/// - `audit`: `sensors/+/alarm` -> `AUDIT`, tag `alarm` (so an alarm matches two rules).
/// - `events`: `factory/+/events` -> `EVENTS`, no tag, no keys (keyless).
/// - inflow `commands`: `COMMANDS` (every tag) -> `devices`; inflow `configs`: `CONFIG` tag `set` -> `config`, QoS 2.
/// - status `sensor-status`: clients of `GID_sensors` -> `STATUS`.
func testMappings(limits: MessageLimits = MessageLimits(maxBodyBytes: 64)) throws -> MappingTable {
    MappingTable(
        outflow: [
            OutflowRule(
                id: "telemetry", filter: try TopicFilter("sensors/#"), queueTopic: "SENSOR_DATA",
                tag: try Template("${level.3}"), keys: [try Template("${level.2}")],
                properties: [.init(name: "site", value: try Template("${level.2}"))]),
            OutflowRule(id: "audit", filter: try TopicFilter("sensors/+/alarm"), queueTopic: "AUDIT", tag: try Template("alarm")),
            OutflowRule(id: "events", filter: try TopicFilter("factory/+/events"), queueTopic: "EVENTS"),
        ],
        inflow: [
            InflowRule(id: "commands", queueTopic: "COMMANDS", mqttParent: "devices"),
            InflowRule(
                id: "configs", queueTopic: "CONFIG", tags: try TagExpression("set"), mqttParent: "config", qos: .exactlyOnce),
        ],
        status: [StatusRule(id: "sensor-status", groupId: "GID_sensors", queueTopic: "STATUS")],
        limits: limits)
}

func makeRouter(_ settings: HubSettings = HubSettings()) throws -> HubRouter {
    HubRouter(mappings: try testMappings(), settings: settings, session: testSession, idPrefix: testIdPrefix)
}

extension PeerID {
    static func worker(_ number: UInt8) -> PeerID { PeerID(link: .workers, routingId: [0x57, number]) }
    static func consumer(_ number: UInt8) -> PeerID { PeerID(link: .consumers, routingId: [0x43, number]) }
    static func producer(_ number: UInt8) -> PeerID { PeerID(link: .producers, routingId: [0x50, number]) }
}

extension HubRouter {
    @discardableResult
    mutating func helloWorker(_ peer: PeerID, window: Int = 100, now: Int64 = 0) -> [HubAction] {
        receive(.hello(Hello(role: .mqttWorker, name: "worker-\(peer)", window: window)), from: peer, now: now)
    }

    @discardableResult
    mutating func helloConsumer(
        _ peer: PeerID, topic: String = "SENSOR_DATA", tags: String? = nil, group: String? = nil, window: Int = 100,
        now: Int64 = 0
    ) -> [HubAction] {
        receive(
            .hello(Hello(role: .consumer, name: "consumer-\(peer)", topic: topic, tags: tags, group: group, window: window)),
            from: peer, now: now)
    }

    @discardableResult
    mutating func helloProducer(_ peer: PeerID, now: Int64 = 0) -> [HubAction] {
        receive(.hello(Hello(role: .producer, name: "producer-\(peer)")), from: peer, now: now)
    }

    /// The worker hands the hub an MQTT message; the payload defaults to the seq in decimal.
    mutating func publish(
        _ worker: PeerID, seq: UInt64, topic: String, payload: [UInt8]? = nil, qos: QoS = .atLeastOnce,
        clientId: String? = nil, now: Int64 = 0
    ) -> [HubAction] {
        let message = MQTTMessage(topic: topic, payload: payload ?? Array(String(seq).utf8), qos: qos)
        return receive(.mqttData(seq: seq, message, clientId: clientId), from: worker, now: now)
    }

    mutating func ack(_ peer: PeerID, seq: UInt64, now: Int64 = 0) -> [HubAction] {
        receive(.ack(seq: seq, msgId: nil), from: peer, now: now)
    }

    /// Acknowledges every given seq in turn and returns all the actions.
    mutating func ack(_ peer: PeerID, seqs: [UInt64], now: Int64 = 0) -> [HubAction] {
        seqs.flatMap { ack(peer, seq: $0, now: now) }
    }

    /// A producer's queue-side message.
    mutating func produce(_ producer: PeerID, seq: UInt64, _ message: QueueMessage, now: Int64 = 0) -> [HubAction] {
        receive(.queueData(seq: seq, message), from: producer, now: now)
    }
}

/// A queue-side message a producer sends on `COMMANDS` to `devices/<device>/cmd`.
func command(_ device: String, body: String = "go", properties: [String: String] = [:]) -> QueueMessage {
    var all = [PropertyName.mqttSecondTopic: "/\(device)/cmd"]
    all.merge(properties) { _, new in new }
    return QueueMessage(topic: "COMMANDS", tag: "cmd", properties: all, body: Array(body.utf8))
}

struct Delivered: Equatable {
    var seq: UInt64
    var message: QueueMessage

    /// The body as text (the worker seq by default).
    var text: String { String(decoding: message.body, as: UTF8.self) }
}

extension Array where Element == HubAction {
    /// Every message sent to `peer`, in order.
    func sent(to peer: PeerID) -> [WireMessage] {
        compactMap { action in
            if case .send(peer, let message) = action { return message }
            return nil
        }
    }

    /// The queue-side `DATA` sent to a consumer, in order.
    func deliveries(to peer: PeerID) -> [Delivered] {
        sent(to: peer).compactMap { message in
            if case .queueData(let seq, let queued) = message { return Delivered(seq: seq, message: queued) }
            return nil
        }
    }

    /// The bodies (as text) of the `DATA` sent to a consumer, in order.
    func bodies(to peer: PeerID) -> [String] { deliveries(to: peer).map(\.text) }

    /// The MQTT `DATA` sent to a worker, in order.
    func publishes(to peer: PeerID) -> [(seq: UInt64, message: MQTTMessage)] {
        sent(to: peer).compactMap { message in
            if case .mqttData(let seq, let mqtt, _) = message { return (seq, mqtt) }
            return nil
        }
    }

    /// The seqs of the `ACK`s sent to a peer, in order.
    func acks(to peer: PeerID) -> [UInt64] {
        sent(to: peer).compactMap { message in
            if case .ack(let seq, _) = message { return seq }
            return nil
        }
    }

    func errors(to peer: PeerID) -> [WireErrorReport] {
        sent(to: peer).compactMap { message in
            if case .error(let report) = message { return report }
            return nil
        }
    }

    func welcomes(to peer: PeerID) -> [Welcome] {
        sent(to: peer).compactMap { message in
            if case .welcome(let welcome) = message { return welcome }
            return nil
        }
    }

    var pauseCount: Int { filter { $0 == .pauseProducers }.count }
    var resumeCount: Int { filter { $0 == .resumeProducers }.count }
}

/// True for 32 lowercase hex characters.
func isMessageId(_ text: String?) -> Bool {
    guard let text else { return false }
    return text.utf8.count == 32 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
}

