internal import CZeroMQ

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A ZeroMQ socket.
///
/// ## Threading
/// libzmq sockets are not thread-safe, so `ZMQSocket` is deliberately not `Sendable`:
/// create it on the thread that will use it and keep it there. To hand work to that
/// thread from others, use a ``ZMQMailbox`` whose file descriptor sits in the owner's
/// ``ZMQPoller``.
///
/// ## Lifetime
/// The socket keeps its ``ZMQContext`` alive and is closed by ``close()`` or `deinit`.
/// Its linger starts at 0 (libzmq's default is to wait forever), so closing never waits
/// for unsent messages and context termination cannot hang; call ``setLinger(milliseconds:)``
/// to opt into flushing on close.
public final class ZMQSocket {
    /// The context this socket belongs to; retained so it outlives the socket.
    public let context: ZMQContext
    /// The messaging pattern the socket was created with.
    public let type: ZMQSocketType

    /// nil once closed; libzmq would dereference a freed socket, so every call checks it.
    var handle: UnsafeMutableRawPointer?
    /// One message object reused for every receive, so receiving allocates only the
    /// Swift byte arrays, never the 64-byte zmq_msg_t.
    let receiveBuffer: UnsafeMutablePointer<zmq_msg_t>
    /// Guards `receiveBuffer` against re-entrant receives from a frame callback.
    var isReceiving = false

    /// Creates a socket of `type` in `context`, with linger 0.
    public init(context: ZMQContext, type: ZMQSocketType) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw ZMQError.last("zmq_socket")
        }
        var linger: Int32 = 0
        if zmq_setsockopt(handle, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size) != 0 {
            let error = ZMQError.last("zmq_setsockopt(ZMQ_LINGER)")
            zmq_close(handle)
            throw error
        }
        self.context = context
        self.type = type
        self.handle = handle
        self.receiveBuffer = .allocate(capacity: 1)
        zmq_msg_init(receiveBuffer)
    }

    deinit {
        close()
        zmq_msg_close(receiveBuffer)
        receiveBuffer.deallocate()
    }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool { handle == nil }

    /// Closes the socket. Calling it again does nothing; any other call on a closed socket
    /// throws an error whose ``ZMQError/isClosedSocket`` is true.
    public func close() {
        guard let handle else { return }
        self.handle = nil
        // zmq_close only fails for an invalid handle, which `handle` being non-nil rules out.
        _ = zmq_close(handle)
    }

    /// Returns the live handle or throws `ENOTSOCK` for a closed socket.
    @inline(__always)
    func liveHandle(_ operation: String) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(code: ENOTSOCK, operation: operation) }
        return handle
    }

    /// Accepts connections on `endpoint`, e.g. `tcp://127.0.0.1:*`, `inproc://name`,
    /// `ipc:///path`. With a wildcard port, read the chosen one from ``lastEndpoint``.
    public func bind(_ endpoint: String) throws(ZMQError) {
        let handle = try liveHandle("zmq_bind")
        try zmqCall("zmq_bind") { zmq_bind(handle, endpoint) }
    }

    /// Connects to `endpoint`. The connection is made (and re-made) in the background,
    /// so this succeeds before the peer exists; only malformed endpoints fail here.
    public func connect(_ endpoint: String) throws(ZMQError) {
        let handle = try liveHandle("zmq_connect")
        try zmqCall("zmq_connect") { zmq_connect(handle, endpoint) }
    }

    /// Stops accepting on `endpoint`; for wildcard binds pass the resolved ``lastEndpoint``.
    public func unbind(_ endpoint: String) throws(ZMQError) {
        let handle = try liveHandle("zmq_unbind")
        try zmqCall("zmq_unbind") { zmq_unbind(handle, endpoint) }
    }

    /// Disconnects from an endpoint previously passed to ``connect(_:)``.
    public func disconnect(_ endpoint: String) throws(ZMQError) {
        let handle = try liveHandle("zmq_disconnect")
        try zmqCall("zmq_disconnect") { zmq_disconnect(handle, endpoint) }
    }

    /// The endpoint of the last successful bind or connect, with wildcards resolved
    /// (e.g. `tcp://127.0.0.1:41235`); empty if there was none.
    public var lastEndpoint: String {
        get throws(ZMQError) { try stringOption(ZMQ_LAST_ENDPOINT, "ZMQ_LAST_ENDPOINT", capacity: 1024) }
    }
}

// Sockets must stay on the thread that created them; this makes the compiler enforce it.
@available(*, unavailable)
extension ZMQSocket: Sendable {}
