internal import CMosquitto

/// Handlers and the thread-safe MQTT operations.
extension MQTTClient {
    // MARK: Handlers (set before connecting; all run on libmosquitto's loop thread)

    /// CONNACK received (also after each automatic reconnect). Runs on the loop thread.
    public var onConnect: MQTTConnectHandler? {
        get { events.state.withLock { $0.onConnect } }
        set { events.state.withLock { $0.onConnect = newValue } }
    }

    /// Connection ended: `0` after ``disconnect()``, non-zero when unexpected (the loop reconnects).
    /// Runs on the loop thread.
    public var onDisconnect: MQTTDisconnectHandler? {
        get { events.state.withLock { $0.onDisconnect } }
        set { events.state.withLock { $0.onDisconnect = newValue } }
    }

    /// A message arrived. Runs on the loop thread. For QoS 1 libmosquitto 2.0 has already queued the
    /// PUBACK before this runs, and there is no manual acknowledgement; a thread that drives the connection
    /// itself keeps the PUBACK from leaving before it is done with the message with ``useExternalLoop()``.
    public var onMessage: MQTTMessageHandler? {
        get { events.state.withLock { $0.onMessage } }
        set { events.state.withLock { $0.onMessage = newValue } }
    }

    /// One of our publishes completed (`mid` as returned by ``publish(topic:payload:qos:retain:properties:)``).
    /// Runs on the loop thread.
    public var onPublishCompleted: MQTTPublishCompletedHandler? {
        get { events.state.withLock { $0.onPublishCompleted } }
        set { events.state.withLock { $0.onPublishCompleted = newValue } }
    }

    /// SUBACK received. Runs on the loop thread.
    public var onSubscribe: MQTTSubscribeHandler? {
        get { events.state.withLock { $0.onSubscribe } }
        set { events.state.withLock { $0.onSubscribe = newValue } }
    }

    /// UNSUBACK received. Runs on the loop thread.
    public var onUnsubscribe: MQTTUnsubscribeHandler? {
        get { events.state.withLock { $0.onUnsubscribe } }
        set { events.state.withLock { $0.onUnsubscribe = newValue } }
    }

    /// libmosquitto's client log. Runs on the loop thread (or the calling thread for API calls).
    public var onLog: MQTTLogHandler? {
        get { events.state.withLock { $0.onLog } }
        set { changeLogging { $0.onLog = newValue } }
    }

    /// Whether ``onLog`` is called while the connection is up (the default). When false, libmosquitto's log
    /// callback is removed at each successful CONNACK and put back when the connection ends, so ``onLog``
    /// still hears what goes wrong while connecting (a failed TLS handshake is reported only there) but a
    /// connected client no longer has each of its packets' log lines formatted and allocated.
    public var logsWhileConnected: Bool {
        get { events.state.withLock { $0.logsWhileConnected } }
        set { changeLogging { $0.logsWhileConnected = newValue } }
    }

    /// Applies `change`, then installs or removes libmosquitto's log callback as the new state wants: libmosquitto
    /// formats every log line (several per message) only while a callback is set.
    private func changeLogging(_ change: (inout MQTTClientEvents.State) -> Void) {
        let installed = events.state.withLock { state in
            change(&state)
            return state.wantsLogCallback
        }
        Self.setLogCallback(on: rawHandle, installed: installed)
    }

    // MARK: Operations (any thread)

    /// Publishes a message and returns its message id (mid), which ``onPublishCompleted`` reports later.
    ///
    /// While disconnected, a QoS 1/2 message is still queued by libmosquitto and sent after the next
    /// (re)connect; libmosquitto reports `MOSQ_ERR_NO_CONN` for it, which this method treats as
    /// success and returns the mid. A QoS 0 publish while disconnected throws
    /// ``MosquittoError/Code-swift.struct/noConnection`` and is dropped.
    /// `properties` are sent on MQTT 5 connections and dropped on MQTT 3.1.1.
    @discardableResult
    public func publish(topic: String, payload: [UInt8], qos: MQTTQoS = .atMostOnce, retain: Bool = false,
                        properties: MQTTPublishProperties? = nil) throws(MosquittoError) -> Int {
        guard !topic.utf8.contains(0) else { throw .embeddedNUL("mosquitto_publish_v5", what: "topic") }
        let list: PropertyList? = if protocolVersion == .v5, let properties, !properties.isEmpty {
            try PropertyList(publish: properties)
        } else {
            nil
        }
        var mid: Int32 = 0
        let rc = topic.withCString { cTopic in
            payload.withUnsafeBytes { bytes in
                mosquitto_publish_v5(rawHandle, &mid, cTopic, Int32(clamping: bytes.count), bytes.baseAddress,
                                     Int32(qos.rawValue), retain, list?.head)
            }
        }
        if rc == MOSQ_ERR_NO_CONN.rawValue && qos != .atMostOnce && mid != 0 {
            return Int(mid)  // queued in libmosquitto's outgoing list; sent on reconnect
        }
        try MosquittoError.check(rc, "mosquitto_publish_v5(\(topic))")
        return Int(mid)
    }

    /// Subscribes to a topic filter and returns the mid that ``onSubscribe`` reports.
    /// `noLocal` (MQTT 5 only; throws ``MosquittoError/Code-swift.struct/notSupported`` on 3.1.1) stops the broker
    /// from sending our own publishes back to us.
    @discardableResult
    ///
    /// `retainAsPublished` (MQTT 5) keeps the publisher's retain flag on messages delivered live; otherwise
    /// the broker clears it for existing subscriptions.
    public func subscribe(filter: String, qos: MQTTQoS = .atMostOnce, noLocal: Bool = false,
                          retainAsPublished: Bool = false, retainHandling: MQTTRetainHandling = .always) throws(MosquittoError) -> Int {
        guard !filter.utf8.contains(0) else { throw .embeddedNUL("mosquitto_subscribe_v5", what: "topic filter") }
        if (noLocal || retainAsPublished || retainHandling != .always) && protocolVersion != .v5 {
            throw MosquittoError(code: .notSupported, operation: "mosquitto_subscribe_v5",
                                 message: "noLocal, retainAsPublished and retain handling need MQTT 5")
        }
        var options: Int32 = noLocal ? Int32(MQTT_SUB_OPT_NO_LOCAL.rawValue) : 0
        if retainAsPublished { options |= Int32(MQTT_SUB_OPT_RETAIN_AS_PUBLISHED.rawValue) }
        switch retainHandling {
        case .always: break
        case .newSubscriptionOnly: options |= Int32(MQTT_SUB_OPT_SEND_RETAIN_NEW.rawValue)
        case .never: options |= Int32(MQTT_SUB_OPT_SEND_RETAIN_NEVER.rawValue)
        }
        var mid: Int32 = 0
        let rc = filter.withCString { mosquitto_subscribe_v5(rawHandle, &mid, $0, Int32(qos.rawValue), options, nil) }
        try MosquittoError.check(rc, "mosquitto_subscribe_v5(\(filter))")
        return Int(mid)
    }

    /// Unsubscribes from a topic filter and returns the mid that ``onUnsubscribe`` reports.
    @discardableResult
    public func unsubscribe(filter: String) throws(MosquittoError) -> Int {
        guard !filter.utf8.contains(0) else { throw .embeddedNUL("mosquitto_unsubscribe", what: "topic filter") }
        var mid: Int32 = 0
        let rc = filter.withCString { mosquitto_unsubscribe(rawHandle, &mid, $0) }
        try MosquittoError.check(rc, "mosquitto_unsubscribe(\(filter))")
        return Int(mid)
    }
}
