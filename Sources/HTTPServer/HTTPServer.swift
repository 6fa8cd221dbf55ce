import Logging
internal import Synchronization

/// A small HTTP/1.1 server for the bridge's API, on one thread of its own.
///
/// ```swift
/// let server = HTTPServer(host: "127.0.0.1", port: 8080, logger: logger) { request in
///     request.path == "/healthz" ? .text(body: "ok\n") : .text(status: 404, body: "not found\n")
/// }
/// try server.start()
/// // ...
/// server.stop()
/// ```
///
/// One thread owns the listening socket and every connection and waits on them with `poll()`;
/// sockets are non-blocking, each connection buffers its unsent output. Connections are kept
/// alive between requests (HTTP/1.1 rules; `Connection: close` is honoured), pipelined requests
/// are answered in order, idle connections are closed after ``Limits/idleTimeout``, and beyond
/// ``Limits/maxConnections`` new connections get a 503 and are closed. A request the parser
/// refuses gets its error response (see ``HTTPParseError``) and the connection closes. Every answer
/// the server gives on its own (see ``HTTPRefusal``) is made by `refusalResponse`, plain text by default.
///
/// The handler runs on the server thread, one request at a time: it must be fast and must not
/// block (no network calls, no waiting on locks held for long), or every other connection waits.
/// Read state that other threads update from a snapshot behind a lock.
public final class HTTPServer: Sendable {
    /// Limits that protect the server from oversized, slow or too many clients.
    public struct Limits: Sendable, Hashable {
        /// Request size limits (header section, body).
        public var request: HTTPRequestParser.Limits
        /// How long a connection may stay without bytes moving before it is closed. Default 30 s.
        public var idleTimeout: Duration
        /// Most connections open at once; more are answered 503 and closed. Default 1024.
        public var maxConnections: Int

        /// Limits with the given values; the defaults suit the bridge's API. `allowedMethods` (nil: any)
        /// are the methods accepted; others get 405 from the server itself, whatever body they carry.
        public init(maxHeaderBytes: Int = 65_536, maxBodyBytes: Int = 0, idleTimeout: Duration = .seconds(30), maxConnections: Int = 1024,
                    allowedMethods: [String]? = nil) {
            self.request = HTTPRequestParser.Limits(maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes, allowedMethods: allowedMethods)
            self.idleTimeout = idleTimeout
            self.maxConnections = maxConnections
        }
    }

    private struct Running: Sendable {
        let thread: ServerThread
        let wake: WakePipe
        let port: Int
    }

    /// The host given at creation: a name or an IPv4 or IPv6 literal.
    public let host: String
    /// The port asked for; 0 lets the system choose (see ``boundPort``).
    public let port: Int
    /// The limits in force.
    public let limits: Limits
    private let logger: Logger
    private let handler: @Sendable (HTTPRequest) -> HTTPResponse
    private let refusalResponse: @Sendable (HTTPRefusal) -> HTTPResponse
    private let store = CounterStore()
    private let running = Mutex<Running?>(nil)

    /// A server for `host` and `port` that answers every request with `handler`. Nothing is
    /// bound until ``start()``. The handler is called on the server thread and must be fast.
    /// `refusalResponse` makes the answers the server gives on its own (``HTTPRefusal``); it runs on
    /// the server thread too. Its response keeps the refusal's status and should keep its headers.
    public init(host: String, port: Int, limits: Limits = .init(), logger: Logger,
                refusalResponse: @escaping @Sendable (HTTPRefusal) -> HTTPResponse = { $0.textResponse },
                handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) {
        self.host = host
        self.port = port
        self.limits = limits
        self.logger = logger
        self.refusalResponse = refusalResponse
        self.handler = handler
    }

    deinit {
        stop()
    }

    /// Binds, listens and starts the server thread. `localhost` and other names are resolved
    /// with `getaddrinfo`; the first address that can be bound is used.
    /// - Throws: ``HTTPServerError``, e.g. `cannot listen on 127.0.0.1:8080: Address already in use`.
    public func start() throws(HTTPServerError) {
        try running.withLock { (running: inout Running?) throws(HTTPServerError) in
            guard running == nil else {
                throw HTTPServerError(.alreadyRunning, "the HTTP server on \(SocketAddress.display(host: host, port: port)) is already running")
            }
            let listener = try ListeningSocket.open(host: host, port: port)
            let wake: WakePipe
            do throws(SystemError) {
                wake = try WakePipe()
            } catch {
                SystemCall.close(listener.fd)
                throw HTTPServerError(.cannotStart, code: error.code, "cannot start the HTTP server: \(error)")
            }
            let configuration = ServerLoop.Configuration(
                limits: limits, logger: logger, handler: handler, refusalResponse: refusalResponse, counters: store)
            let listenerFD = listener.fd
            let wakeFD = wake.readEnd
            let thread: ServerThread
            do throws(SystemError) {
                // The loop is built on its own thread and owns both descriptors from then on.
                thread = try ServerThread.spawn {
                    ServerLoop(listener: listenerFD, wake: wakeFD, configuration: configuration).run()
                }
            } catch {
                [listener.fd, wake.readEnd, wake.writeEnd].forEach(SystemCall.close)
                throw HTTPServerError(.cannotStart, code: error.code, "cannot start the HTTP server: \(error)")
            }
            running = Running(thread: thread, wake: wake, port: listener.port)
            logger.info("HTTP server listening", metadata: ["address": "\(SocketAddress.display(host: listener.address.host, port: listener.port))"])
        }
    }

    /// The port the server listens on while it runs (the chosen one when started with port 0),
    /// `nil` when it does not run.
    public var boundPort: Int? {
        running.withLock { $0?.port }
    }

    /// Whether ``start()`` succeeded and ``stop()`` has not been called since.
    public var isRunning: Bool {
        running.withLock { $0 != nil }
    }

    /// Stops the server: wakes its thread, which closes every connection and the listening
    /// socket, and waits for the thread to end. Open connections are dropped, not drained.
    /// Does nothing when the server does not run. Called from the handler, it does not wait
    /// (a thread cannot join itself); the server ends once the handler returns.
    public func stop() {
        guard let stopping = running.withLock({ running in
            defer { running = nil }
            return running
        }) else { return }
        stopping.wake.signal()
        SystemCall.close(stopping.wake.writeEnd)
        if stopping.thread.isCurrent {
            stopping.thread.detach()
        } else {
            stopping.thread.join()
        }
        logger.info("HTTP server stopped", metadata: ["port": "\(stopping.port)"])
    }

    /// A snapshot of the counters; safe from any thread.
    public var counters: HTTPServerCounters {
        store.snapshot
    }
}
