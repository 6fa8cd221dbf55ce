internal import CZeroMQ

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

// Typed accessors for libzmq socket options. Most options affect only connections made
// after they are set, so configure sockets before `bind`/`connect`. Durations are in
// milliseconds, with -1 meaning "infinite" where libzmq allows it.
extension ZMQSocket {
    // MARK: Flow control and timeouts

    /// How long ``close()`` keeps unsent messages: 0 drops them (this wrapper's default),
    /// -1 waits forever and can make context termination hang.
    public func setLinger(milliseconds: Int) throws(ZMQError) {
        try setInt32Option(ZMQ_LINGER, "ZMQ_LINGER", milliseconds)
    }
    /// The linger period in milliseconds.
    public var linger: Int { get throws(ZMQError) { try int32Option(ZMQ_LINGER, "ZMQ_LINGER") } }

    /// Maximum number of outgoing messages queued per peer (0 = unlimited); beyond it
    /// sends block or, depending on the socket type, drop.
    public func setSendHighWaterMark(_ messages: Int) throws(ZMQError) {
        try setInt32Option(ZMQ_SNDHWM, "ZMQ_SNDHWM", messages)
    }
    /// The send high-water mark in messages.
    public var sendHighWaterMark: Int { get throws(ZMQError) { try int32Option(ZMQ_SNDHWM, "ZMQ_SNDHWM") } }

    /// Maximum number of incoming messages queued per peer (0 = unlimited).
    public func setReceiveHighWaterMark(_ messages: Int) throws(ZMQError) {
        try setInt32Option(ZMQ_RCVHWM, "ZMQ_RCVHWM", messages)
    }
    /// The receive high-water mark in messages.
    public var receiveHighWaterMark: Int { get throws(ZMQError) { try int32Option(ZMQ_RCVHWM, "ZMQ_RCVHWM") } }

    /// How long a blocking receive waits before throwing `EAGAIN` (-1 = forever).
    public func setReceiveTimeout(milliseconds: Int) throws(ZMQError) {
        try setInt32Option(ZMQ_RCVTIMEO, "ZMQ_RCVTIMEO", milliseconds)
    }
    /// The receive timeout in milliseconds.
    public var receiveTimeout: Int { get throws(ZMQError) { try int32Option(ZMQ_RCVTIMEO, "ZMQ_RCVTIMEO") } }

    /// How long a blocking send waits before throwing `EAGAIN` (-1 = forever).
    public func setSendTimeout(milliseconds: Int) throws(ZMQError) {
        try setInt32Option(ZMQ_SNDTIMEO, "ZMQ_SNDTIMEO", milliseconds)
    }
    /// The send timeout in milliseconds.
    public var sendTimeout: Int { get throws(ZMQError) { try int32Option(ZMQ_SNDTIMEO, "ZMQ_SNDTIMEO") } }

    /// Queue messages only to completed connections, so a down peer makes sends block
    /// (or fail with `dontWait`) instead of filling a queue that may never drain.
    public func setImmediate(_ enabled: Bool) throws(ZMQError) {
        try setInt32Option(ZMQ_IMMEDIATE, "ZMQ_IMMEDIATE", enabled ? 1 : 0)
    }
    /// Whether ``setImmediate(_:)`` is on.
    public var immediate: Bool { get throws(ZMQError) { try int32Option(ZMQ_IMMEDIATE, "ZMQ_IMMEDIATE") != 0 } }

    /// Largest inbound message in bytes (-1 = unlimited); a peer exceeding it is disconnected.
    public func setMaxMessageSize(_ bytes: Int) throws(ZMQError) {
        var value = Int64(bytes)
        try setOption(ZMQ_MAXMSGSIZE, "ZMQ_MAXMSGSIZE", &value, MemoryLayout<Int64>.size)
    }
    /// The maximum inbound message size in bytes.
    public var maxMessageSize: Int {
        get throws(ZMQError) {
            var value: Int64 = 0
            var size = MemoryLayout<Int64>.size
            try getOption(ZMQ_MAXMSGSIZE, "ZMQ_MAXMSGSIZE", &value, &size)
            return Int(value)
        }
    }

    // MARK: Connection management

    /// Initial delay before reconnecting a dropped or refused connection (-1 = never).
    public func setReconnectInterval(milliseconds: Int) throws(ZMQError) {
        try setInt32Option(ZMQ_RECONNECT_IVL, "ZMQ_RECONNECT_IVL", milliseconds)
    }
    /// The reconnect interval in milliseconds.
    public var reconnectInterval: Int {
        get throws(ZMQError) { try int32Option(ZMQ_RECONNECT_IVL, "ZMQ_RECONNECT_IVL") }
    }

    /// Upper bound for the exponential reconnect back-off (0 = no back-off).
    public func setReconnectIntervalMax(milliseconds: Int) throws(ZMQError) {
        try setInt32Option(ZMQ_RECONNECT_IVL_MAX, "ZMQ_RECONNECT_IVL_MAX", milliseconds)
    }
    /// The maximum reconnect interval in milliseconds.
    public var reconnectIntervalMax: Int {
        get throws(ZMQError) { try int32Option(ZMQ_RECONNECT_IVL_MAX, "ZMQ_RECONNECT_IVL_MAX") }
    }

    /// Interval between ZMTP heartbeat PINGs (0 = no heartbeats); detects dead peers that
    /// TCP alone would not notice for a long time.
    public func setHeartbeatInterval(milliseconds: Int) throws(ZMQError) {
        try setInt32Option(ZMQ_HEARTBEAT_IVL, "ZMQ_HEARTBEAT_IVL", milliseconds)
    }
    /// The heartbeat interval in milliseconds.
    public var heartbeatInterval: Int {
        get throws(ZMQError) { try int32Option(ZMQ_HEARTBEAT_IVL, "ZMQ_HEARTBEAT_IVL") }
    }

    /// How long to wait for traffic after a PING before dropping the connection.
    public func setHeartbeatTimeout(milliseconds: Int) throws(ZMQError) {
        try setInt32Option(ZMQ_HEARTBEAT_TIMEOUT, "ZMQ_HEARTBEAT_TIMEOUT", milliseconds)
    }
    /// The heartbeat timeout in milliseconds.
    public var heartbeatTimeout: Int {
        get throws(ZMQError) { try int32Option(ZMQ_HEARTBEAT_TIMEOUT, "ZMQ_HEARTBEAT_TIMEOUT") }
    }

    /// Timeout the remote peer should apply to this connection (decisecond precision).
    public func setHeartbeatTTL(milliseconds: Int) throws(ZMQError) {
        try setInt32Option(ZMQ_HEARTBEAT_TTL, "ZMQ_HEARTBEAT_TTL", milliseconds)
    }
    /// The heartbeat TTL in milliseconds.
    public var heartbeatTTL: Int {
        get throws(ZMQError) { try int32Option(ZMQ_HEARTBEAT_TTL, "ZMQ_HEARTBEAT_TTL") }
    }

    /// TCP keepalive: `true`/`false` override, `nil` keeps the operating system default.
    public func setTCPKeepalive(_ enabled: Bool?) throws(ZMQError) {
        try setInt32Option(ZMQ_TCP_KEEPALIVE, "ZMQ_TCP_KEEPALIVE", enabled.map { $0 ? 1 : 0 } ?? -1)
    }
    /// The TCP keepalive setting; `nil` means the operating system default.
    public var tcpKeepalive: Bool? {
        get throws(ZMQError) {
            let value = try int32Option(ZMQ_TCP_KEEPALIVE, "ZMQ_TCP_KEEPALIVE")
            return value < 0 ? nil : value != 0
        }
    }

    /// Allow IPv6 in addition to IPv4 for tcp endpoints.
    public func setIPv6(_ enabled: Bool) throws(ZMQError) {
        try setInt32Option(ZMQ_IPV6, "ZMQ_IPV6", enabled ? 1 : 0)
    }
    /// Whether IPv6 is enabled.
    public var ipv6: Bool { get throws(ZMQError) { try int32Option(ZMQ_IPV6, "ZMQ_IPV6") != 0 } }

    // MARK: State

    /// Whether a message can be received and/or sent right now without blocking.
    public var events: ZMQPollEvents {
        get throws(ZMQError) { ZMQPollEvents(rawValue: Int16(try int32Option(ZMQ_EVENTS, "ZMQ_EVENTS"))) }
    }

    /// libzmq's internal signalling descriptor, for integrating with a foreign event loop.
    ///
    /// It is edge-triggered and only says "check ``events``": after it polls readable,
    /// read ``events`` and receive until `dontWait` returns nil before waiting again.
    public var fileDescriptor: Int32 {
        get throws(ZMQError) {
            var fd: Int32 = -1
            var size = MemoryLayout<Int32>.size
            try getOption(ZMQ_FD, "ZMQ_FD", &fd, &size)
            return fd
        }
    }
}
