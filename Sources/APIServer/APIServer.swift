import Dispatch
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The API's HTTP/1.1 server, on Hummingbird: every request that passes the server's limits goes to
/// `handler`, every other gets `refusalResponse`'s answer (see ``APIRefusal``).
///
/// The handler may block (it may wait for another thread of the bridge): it runs on a queue of the API's
/// own, never on an event loop or the cooperative pool, and the request's task waits for it without
/// holding a thread.
///
/// Run it as a service (``run()``, which ends when its task is cancelled), or with ``start()`` and
/// ``stop()`` from synchronous code; ``boundPort`` tells the port either way.
public final class APIServer: Service, Sendable {
    /// Limits that protect the server from oversized, slow or too many clients.
    public struct Limits: Sendable, Hashable {
        /// Most bytes of the request line, and of the header fields together. Default 64 KiB.
        public var maxHeaderBytes: Int
        /// How long a connection may stay idle before it is closed. Default 30 s.
        public var idleTimeout: Duration
        /// Most connections open at once; more wait to be accepted. Default 1024.
        public var maxConnections: Int
        /// The methods accepted; others get 405 from the server itself, whatever body they carry.
        public var allowedMethods: [String]
        /// Paths that also take `POST` with a body of at most ``maxBodyBytes`` (sent with `Content-Length`;
        /// larger ones get 413). Everywhere else a body gets 413 and `POST` 405.
        public var postPaths: Set<String>
        public var maxBodyBytes: Int

        public init(maxHeaderBytes: Int = 65_536, idleTimeout: Duration = .seconds(30), maxConnections: Int = 1024,
                    allowedMethods: [String] = ["GET", "HEAD"], postPaths: Set<String> = [], maxBodyBytes: Int = 0) {
            self.maxHeaderBytes = maxHeaderBytes
            self.idleTimeout = idleTimeout
            self.maxConnections = maxConnections
            self.allowedMethods = allowedMethods
            self.postPaths = postPaths
            self.maxBodyBytes = maxBodyBytes
        }

        /// Whether a request with `method` on `uri` (path and query) may carry a body.
        func takesBody(method: String, uri: String) -> Bool {
            method == "POST" && postPaths.contains(String(uri.prefix { $0 != "?" }))
        }
    }

    private struct Running: Sendable {
        var port: Int?
        var starting: StartOutcome?
        var channels: OpenChannels?
    }

    /// The host given at creation: a name or an IPv4 or IPv6 literal.
    public let host: String
    /// The port asked for; 0 lets the system choose (see ``boundPort``).
    public let port: Int
    public let limits: Limits
    let logger: Logger
    let handler: @Sendable (APIRequest) -> APIResponse
    let refusalResponse: @Sendable (APIRefusal) -> APIResponse
    private let running = Mutex(Running())
    private let served = Atomic<Int>(0)
    /// Where handlers run: they may block, so not on an event loop or the cooperative pool.
    let blockingQueue = DispatchQueue(label: "mqbridge.api.handlers", attributes: .concurrent)

    public init(host: String, port: Int, limits: Limits = Limits(), logger: Logger,
                refusalResponse: @escaping @Sendable (APIRefusal) -> APIResponse = { $0.textResponse },
                handler: @escaping @Sendable (APIRequest) -> APIResponse) {
        self.host = host
        self.port = port
        self.limits = limits
        self.logger = logger
        self.refusalResponse = refusalResponse
        self.handler = handler
    }

    /// The port the server listens on while it runs (the chosen one when asked for port 0), nil otherwise.
    public var boundPort: Int? { running.withLock { $0.port } }

    /// Requests answered so far, refusals included.
    public var requestsServed: Int { served.load(ordering: .relaxed) }

    func countRequest() { served.add(1, ordering: .relaxed) }

    /// Serves until the task is cancelled or the service group shuts down gracefully (open event streams
    /// end within a second then).
    /// - Throws: when the address cannot be bound.
    public func run() async throws {
        try await serve(channels: nil)
    }

    /// Serves; with `channels`, every connection is kept there for ``stop()`` to close.
    private func serve(channels: OpenChannels?) async throws {
        let limits = limits
        let refusalResponse = refusalResponse
        let server = HTTPServerBuilder { responder in
            var http1 = HTTP1Channel.Configuration(
                idleTimeout: TimeAmount.nanoseconds(Int64(limits.idleTimeout.components.seconds) * 1_000_000_000),
                // The decoder's own limits are looser than the API's (it counts the request line among the headers):
                // the gate answers 414 or 431 for what lies between, the decoder's overflow is a 431.
                httpDecoderConfiguration: .init(maxHeaderFieldSize: 4 * limits.maxHeaderBytes, maxHeaderListSize: 4 * limits.maxHeaderBytes))
            http1.additionalChannelHandlers = { [] }
            return APIChannel(
                http1: HTTP1Channel(responder: responder, configuration: http1),
                gate: { [self] in
                    APIRequestGate(limits: limits, refusalResponse: refusalResponse, counted: { self.countRequest() })
                },
                opened: { channel in channels?.opened(channel) })
        }
        let application = Application(
            responder: APIResponder(server: self),
            server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: port), serverName: "mqbridge",
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections)),
            onServerRunning: { [self] channel in
                channels?.listening(on: channel)
                let port = channel.localAddress?.port ?? 0
                let starting = running.withLock { running in
                    running.port = port
                    return running.starting
                }
                starting?.settle(.success(port))
            },
            logger: logger)
        defer { running.withLock { $0.port = nil } }
        try await application.run()
    }

    /// Binds and starts serving on a task of the API's own; returns once the server listens.
    /// - Throws: ``APIServerError`` when the address cannot be bound (or the server is already running).
    public func start() throws(APIServerError) {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let starting = StartOutcome()
        let claimed = running.withLock { running in
            guard running.starting == nil else { return false }
            running.starting = starting
            return true
        }
        guard claimed else { throw APIServerError("the HTTP API on \(address) is already running") }
        let channels = OpenChannels()
        running.withLock { $0.channels = channels }
        Task(executorPreference: ThreadExecutor.shared) { [self] in
            do {
                try await serve(channels: channels)
                starting.settle(.failure(APIServerError("cannot listen on \(address): the server ended before it listened")))
            } catch {
                starting.settle(.failure(APIServerError("cannot listen on \(address): \(error)")))
            }
            starting.finished.signal()
        }
        switch starting.wait() {
        case .success(let port):
            logger.info("HTTP server listening", metadata: ["address": "\(host):\(port)"])
        case .failure(let error):
            starting.finished.wait()
            running.withLock { $0 = Running() }
            throw error
        }
    }

    /// Stops the server started by ``start()`` and waits for it to end; open connections (event streams
    /// included) are closed. Does nothing when it does not run.
    public func stop() {
        let stopping = running.withLock { running in
            defer { running = Running() }
            return running
        }
        guard let starting = stopping.starting else { return }
        // Closing the listener ends the accept loop; closing the connections ends their tasks, and with
        // them the server's run.
        stopping.channels?.closeAll()
        starting.finished.wait()
        logger.info("HTTP server stopped")
    }
}

/// How a start ended: the first of listening or failing; `finished` is signalled when the server's task ends.
private final class StartOutcome: Sendable {
    let finished = DispatchSemaphore(value: 0)
    private let settled = DispatchSemaphore(value: 0)
    private let outcome = Mutex<Result<Int, APIServerError>?>(nil)

    func settle(_ result: Result<Int, APIServerError>) {
        let first = outcome.withLock { outcome in
            guard outcome == nil else { return false }
            outcome = result
            return true
        }
        if first { settled.signal() }
    }

    func wait() -> Result<Int, APIServerError> {
        settled.wait()
        return outcome.withLock { $0! }
    }
}

/// The server could not start.
public struct APIServerError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
