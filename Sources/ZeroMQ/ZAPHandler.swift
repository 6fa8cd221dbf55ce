internal import CZeroMQ
import Threads
internal import Dispatch
internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Answers ZAP requests (RFC 27) for every security-enabled socket of one ``ZMQContext``: a REP socket
/// bound at ``endpoint`` on a thread of its own asks `authenticate` about each request and sends its reply.
///
/// libzmq consults the handler of the server socket's context after each CURVE handshake; when no handler
/// is bound it lets in every client that knows the server's public key. So start the handler before the
/// CURVE server sockets bind, and stop it only after they are closed. One handler per context: a second
/// ``start()`` in the same context fails with `EADDRINUSE`.
///
/// ```swift
/// let zap = ZAPHandler(context: context) { request in
///     ZAPReply(to: request, status: allowed.contains(request.curvePublicKey ?? []) ? .success : .authenticationFailure)
/// }
/// try zap.start()
/// try server.makeCurveServer(secretKey: keys.secretKey, zapDomain: "hub")
/// ```
public final class ZAPHandler: Sendable {
    /// Where libzmq sends ZAP requests, fixed by RFC 27.
    public static let endpoint = "inproc://zeromq.zap.01"

    public let context: ZMQContext
    private let authenticate: @Sendable (ZAPRequest) -> ZAPReply
    private let running = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private let bindError = Mutex<ZMQError?>(nil)
    private let ready = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    /// How long the thread waits for a request before it looks at the stop flag again; bounds ``stop()``'s wait.
    static let pollIntervalMs = 50

    /// - Parameter authenticate: called on the handler's thread, one request at a time; the handshake waits
    ///   for it, so keep it short.
    public init(context: ZMQContext, authenticate: @escaping @Sendable (ZAPRequest) -> ZAPReply) {
        self.context = context
        self.authenticate = authenticate
    }

    /// Binds ``endpoint`` and starts answering; returns once the socket is bound. Calling it while the
    /// handler runs does nothing.
    /// - Throws: `EADDRINUSE` when the context already has a ZAP handler; `ETERM` after the context shut down.
    public func start() throws(ZMQError) {
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        stopping.store(false, ordering: .releasing)
        bindError.withLock { $0 = nil }
        do {
            try DetachedThread.spawn { [self] in
                serve()
                finished.signal()
            }
        } catch {
            running.store(false, ordering: .releasing)
            throw ZMQError(code: error.code, operation: "pthread_create")
        }
        ready.wait()
        if let error = bindError.withLock({ $0 }) {
            finished.wait()
            running.store(false, ordering: .releasing)
            throw error
        }
    }

    /// Stops answering, closes the socket and waits for the thread (at most about 50 ms). Calling it
    /// again, or before ``start()``, does nothing.
    public func stop() {
        guard running.load(ordering: .acquiring) else { return }
        stopping.store(true, ordering: .releasing)
        finished.wait()
        running.store(false, ordering: .releasing)
    }

    /// Whether the handler is bound and answering.
    public var isRunning: Bool { running.load(ordering: .acquiring) }

    private func serve() {
        let socket: ZMQSocket
        do {
            socket = try ZMQSocket(context: context, type: .rep)
            try socket.bind(Self.endpoint)
        } catch {
            bindError.withLock { $0 = error }
            ready.signal()
            return
        }
        ready.signal()
        defer {
            // Closing releases an inproc:// name only later, on libzmq's reaper thread; unbinding releases it
            // now, so a handler started right after this one can bind.
            try? socket.unbind(Self.endpoint)
            socket.close()
        }
        let poller = ZMQPoller()
        do {
            try poller.add(socket, events: .readable)
            while !stopping.load(ordering: .acquiring) {
                guard try poller.poll(timeout: Self.pollIntervalMs) > 0 else { continue }
                guard let frames = try socket.receiveMessage(dontWait: true) else { continue }
                // A REP socket must answer before it can receive again, so even a malformed request gets a reply.
                try socket.send(reply(to: frames).frames)
            }
        } catch {
            // ETERM (the context shut down) or a closed socket: nothing more can be answered.
        }
    }

    private func reply(to frames: [[UInt8]]) -> ZAPReply {
        do {
            return authenticate(try ZAPRequest(frames: frames))
        } catch {
            return ZAPReply(requestId: error.requestId, status: .internalError, statusText: error.description)
        }
    }
}
