/// An EMQX client lifecycle event from `$SYS/brokers/<node>/clients/<clientid>/connected|disconnected`
/// (`emqx_sys.erl`; EMQX 4 and 5 payloads).
public struct EMQXClientEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case connected
        case disconnected
    }

    public var kind: Kind
    /// From the JSON `clientid` member, never from the topic (whose level may be escaped or truncated).
    public var clientId: String
    /// Nil when absent or JSON `null`.
    public var username: String?
    /// `ipaddress` as published: `ip` (EMQX 5) or `ip:port`; empty when absent.
    public var ipAddress: String
    /// Milliseconds; required in `connected` events, present in EMQX 5 `disconnected` events too.
    /// `(clientId, connectedAt)` identifies one connection.
    public var connectedAt: Int64?
    /// Milliseconds (`disconnected` only).
    public var disconnectedAt: Int64?
    /// `ts`, the publication time in milliseconds.
    public var timestamp: Int64?
    /// `reason` of a `disconnected` event: `normal` (the client sent DISCONNECT), `tcp_closed`,
    /// `keepalive_timeout`, `takenover`, `discarded`, `kicked`, `not_authorized`, …
    public var reason: String?
    public var keepAlive: Int?
    public var cleanStart: Bool?
    public var protocolVersion: Int?

    public init(
        kind: Kind, clientId: String, username: String? = nil, ipAddress: String = "", connectedAt: Int64? = nil,
        disconnectedAt: Int64? = nil, timestamp: Int64? = nil, reason: String? = nil, keepAlive: Int? = nil,
        cleanStart: Bool? = nil, protocolVersion: Int? = nil
    ) {
        self.kind = kind
        self.clientId = clientId
        self.username = username
        self.ipAddress = ipAddress
        self.connectedAt = connectedAt
        self.disconnectedAt = disconnectedAt
        self.timestamp = timestamp
        self.reason = reason
        self.keepAlive = keepAlive
        self.cleanStart = cleanStart
        self.protocolVersion = protocolVersion
    }

    /// True when the client ended the connection with an MQTT DISCONNECT (`reason` is `normal`).
    public var sentDisconnect: Bool { kind == .disconnected && reason == "normal" }
}
