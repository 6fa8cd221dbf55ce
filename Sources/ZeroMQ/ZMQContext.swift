internal import CZeroMQ

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A libzmq context: the I/O threads and the `inproc://` namespace shared by its sockets.
///
/// A context is thread-safe and may be shared freely; the sockets made from it may not
/// (see ``ZMQSocket``).
///
/// ## Shutdown without hangs
/// `zmq_ctx_term` blocks until every socket of the context is closed and, for each socket,
/// until its pending outgoing messages are sent or its linger period expires. This wrapper
/// arranges things so that this never hangs:
/// - every ``ZMQSocket`` keeps its context alive, so the context is only terminated
///   (in `deinit`) after all of its sockets have been closed or deinitialised;
/// - every socket starts with linger 0, so closing it drops unsent messages at once.
///   Raise the linger only on sockets whose last messages must be flushed, and only if
///   the peer is known to be reachable.
///
/// To stop threads that are blocked in `receive`/`send`/`poll`, call ``shutdown()``:
/// their calls fail with an error whose ``ZMQError/isTerminated`` is true; each thread then
/// closes its own sockets (or lets them deinit), after which the context can terminate.
public final class ZMQContext: @unchecked Sendable {
    // @unchecked is safe: libzmq documents contexts as thread-safe and `handle` never changes.
    let handle: UnsafeMutableRawPointer

    /// Creates a context with `ioThreads` background I/O threads.
    ///
    /// One I/O thread handles roughly a gigabyte per second of traffic; `inproc://`
    /// transports use none, so 1 is enough for nearly every process.
    public init(ioThreads: Int = 1) throws(ZMQError) {
        guard let handle = zmq_ctx_new() else {
            throw ZMQError.last("zmq_ctx_new")
        }
        if zmq_ctx_set(handle, ZMQ_IO_THREADS, Int32(clamping: ioThreads)) != 0 {
            let error = ZMQError.last("zmq_ctx_set(ZMQ_IO_THREADS)")
            zmq_ctx_term(handle)
            throw error
        }
        self.handle = handle
    }

    /// The number of I/O threads the context was configured with.
    public var ioThreads: Int {
        Int(zmq_ctx_get(handle, ZMQ_IO_THREADS))
    }

    /// Makes every blocking call on this context's sockets, in any thread, fail with
    /// `ETERM`, and makes later socket creation fail the same way.
    ///
    /// Unlike termination it does not wait for anything, so it is safe to call from any
    /// thread, any number of times. Sockets must still be closed by their owning threads;
    /// the context itself is terminated when the last reference to it goes away.
    public func shutdown() {
        // zmq_ctx_shutdown only fails for an invalid handle, which this class rules out.
        _ = zmq_ctx_shutdown(handle)
    }

    deinit {
        // All sockets hold a reference to their context, so none is open here and
        // termination cannot block on them.
        while zmq_ctx_term(handle) == -1 && zmq_errno() == EINTR {}
    }
}
