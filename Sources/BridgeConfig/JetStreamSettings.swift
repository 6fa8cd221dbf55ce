/// The queue side on NATS JetStream (`jetstream:`, SPEC §10): where the servers are, how the bridge logs in,
/// and the limits of the streams and consumers it creates.
public struct JetStreamSettings: Sendable, Equatable {
    /// Where a secret comes from; the value itself is never printed.
    public enum Secret: Sendable, Equatable {
        case literal(String)
        case environment(String)
    }

    /// At most one way to log in.
    public enum Authentication: Sendable, Equatable {
        case none
        case userPassword(user: String, password: Secret)
        case token(Secret)
        /// A NATS credentials file (user JWT and NKey seed), path resolved against the mapping file.
        case credentialsFile(String)
    }

    /// What a stream at `maxBytes` does with a new message.
    public enum DiscardPolicy: String, Sendable, Equatable, CaseIterable {
        /// Refuse it: the publisher gets an error and the bridge applies back-pressure (nothing is lost).
        case new
        /// Store it and drop the oldest messages.
        case old
    }

    public static let defaultSubjectPrefix = "mq"
    public static let defaultMaxAge = Duration.seconds(72 * 3_600)
    public static let defaultDuplicateWindow = Duration.seconds(120)
    public static let defaultAckWait = Duration.seconds(30)
    public static let defaultMaxPending = 1_024
    public static let defaultMaxAckPending = 1_000

    /// The servers to connect to, in the order given (`url`: one or a list).
    public var servers: [NATSServerURL]
    /// The first tokens of every subject (`subjectPrefix`, default `mq`).
    public var subjectPrefix: String = JetStreamSettings.defaultSubjectPrefix
    /// Stream replicas, 1...5.
    public var replicas: Int = 1
    /// How long a stream keeps a message.
    public var maxAge: Duration = JetStreamSettings.defaultMaxAge
    /// Byte cap per stream; nil: none.
    public var maxBytes: Int?
    /// A message ID seen again within this window is stored once; never more than `maxAge`.
    public var duplicateWindow: Duration = JetStreamSettings.defaultDuplicateWindow
    public var discard: DiscardPolicy = .new
    /// Asynchronous publishes awaiting their PubAck, 1...65536.
    public var maxPending: Int = JetStreamSettings.defaultMaxPending
    /// Inflow consumers: how long JetStream waits for an ack before it delivers again.
    public var ackWait: Duration = JetStreamSettings.defaultAckWait
    /// Inflow consumers: messages delivered and not yet acked.
    public var maxAckPending: Int = JetStreamSettings.defaultMaxAckPending
    public var authentication: Authentication = .none
    /// The CA bundle that signs the servers' certificates (path resolved against the mapping file); nil: the
    /// system's bundle.
    public var caFile: String?

    public init(servers: [NATSServerURL]) {
        self.servers = servers
    }
}

/// `nats://host[:port]` or `tls://host[:port]` (default port 4222).
public struct NATSServerURL: Sendable, Equatable, CustomStringConvertible {
    public static let defaultPort = 4_222

    public var host: String
    public var port: Int
    /// `tls://`: TLS from the start of the connection.
    public var tls: Bool

    public init(host: String, port: Int = NATSServerURL.defaultPort, tls: Bool = false) {
        self.host = host
        self.port = port
        self.tls = tls
    }

    /// IPv6 hosts in brackets, as a NATS client expects them.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(tls ? "tls" : "nats")://\(shownHost):\(port)"
    }
}
