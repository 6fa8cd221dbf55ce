import CMosquitto

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An MQTT client: one libmosquitto `struct mosquitto *`, owned by this object and destroyed in `deinit`.
///
/// Typical use:
/// ```swift
/// let client = try MQTTClient(clientID: "bridge-1", cleanStart: true)
/// client.onMessage = { message in ... }          // set handlers before connecting
/// let connack = try client.connectAndWait(host: "127.0.0.1", port: 1883, timeout: .seconds(5))
/// let mid = try client.publish(topic: "a/b", payload: Array("hi".utf8), qos: .atLeastOnce)
/// ```
///
/// Threading rules:
/// - Configure (credentials, TLS, reconnect delay, inflight limits, session expiry) before connecting.
/// - After ``startLoop()`` libmosquitto runs its own network thread; it reconnects automatically
///   after unexpected disconnects (see ``setReconnectDelay(min:max:exponential:)``).
/// - ``publish(topic:payload:qos:retain:properties:)``, ``subscribe(filter:qos:noLocal:)``,
///   ``unsubscribe(filter:)`` and ``disconnect()`` may be called from any thread, also from handlers.
/// - All handlers run on libmosquitto's loop thread, one at a time. Keep them short: while a handler
///   runs the client neither reads nor writes the socket. Do not call ``stopLoop(force:)`` from a handler.
/// - Handlers should capture the client weakly; a strong capture keeps it alive forever.
public final class MQTTClient: @unchecked Sendable {
    // Safe: `handle` is only used through libmosquitto calls that lock internally (publish, subscribe,
    // disconnect, loop control) or that are documented as configure-before-connect; the Swift-side
    // mutable state lives in `events.state` and `loop`, both behind locks.
    private let handle: OpaquePointer
    let events: MQTTClientEvents
    private let loop = ConditionLock(LoopState())

    private struct LoopState {
        var running = false
        var sessionExpiryInterval: UInt32?
    }

    /// The client identifier given at creation (`nil`: the broker assigns one, clean start only).
    public let clientID: String?
    /// The MQTT protocol version this client speaks.
    public let protocolVersion: MQTTProtocolVersion

    /// Creates a client. `cleanStart: false` asks the broker to keep the session (for MQTT 5 also
    /// set ``setSessionExpiry(_:)``, otherwise the broker drops the session at disconnect).
    public init(clientID: String?, cleanStart: Bool = true, protocolVersion: MQTTProtocolVersion = .v5) throws(MosquittoError) {
        MosquittoLibrary.ensureInitialized()
        if let clientID, clientID.utf8.contains(0) { throw .embeddedNUL("mosquitto_new", what: "client id") }
        let events = MQTTClientEvents(protocolVersion: protocolVersion)
        let userData = Unmanaged.passUnretained(events).toOpaque()
        let created: OpaquePointer? = if let clientID {
            clientID.withCString { mosquitto_new($0, cleanStart, userData) }
        } else {
            mosquitto_new(nil, cleanStart, userData)
        }
        guard let created else {
            // mosquitto_new sets errno: EINVAL (nil id without clean start) or ENOMEM.
            throw MosquittoError(returnCode: MOSQ_ERR_ERRNO.rawValue, errno: errno, operation: "mosquitto_new")
        }
        self.handle = created
        self.events = events
        self.clientID = clientID
        self.protocolVersion = protocolVersion
        do {
            try MosquittoError.check(
                mosquitto_int_option(created, MOSQ_OPT_PROTOCOL_VERSION, Int32(protocolVersion.rawValue)),
                "mosquitto_int_option(PROTOCOL_VERSION)")
        } catch {
            mosquitto_destroy(created)
            throw error
        }
        installCallbacks(on: created)
    }

    deinit {
        let running = loop.withLock { $0.running }
        let handle = self.handle
        _ = mosquitto_disconnect(handle)
        if running && events.isOnCallbackThread {
            // The last reference went away inside a handler: the loop thread cannot join itself,
            // so a helper thread waits for the loop to finish and then frees the handle.
            let events = self.events
            let owned = OwnedHandle(pointer: handle)
            spawnDetachedThread {
                _ = mosquitto_loop_stop(owned.pointer, false)
                mosquitto_destroy(owned.pointer)
                _ = events  // keep the user data alive until the loop has stopped
            }
            return
        }
        if running { _ = mosquitto_loop_stop(handle, false) }
        mosquitto_destroy(handle)
    }

    // MARK: Configuration (before connecting)

    /// Sets the user name and password sent in CONNECT.
    public func setCredentials(username: String, password: String?) throws(MosquittoError) {
        guard !username.utf8.contains(0), !(password?.utf8.contains(0) ?? false) else {
            throw .embeddedNUL("mosquitto_username_pw_set", what: "credential")
        }
        let rc = username.withCString { user in
            if let password {
                return password.withCString { mosquitto_username_pw_set(handle, user, $0) }
            }
            return mosquitto_username_pw_set(handle, user, nil)
        }
        try MosquittoError.check(rc, "mosquitto_username_pw_set")
    }

    /// Enables TLS (`mosquitto_tls_set`); `insecure: true` skips the server host name check.
    public func setTLS(caFile: String, certFile: String? = nil, keyFile: String? = nil, insecure: Bool = false) throws(MosquittoError) {
        let rc = caFile.withCString { ca in
            withOptionalCString(certFile) { cert in
                withOptionalCString(keyFile) { key in mosquitto_tls_set(handle, ca, nil, cert, key, nil) }
            }
        }
        try MosquittoError.check(rc, "mosquitto_tls_set")
        try MosquittoError.check(mosquitto_tls_insecure_set(handle, insecure), "mosquitto_tls_insecure_set")
    }

    /// Sets the automatic reconnect delay in seconds (default: 1 s, no backoff).
    public func setReconnectDelay(min: UInt32, max: UInt32, exponential: Bool) throws(MosquittoError) {
        try MosquittoError.check(mosquitto_reconnect_delay_set(handle, min, max, exponential), "mosquitto_reconnect_delay_set")
    }

    /// Sets how many outgoing QoS 1/2 messages may be in flight (1...65535, default 20).
    /// Further publishes are queued inside libmosquitto until acks arrive.
    public func setMaxInflight(_ count: Int) throws(MosquittoError) {
        try setIntOption(MOSQ_OPT_SEND_MAXIMUM, count, "mosquitto_int_option(SEND_MAXIMUM)")
    }

    /// Sets the MQTT 5 receive maximum: how many incoming QoS 1/2 messages the broker may have
    /// in flight to us (1...65535, default 20). Ignored by MQTT 3.1.1.
    public func setReceiveMaximum(_ count: Int) throws(MosquittoError) {
        try setIntOption(MOSQ_OPT_RECEIVE_MAXIMUM, count, "mosquitto_int_option(RECEIVE_MAXIMUM)")
    }

    /// Sets the MQTT 5 session expiry interval (seconds) sent in CONNECT; needed for a session
    /// that outlives the connection. Ignored by MQTT 3.1.1 (there `cleanStart: false` suffices).
    public func setSessionExpiry(_ seconds: UInt32) {
        loop.withLock { $0.sessionExpiryInterval = seconds }
    }

    private func setIntOption(_ option: mosq_opt_t, _ value: Int, _ operation: String) throws(MosquittoError) {
        guard (1...65535).contains(value) else {
            throw MosquittoError(code: .invalid, operation: operation, message: "value \(value) outside 1...65535")
        }
        try MosquittoError.check(mosquitto_int_option(handle, option, Int32(value)), operation)
    }

    // MARK: Connection

    /// Starts connecting. Name resolution and the TCP connect happen now, on the calling thread
    /// (a refused port or unknown host throws here); the CONNACK is delivered later to
    /// ``onConnect`` by the loop thread (call ``startLoop()`` afterwards).
    public func connect(host: String, port: Int = 1883, keepAlive: Int = 60) throws(MosquittoError) {
        guard !host.utf8.contains(0) else { throw .embeddedNUL("mosquitto_connect_bind_v5", what: "host") }
        let expiry = loop.withLock { $0.sessionExpiryInterval }
        let properties = PropertyList()
        if protocolVersion == .v5, let expiry {
            try properties.addInt32(MQTT_PROP_SESSION_EXPIRY_INTERVAL, expiry)
        }
        let rc = host.withCString {
            mosquitto_connect_bind_v5(handle, $0, Int32(port), Int32(keepAlive), nil, properties.head)
        }
        try MosquittoError.check(rc, "mosquitto_connect_bind_v5(\(host):\(port))")
    }

    /// Connects, starts the loop if it is not running, and blocks until the CONNACK arrives.
    /// Returns the successful CONNACK; throws ``MosquittoError/Code-swift.struct/connectionRefused`` (with
    /// ``MosquittoError/reasonCode``) on refusal, ``MosquittoError/Code-swift.struct/timeout`` on timeout, or the
    /// connect error. Do not call from a handler.
    @discardableResult
    public func connectAndWait(host: String, port: Int = 1883, keepAlive: Int = 60,
                               timeout: Duration = .seconds(10)) throws(MosquittoError) -> MQTTConnectResult {
        let (connacks, disconnects) = events.state.withLock { ($0.connackCount, $0.disconnectCount) }
        try connect(host: host, port: port, keepAlive: keepAlive)
        if !isLoopRunning { try startLoop() }
        return try waitForConnack(after: connacks, disconnectsBefore: disconnects, timeout: timeout)
    }

    /// Blocks until the next CONNACK (counting from `connacks`), a disconnect, or the timeout.
    private func waitForConnack(after connacks: Int, disconnectsBefore disconnects: Int,
                                timeout: Duration) throws(MosquittoError) -> MQTTConnectResult {
        enum Outcome { case connack(MQTTConnectResult), disconnected(Int) }
        let outcome = events.state.wait(timeout: timeout) { state -> Outcome? in
            if state.connackCount > connacks, let connack = state.lastConnack { return .connack(connack) }
            if state.disconnectCount > disconnects { return .disconnected(state.lastDisconnectReason) }
            return nil
        }
        switch outcome {
        case .connack(let result) where result.isSuccess:
            return result
        case .connack(let result):
            throw MosquittoError(code: .connectionRefused, operation: "connect",
                                 message: result.reasonDescription, reasonCode: result.reasonCode)
        case .disconnected(let code):
            throw MosquittoError(code: MosquittoError.Code(rawValue: Int32(truncatingIfNeeded: code)),
                                 operation: "connect (connection closed before CONNACK)")
        case nil:
            throw MosquittoError(code: .timeout, operation: "connect", message: "no CONNACK within \(timeout)")
        }
    }

    /// Sends DISCONNECT (reason 0). ``onDisconnect`` then fires with `0` and no reconnect happens.
    /// Throws ``MosquittoError/Code-swift.struct/noConnection`` if there is no connection.
    public func disconnect() throws(MosquittoError) {
        try MosquittoError.check(mosquitto_disconnect(handle), "mosquitto_disconnect")
    }

    /// `true` from a successful CONNACK (after ``onConnect`` ran) until the next disconnect (after ``onDisconnect`` ran).
    public var isConnected: Bool { events.state.withLock { $0.isConnected } }

    // MARK: Loop thread

    /// Starts libmosquitto's network thread (`mosquitto_loop_start`), which also reconnects.
    public func startLoop() throws(MosquittoError) {
        try loop.withLock { (state: inout LoopState) throws(MosquittoError) in
            guard !state.running else { return }
            try MosquittoError.check(mosquitto_loop_start(handle), "mosquitto_loop_start")
            state.running = true
        }
    }

    /// Stops the network thread and waits for it. Without `force`, call ``disconnect()`` first
    /// (otherwise this blocks while the connection stays up); `force` cancels the thread.
    /// Must not be called from a handler.
    public func stopLoop(force: Bool = false) throws(MosquittoError) {
        if events.isOnCallbackThread {
            throw MosquittoError(code: .invalid, operation: "mosquitto_loop_stop",
                                 message: "stopLoop called from a handler on the loop thread")
        }
        try loop.withLock { (state: inout LoopState) throws(MosquittoError) in
            guard state.running else { return }
            try MosquittoError.check(mosquitto_loop_stop(handle, force), "mosquitto_loop_stop")
            state.running = false
        }
        events.forgetCallbackThread()
    }

    /// Whether ``startLoop()`` has been called without a matching ``stopLoop(force:)``.
    public var isLoopRunning: Bool { loop.withLock { $0.running } }

    /// Direct access for the operations in MQTTClient+Operations.swift.
    var rawHandle: OpaquePointer { handle }
}

/// Moves the handle to the thread that frees it.
private struct OwnedHandle: @unchecked Sendable {
    // Safe: after the owning client's deinit only the destroying thread uses the pointer.
    let pointer: OpaquePointer
}

/// Calls `body` with a C string for `value`, or with `nil`.
func withOptionalCString<R>(_ value: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    if let value { return value.withCString { body($0) } }
    return body(nil)
}
