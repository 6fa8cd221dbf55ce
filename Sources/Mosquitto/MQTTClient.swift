internal import CMosquitto
import Threads

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
    let loop = ConditionLock(LoopState())

    struct LoopState {
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
            // Without a thread (the system is out of them) the handle is left, not freed on its own loop thread.
            try? DetachedThread.spawn {
                _ = mosquitto_loop_stop(owned.pointer, false)
                mosquitto_destroy(owned.pointer)
                _ = events  // keep the user data alive until the loop has stopped
            }
            return
        }
        if running { _ = mosquitto_loop_stop(handle, false) }
        mosquitto_destroy(handle)
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

    /// The libmosquitto handle, for the extensions in the other MQTTClient+*.swift files.
    var rawHandle: OpaquePointer { handle }
}

/// Moves the handle to the thread that frees it.
private struct OwnedHandle: @unchecked Sendable {
    // Safe: after the owning client's deinit only the destroying thread uses the pointer.
    let pointer: OpaquePointer
}
