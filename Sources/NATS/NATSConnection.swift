internal import CNATS

/// A connection to a NATS server (one nats.c `natsConnection`, destroyed in `deinit`).
///
/// nats.c runs the connection on its own threads: it reads, writes, pings and reconnects in the
/// background. Every method here is a plain blocking call; call them from your own threads, not from
/// Swift's cooperative pool. Events arrive through ``NATSConnectionOptions/onEvent`` on a nats.c thread.
public final class NATSConnection: @unchecked Sendable {
    // Safe: `handle` never changes, and nats.c's connection functions lock the connection internally,
    // so they may be called from any thread; the handle is destroyed only in deinit, when no other
    // reference exists.
    let handle: OpaquePointer
    private let eventToken: Int

    /// The options the connection was made with.
    public let options: NATSConnectionOptions

    /// Connects to the first reachable server of `options.servers`.
    ///
    /// Throws if none is reachable, unless ``NATSConnectionOptions/retryOnFailedConnect`` is set:
    /// then it returns a connection that keeps trying in the background (``isConnected`` is false
    /// until then, and publishes are buffered).
    public init(options: NATSConnectionOptions) throws(NATSError) {
        try NATSLibrary.ensureInitialized()
        let token = connectionEvents.register(ConnectionEventSink(handler: options.onEvent))
        var natsOptions: OpaquePointer?
        do throws(NATSError) {
            try NATSError.check(natsOptions_Create(&natsOptions), "natsOptions_Create")
            defer { natsOptions_Destroy(natsOptions) }
            try Self.configure(natsOptions, options, token: token)
            var connection: OpaquePointer?
            let status = natsConnection_Connect(&connection, natsOptions)
            guard status == NATS_OK || (status == NATS_NOT_YET_CONNECTED && connection != nil), let connection else {
                throw NATSError.last(status, "natsConnection_Connect")
            }
            self.handle = connection
        } catch {
            connectionEvents.remove(token)
            throw error
        }
        self.eventToken = token
        self.options = options
    }

    deinit {
        // Destroy closes the connection first; the closed event then unregisters the sink.
        natsConnection_Destroy(handle)
    }

    private static func configure(_ natsOptions: OpaquePointer?, _ options: NATSConnectionOptions, token: Int) throws(NATSError) {
        var pool = CStringPool()
        let servers = pool.copyArray(options.servers)
        try NATSError.check(natsOptions_SetServers(natsOptions, servers, Int32(options.servers.count)), "natsOptions_SetServers")
        try NATSError.check(natsOptions_SetNoRandomize(natsOptions, true), "natsOptions_SetNoRandomize")
        if let name = options.name {
            try NATSError.check(natsOptions_SetName(natsOptions, name), "natsOptions_SetName")
        }
        if options.user != nil || options.password != nil {
            try NATSError.check(natsOptions_SetUserInfo(natsOptions, options.user, options.password), "natsOptions_SetUserInfo")
        }
        if let token = options.token {
            try NATSError.check(natsOptions_SetToken(natsOptions, token), "natsOptions_SetToken")
        }
        if let file = options.credentialsFile {
            try NATSError.check(natsOptions_SetUserCredentialsFromFiles(natsOptions, file, nil), "natsOptions_SetUserCredentialsFromFiles")
        }
        if let caFile = options.caFile {
            try NATSError.check(natsOptions_SetSecure(natsOptions, true), "natsOptions_SetSecure")
            try NATSError.check(natsOptions_LoadCATrustedCertificates(natsOptions, caFile), "natsOptions_LoadCATrustedCertificates")
        }
        try NATSError.check(natsOptions_SetTimeout(natsOptions, Int64(options.connectTimeoutMs)), "natsOptions_SetTimeout")
        try NATSError.check(natsOptions_SetReconnectWait(natsOptions, Int64(options.reconnectWaitMs)), "natsOptions_SetReconnectWait")
        try NATSError.check(natsOptions_SetMaxReconnect(natsOptions, Int32(clamping: options.maxReconnect)), "natsOptions_SetMaxReconnect")
        try NATSError.check(natsOptions_SetPingInterval(natsOptions, Int64(options.pingIntervalMs)), "natsOptions_SetPingInterval")

        let closure = CallbackRegistry<ConnectionEventSink>.closure(for: token)
        try NATSError.check(natsOptions_SetDisconnectedCB(natsOptions, onDisconnected, closure), "natsOptions_SetDisconnectedCB")
        try NATSError.check(natsOptions_SetReconnectedCB(natsOptions, onReconnected, closure), "natsOptions_SetReconnectedCB")
        try NATSError.check(natsOptions_SetClosedCB(natsOptions, onClosed, closure), "natsOptions_SetClosedCB")
        try NATSError.check(natsOptions_SetErrorHandler(natsOptions, onAsyncError, closure), "natsOptions_SetErrorHandler")
        if options.retryOnFailedConnect {
            try NATSError.check(natsOptions_SetRetryOnFailedConnect(natsOptions, true, onConnected, closure),
                                "natsOptions_SetRetryOnFailedConnect")
        }
    }

    /// Whether the connection is up right now.
    public var isConnected: Bool { natsConnection_Status(handle) == NATS_CONN_STATUS_CONNECTED }

    /// Whether the connection is closed for good.
    public var isClosed: Bool { natsConnection_IsClosed(handle) }

    /// The connection's current state.
    public var status: NATSConnectionStatus {
        switch natsConnection_Status(handle) {
        case NATS_CONN_STATUS_CONNECTED: .connected
        case NATS_CONN_STATUS_CONNECTING: .connecting
        case NATS_CONN_STATUS_RECONNECTING: .reconnecting
        case NATS_CONN_STATUS_CLOSED: .closed
        case NATS_CONN_STATUS_DRAINING_SUBS, NATS_CONN_STATUS_DRAINING_PUBS: .draining
        default: .disconnected
        }
    }

    /// Sends everything buffered and waits until the server has processed it (a PING/PONG round trip).
    public func flush(timeoutMs: Int = 5000) throws(NATSError) {
        try NATSError.check(natsConnection_FlushTimeout(handle, Int64(timeoutMs)), "natsConnection_FlushTimeout")
    }

    /// Closes the connection: no more reconnects; later calls fail with ``NATSStatus/connectionClosed``.
    /// Calling it again does nothing.
    public func close() {
        natsConnection_Close(handle)
    }

    /// Publishes a core NATS message (fire and forget; no JetStream acknowledgement).
    public func publish(_ message: NATSOutgoingMessage) throws(NATSError) {
        let msg = try message.makeNATSMessage()
        defer { natsMsg_Destroy(msg) }
        try NATSError.check(natsConnection_PublishMsg(handle, msg), "natsConnection_PublishMsg")
    }

    /// Publishes a core NATS message built from its parts.
    public func publish(subject: String, headers: [(name: String, value: String)] = [], body: [UInt8]) throws(NATSError) {
        try publish(NATSOutgoingMessage(subject: subject, headers: headers, body: body))
    }
}

// MARK: - Events

/// The receiver of one connection's events, found through its registry token.
struct ConnectionEventSink: Sendable {
    let handler: (@Sendable (NATSConnectionEvent) -> Void)?
}

let connectionEvents = CallbackRegistry<ConnectionEventSink>()

private func deliver(_ closure: UnsafeMutableRawPointer?, _ event: NATSConnectionEvent) {
    connectionEvents.lookup(closure)?.handler?(event)
}

private let onConnected: natsConnectionHandler = { _, closure in deliver(closure, .connected) }
private let onDisconnected: natsConnectionHandler = { _, closure in deliver(closure, .disconnected) }
private let onReconnected: natsConnectionHandler = { _, closure in deliver(closure, .reconnected) }
private let onClosed: natsConnectionHandler = { _, closure in
    // The last event of a connection: unregister, then report.
    guard let closure else { return }
    connectionEvents.remove(Int(bitPattern: closure))?.handler?(.closed)
}
private let onAsyncError: natsErrHandler = { _, subscription, status, closure in
    var text = String(cString: natsStatus_GetText(status))
    if let subscription, let subject = natsSubscription_GetSubject(subscription) {
        text += " (subscription \(String(cString: subject)))"
    }
    deliver(closure, .asyncError(text))
}
