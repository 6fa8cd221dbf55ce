/// Something that happened to a ``NATSConnection``, reported to ``NATSConnectionOptions/onEvent``.
public enum NATSConnectionEvent: Sendable, Hashable {
    /// With ``NATSConnectionOptions/retryOnFailedConnect``: the first connection was made in the background.
    case connected
    /// The connection to the server was lost; nats.c reconnects unless reconnecting is disabled.
    case disconnected
    /// The connection was made again (subscriptions are restored by nats.c).
    case reconnected
    /// The connection is closed for good: by ``NATSConnection/close()``, or after reconnecting gave up.
    /// It is the last event of a connection.
    case closed
    /// An error nats.c met outside any call, e.g. a slow consumer or a permission violation.
    case asyncError(String)
}

/// How a ``NATSConnection`` connects and reconnects (a `natsOptions` object, built at connect time).
public struct NATSConnectionOptions: Sendable {
    /// Server URLs, e.g. `["nats://127.0.0.1:4222"]`; tried in order (no randomizing).
    public var servers: [String]
    /// The connection name shown by the server's monitoring.
    public var name: String?
    /// User name for user/password authentication.
    public var user: String?
    /// Password for user/password authentication.
    public var password: String?
    /// Token for token authentication.
    public var token: String?
    /// A `.creds` file (user JWT and NKey seed) for decentralized authentication.
    public var credentialsFile: String?
    /// A PEM file of CA certificates; setting it makes the connection require TLS.
    public var caFile: String?
    /// How long one connect attempt may take, in milliseconds.
    public var connectTimeoutMs: Int
    /// The pause between reconnect attempts to the same server, in milliseconds.
    public var reconnectWaitMs: Int
    /// Reconnect attempts per server before giving up and closing; -1 retries forever, 0 never reconnects.
    public var maxReconnect: Int
    /// When no server is reachable at ``NATSConnection/init(options:)``, keep trying in the background
    /// (using the reconnect settings) instead of failing; ``NATSConnectionEvent/connected`` tells when it succeeded.
    public var retryOnFailedConnect: Bool
    /// The interval of client PINGs that detect a dead server, in milliseconds.
    public var pingIntervalMs: Int
    /// Receives connection events on a nats.c thread. Keep it short and non-blocking.
    public var onEvent: (@Sendable (NATSConnectionEvent) -> Void)?

    /// Creates options; every setting but the servers has a default.
    public init(servers: [String], name: String? = nil, user: String? = nil, password: String? = nil,
                token: String? = nil, credentialsFile: String? = nil, caFile: String? = nil,
                connectTimeoutMs: Int = 2000, reconnectWaitMs: Int = 2000, maxReconnect: Int = -1,
                retryOnFailedConnect: Bool = false, pingIntervalMs: Int = 120_000,
                onEvent: (@Sendable (NATSConnectionEvent) -> Void)? = nil) {
        self.servers = servers
        self.name = name
        self.user = user
        self.password = password
        self.token = token
        self.credentialsFile = credentialsFile
        self.caFile = caFile
        self.connectTimeoutMs = connectTimeoutMs
        self.reconnectWaitMs = reconnectWaitMs
        self.maxReconnect = maxReconnect
        self.retryOnFailedConnect = retryOnFailedConnect
        self.pingIntervalMs = pingIntervalMs
        self.onEvent = onEvent
    }
}

/// The state of a ``NATSConnection`` (`natsConnStatus`).
public enum NATSConnectionStatus: Sendable, Hashable {
    case disconnected, connecting, connected, closed, reconnecting, draining
}
