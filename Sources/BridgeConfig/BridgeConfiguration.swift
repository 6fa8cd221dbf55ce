import BridgeCore

/// A validated mapping file.
public struct BridgeConfiguration: Sendable {
    public var mqtt: MQTTSettings
    public var queue: QueueSettings?
    /// The queue side on NATS JetStream; nil when the mapping file has no `jetstream` section.
    public var jetstream: JetStreamSettings?
    public var api: APISettings?
    public var hub: HubEndpointSettings
    /// What a separate worker process needs to reach the hub.
    public var worker: WorkerSettings
    public var status: StatusSettings
    public var spool: SpoolSettings
    /// The compiled rules and message limits.
    public var mappings: MappingTable
    /// Valid settings that are probably a mistake, e.g. an API reachable from other hosts; each message
    /// starts with `warning: `. `check` prints them, `run` and `hub` log them.
    public var warnings: [ConfigDiagnostic]
}

/// The broker the bridge connects to (`mqtt:`).
public struct MQTTSettings: Sendable, Equatable {
    public enum ProtocolVersion: String, Sendable, Equatable {
        case v5 = "5"
        case v311 = "3.1.1"
    }

    /// Where the password comes from; the value itself is never printed.
    public enum Password: Sendable, Equatable {
        case literal(String)
        case environment(String)
    }

    public var url: BrokerURL
    public var clientId: String
    public var protocolVersion: ProtocolVersion
    /// Subscribe through `$share/<group>/` when set.
    public var sharedGroup: String?
    public var username: String?
    public var password: Password?
    /// Seconds between keep-alive pings.
    public var keepAlive: Int
    /// The CA bundle that signs the broker's certificate, for `mqtts://` (nil: the system's bundle).
    public var caFile: String?
}

/// `mqtt://host[:port]` (default 1883) or `mqtts://host[:port]` (default 8883).
public struct BrokerURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var tls: Bool

    public init(host: String, port: Int, tls: Bool) {
        self.host = host
        self.port = port
        self.tls = tls
    }

    public var description: String { "\(tls ? "mqtts" : "mqtt")://\(host):\(port)" }

    /// Parses `mqtt://host[:port]` or `mqtts://host[:port]` as `mqtt.url` does; the error says what is wrong.
    public static func parse(_ text: String) -> Result<BrokerURL, BrokerURLError> {
        Address.brokerURL(text).mapError { BrokerURLError(description: $0.message) }
    }
}

/// Why a broker URL cannot be used.
public struct BrokerURLError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// Queue-side endpoints (`queue:`).
public struct QueueSettings: Sendable, Equatable {
    /// ZeroMQ endpoint that backend consumers connect to.
    public var publish: String?
    /// ZeroMQ endpoint that backend producers connect to.
    public var accept: String?
    /// Durable consumer groups.
    public var groups: [String]
    /// Durable subscriptions declared in the mapping file (`queue.durable`): their messages are kept from the
    /// bridge's first start, before any member has connected.
    public var durable: [DurableSubscriptionSettings]

    public init(publish: String?, accept: String?, groups: [String] = [], durable: [DurableSubscriptionSettings] = []) {
        self.publish = publish
        self.accept = accept
        self.groups = groups
        self.durable = durable
    }

    /// Every durable group: those of `groups` and of `durable`.
    public var durableGroups: Set<String> { Set(groups).union(durable.map(\.group)) }
}

/// One `queue.durable` entry: a consumer group's subscription to a queue topic, held for it from the start.
public struct DurableSubscriptionSettings: Sendable, Equatable {
    public var group: String
    public var topic: String
    /// A tag expression (`*` by default).
    public var tags: String

    public init(group: String, topic: String, tags: String = "*") {
        self.group = group
        self.topic = topic
        self.tags = tags
    }
}

/// Where the hub listens for workers and how often peers must show life (`hub:`).
public struct HubEndpointSettings: Sendable, Equatable {
    public static let defaultEndpoint = "tcp://127.0.0.1:5600"

    /// ZeroMQ endpoint the hub binds for workers and a separate worker process connects to.
    public var endpoint: String
    public var heartbeatMs: Int
    /// CURVE on every `tcp://` endpoint the hub binds (this one, `queue.publish`, `queue.accept`).
    public var curve: CurveServerSettings?
    /// Largest wire message frame a peer may send to the hub (`hub.maxMessageBytes`); a peer that sends a
    /// bigger one is disconnected by ZeroMQ before the hub sees it. Nil: `limits.maxBodyBytes` plus
    /// `metadataAllowance` (see `maxMessageBytes(bodyLimit:)`).
    public var maxMessageBytes: Int?

    /// Room for a message's metadata (topic, user properties, keys …) above the body limit in the default
    /// `hub.maxMessageBytes`.
    public static let metadataAllowance = 64 << 10

    public init(endpoint: String = HubEndpointSettings.defaultEndpoint, heartbeatMs: Int = 1_000, curve: CurveServerSettings? = nil,
                maxMessageBytes: Int? = nil) {
        self.endpoint = endpoint
        self.heartbeatMs = heartbeatMs
        self.curve = curve
        self.maxMessageBytes = maxMessageBytes
    }

    /// The cap in force: `hub.maxMessageBytes`, or the body limit plus `metadataAllowance`.
    public func maxMessageBytes(bodyLimit: Int) -> Int {
        maxMessageBytes ?? bodyLimit + Self.metadataAllowance
    }
}

/// Where messages wait on disk until the next hop has them (`spool:`).
public struct SpoolSettings: Sendable, Equatable {
    public static let defaultDirectory = "mqbridge-spool"
    public static let defaultMaxBytes = 256 << 20

    /// The directory of the outflow journal and the durable group registrations.
    public var directory: String
    /// Bytes of unacknowledged outflow the journal may hold before the bridge stops reading from MQTT.
    public var maxBytes: Int

    public init(directory: String = SpoolSettings.defaultDirectory, maxBytes: Int = SpoolSettings.defaultMaxBytes) {
        self.directory = directory
        self.maxBytes = maxBytes
    }
}

/// HTTP API (`api:`). `listen: 8080` or `listen: ":8080"` means 127.0.0.1:8080: the API has no
/// authentication, so it stays on loopback unless a host is named.
public struct APISettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// `api.token`: when set, every route (the console included) asks for it, as `Authorization: Bearer
    /// <token>` or `?token=<token>`.
    public var token: String?

    public init(host: String, port: Int, token: String? = nil) {
        self.host = host
        self.port = port
        self.token = token
    }
}

/// Client status notification (`status:`).
public struct StatusSettings: Sendable, Equatable {
    public enum Source: String, Sendable, Equatable, CaseIterable {
        case none
        case mosquittoLog = "mosquitto-log"
        case emqxEvents = "emqx-events"
    }

    public var source: Source
    /// Where the online-status view is kept between runs (`status.stateDir`, default `mqbridge-state`).
    public var stateDirectory: String
    /// Clients offline for longer than this leave the online-status view (`status.forgetOfflineAfter`,
    /// default 7 days): queries then answer as for a client never seen.
    public var forgetOfflineAfter: Duration

    public static let defaultStateDirectory = "mqbridge-state"
    public static let defaultForgetOfflineAfter = Duration.seconds(7 * 86_400)

    public init(source: Source, stateDirectory: String = StatusSettings.defaultStateDirectory,
                forgetOfflineAfter: Duration = StatusSettings.defaultForgetOfflineAfter) {
        self.source = source
        self.stateDirectory = stateDirectory
        self.forgetOfflineAfter = forgetOfflineAfter
    }
}
