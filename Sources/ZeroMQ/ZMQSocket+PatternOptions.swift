internal import CZeroMQ

// Options that shape how the messaging patterns route and filter messages.
extension ZMQSocket {
    /// The identity a ROUTER peer sees in the first frame of this socket's messages
    /// (1-255 bytes, not starting with a zero byte). Set it before connecting.
    public func setRoutingId(_ id: [UInt8]) throws(ZMQError) {
        try setBytesOption(ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID", id)
    }

    /// The routing id set with ``setRoutingId(_:)``; empty if none was set.
    public var routingId: [UInt8] {
        get throws(ZMQError) { try bytesOption(ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID", capacity: 255) }
    }

    /// SUB/XSUB: receive messages whose first frame starts with `prefix`
    /// (an empty prefix subscribes to everything).
    public func subscribe(_ prefix: [UInt8]) throws(ZMQError) {
        try setBytesOption(ZMQ_SUBSCRIBE, "ZMQ_SUBSCRIBE", prefix)
    }

    /// SUB/XSUB: subscribe to the UTF-8 bytes of `prefix` ("" subscribes to everything).
    public func subscribe(_ prefix: String) throws(ZMQError) {
        try setStringOption(ZMQ_SUBSCRIBE, "ZMQ_SUBSCRIBE", prefix)
    }

    /// SUB/XSUB: remove one earlier ``subscribe(_:)-([UInt8])`` of exactly `prefix`.
    public func unsubscribe(_ prefix: [UInt8]) throws(ZMQError) {
        try setBytesOption(ZMQ_UNSUBSCRIBE, "ZMQ_UNSUBSCRIBE", prefix)
    }

    /// SUB/XSUB: remove one earlier subscription to the UTF-8 bytes of `prefix`.
    public func unsubscribe(_ prefix: String) throws(ZMQError) {
        try setStringOption(ZMQ_UNSUBSCRIBE, "ZMQ_UNSUBSCRIBE", prefix)
    }

    /// ROUTER: make sends to an unknown routing id fail with `EHOSTUNREACH`
    /// (``ZMQError/isHostUnreachable``) instead of being silently dropped.
    public func setRouterMandatory(_ enabled: Bool) throws(ZMQError) {
        try setInt32Option(ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY", enabled ? 1 : 0)
    }

    /// ROUTER/DEALER/REQ: send an empty message on connect, so a ROUTER learns this
    /// peer's routing id before it has sent anything.
    public func setProbeRouter(_ enabled: Bool) throws(ZMQError) {
        try setInt32Option(ZMQ_PROBE_ROUTER, "ZMQ_PROBE_ROUTER", enabled ? 1 : 0)
    }
}
