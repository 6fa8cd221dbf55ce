import BridgeCore

/// One protocol message between the hub and a peer (docs/wire-protocol.md), decoded.
public enum WireMessage: Sendable, Equatable {
    case hello(Hello)
    case welcome(Welcome)
    /// A queue-side message (producer -> hub, hub -> consumer).
    case queueData(seq: UInt64, QueueMessage)
    /// An MQTT message (worker -> hub for outflow, hub -> worker for inflow).
    case mqttData(seq: UInt64, MQTTMessage, clientId: String?)
    case ack(seq: UInt64, msgId: String?)
    /// Several `DATA` settled by one `ACK` (`{"seqs":[…]}`), in the order given. Sent only to a peer that
    /// said it reads this form: the hub announces it in `WELCOME`, a worker in `HELLO` (`batchAck`).
    case acks(seqs: [UInt64])
    case error(WireErrorReport)
    case credit(window: Int)
    case ping
    case pong
    case bye

    /// The frame-1 word of each kind.
    public enum Kind: String, Sendable, CaseIterable {
        case hello = "HELLO", welcome = "WELCOME", data = "DATA", ack = "ACK", error = "ERROR"
        case credit = "CREDIT", ping = "PING", pong = "PONG", bye = "BYE"
        /// Several `DATA` in one message (`WireCodec.decodeAll`, `BatchWriter`); never a `WireMessage` of its own.
        case batch = "BATCH"
    }

    public var kind: Kind {
        switch self {
        case .hello: .hello
        case .welcome: .welcome
        case .queueData, .mqttData: .data
        case .ack, .acks: .ack
        case .error: .error
        case .credit: .credit
        case .ping: .ping
        case .pong: .pong
        case .bye: .bye
        }
    }
}

/// The first message of every connection.
public struct Hello: Sendable, Equatable {
    public enum Role: String, Sendable, CaseIterable {
        case consumer
        case producer
        case mqttWorker = "mqtt-worker"
        /// A queue-side engine worker (the JetStream worker) on the workers endpoint: it takes every routed
        /// queue-side message, as a consumer of everything would, and hands the engine's messages to the hub
        /// as a producer would.
        case engineWorker = "engine-worker"
    }

    public static let defaultWindow = 100
    public static let maxWindow = 100_000

    public var role: Role
    public var name: String
    /// Consumers: the queue topic.
    public var topic: String?
    /// Consumers: the tag expression, `*` when absent.
    public var tags: String?
    /// Consumers: the consumer group.
    public var group: String?
    public var window: Int
    /// The peer reads batched acknowledgements (`ACK` with `seqs`), so the hub may settle several of its
    /// `DATA` with one message. Only MQTT workers receive `ACK`s without a `msgId` from the hub.
    public var batchAck: Bool
    /// MQTT workers: 16 lowercase hex characters naming the worker's outflow journal. Its seqs are unique
    /// within the journal and kept when a message is sent again, so the hub derives each queue-side
    /// `msgId` from the pair and a resend carries the ID of the first send.
    public var journal: String?
    /// The peer reads `BATCH` messages whose records frame is at most this many bytes (`batchBytes`); nil: it
    /// reads single `DATA` only.
    public var batchBytes: Int?

    public init(role: Role, name: String, topic: String? = nil, tags: String? = nil, group: String? = nil, window: Int = Hello.defaultWindow,
                batchAck: Bool = false, journal: String? = nil, batchBytes: Int? = nil) {
        self.role = role
        self.name = name
        self.topic = topic
        self.tags = tags
        self.group = group
        self.window = window
        self.batchAck = batchAck
        self.journal = journal
        self.batchBytes = batchBytes
    }
}

/// The hub's answer to `HELLO`.
public struct Welcome: Sendable, Equatable {
    public var session: String
    public var heartbeatMs: Int
    /// MQTT worker: the topic filters to subscribe to.
    public var subscriptions: [String]?
    /// MQTT worker: the parent topics it may publish under.
    public var parents: [String]?
    /// MQTT worker: the broker's client status topics to subscribe to (at QoS 1, forwarded as `DATA` like
    /// outflow messages).
    public var statusSubscriptions: [String]?
    /// The hub reads batched acknowledgements (`ACK` with `seqs`) from this peer.
    public var batchAck: Bool
    /// The hub reads `BATCH` messages whose records frame is at most this many bytes (`batchBytes`); nil: send
    /// single `DATA` only.
    public var batchBytes: Int?

    public init(session: String, heartbeatMs: Int, subscriptions: [String]? = nil, parents: [String]? = nil,
                statusSubscriptions: [String]? = nil, batchAck: Bool = false, batchBytes: Int? = nil) {
        self.session = session
        self.heartbeatMs = heartbeatMs
        self.subscriptions = subscriptions
        self.parents = parents
        self.statusSubscriptions = statusSubscriptions
        self.batchAck = batchAck
        self.batchBytes = batchBytes
    }
}

/// An `ERROR`: settles a `DATA` when `seq` is set, otherwise a problem with the connection.
public struct WireErrorReport: Error, Sendable, Equatable, CustomStringConvertible {
    public var seq: UInt64?
    public var code: String
    public var message: String

    public init(seq: UInt64? = nil, code: String, message: String) {
        self.seq = seq
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

/// Connection-level error codes.
public enum WireErrorCode {
    public static let unsupportedVersion = "unsupported_version"
    public static let unknownKind = "unknown_kind"
    public static let malformedFrame = "malformed_frame"
    public static let malformedMessage = "malformed_message"
    public static let badHello = "bad_hello"
    public static let noHello = "no_hello"
    public static let mqttPublishFailed = "mqtt_publish_failed"
    /// An inflow message was not published and never will be: the MQTT worker is not connected to the
    /// broker, or no MQTT worker took it within the hub's inflow deadline.
    public static let brokerUnavailable = "broker_unavailable"
}
