/// One line of Mosquitto's log as published on `$SYS/broker/log/<level>`, parsed.
public struct MosquittoLogLine: Sendable, Equatable {
    /// Epoch seconds of the `log_timestamp` prefix; nil without a prefix or with a custom
    /// `log_timestamp_format` (such a prefix carries no usable time).
    public var timestamp: Int64?
    public var event: MosquittoLogEvent

    public init(timestamp: Int64?, event: MosquittoLogEvent) {
        self.timestamp = timestamp
        self.event = event
    }
}

/// What a log line says about a client connection.
public enum MosquittoLogEvent: Sendable, Equatable {
    /// `New client connected from <ip>:<port> as <id> (p<proto>, c<clean>, k<keepalive>[, u'<user>']).`
    case connected(MosquittoConnection)
    /// `Client <id> disconnected.`: the client sent DISCONNECT (→ `disconnect` + `tcpclean`).
    case disconnected(clientId: String)
    /// The connection is gone for another reason (→ `tcpclean`).
    case closed(clientId: String, reason: MosquittoCloseReason)
    /// `Client <id> already connected, closing old connection.`: the client's old connection is closed
    /// (→ `tcpclean` of the old channel). Logged before the new connection's `connected` line.
    case takenOver(clientId: String)
    /// A line that does not concern client connections (`New connection from …`, start-up, persistence, …).
    case ignored

    /// The client the line is about; nil for `ignored`.
    public var clientId: String? {
        switch self {
        case .connected(let connection): connection.clientId
        case .disconnected(let clientId), .closed(let clientId, _), .takenOver(let clientId): clientId
        case .ignored: nil
        }
    }
}

/// The details of a `New client connected` (or `New bridge connected`) line.
public struct MosquittoConnection: Sendable, Equatable {
    public var clientId: String
    /// The peer address as logged, `ip:port` (IPv6 without brackets, e.g. `::1:53950`).
    public var address: String
    public var username: String?
    /// The `p` value, Mosquitto's protocol number as logged: 1 = MQTT 3.1, 2 = 3.1.1, 5 = 5.
    public var protocolVersion: Int
    /// The `c` value: clean session (3.1.1) or clean start (5).
    public var cleanStart: Bool
    /// The `k` value in seconds.
    public var keepAlive: Int
    /// True for `New bridge connected` (another broker's bridge connecting as a client).
    public var isBridge: Bool

    public init(
        clientId: String, address: String, username: String?, protocolVersion: Int, cleanStart: Bool,
        keepAlive: Int, isBridge: Bool = false
    ) {
        self.clientId = clientId
        self.address = address
        self.username = username
        self.protocolVersion = protocolVersion
        self.cleanStart = cleanStart
        self.keepAlive = keepAlive
        self.isBridge = isBridge
    }

    /// The address without its port: everything before the last `:` (the whole address when it has none).
    public var host: String {
        guard let colon = address.lastIndex(of: ":") else { return address }
        return String(address[..<colon])
    }

    /// The port after the last `:`, when it is a number.
    public var port: Int? {
        guard let colon = address.lastIndex(of: ":") else { return nil }
        return Int(address[address.index(after: colon)...])
    }
}

/// Why Mosquitto closed a connection (other than a DISCONNECT from the client).
public enum MosquittoCloseReason: Sendable, Equatable {
    /// `closed its connection.`: the socket closed without DISCONNECT.
    case closedByClient
    /// `has exceeded timeout, disconnecting.`
    case keepAliveTimeout
    /// `disconnected, not authorised.`
    case notAuthorised
    /// `been disconnected by administrative action.`
    case administrative
    /// `disconnected due to <text>.`, `disconnected: <text>.` and socket errors, with the broker's text.
    case error(String)
}
