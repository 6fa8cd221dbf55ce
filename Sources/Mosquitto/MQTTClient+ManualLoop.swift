internal import CMosquitto

/// Driving the network from the calling thread instead of libmosquitto's own thread.
///
/// Without ``startLoop()``, a publish writes its packet to the socket at once on the calling thread, and
/// whatever the socket did not take stays queued (``hasPendingWrites``) until ``runLoopOnce(timeoutMs:)``
/// flushes it. A publisher that stops while writes are pending never runs ahead of the broker by more than
/// the socket buffer, which is what a load generator needs. Handlers then run on the thread that calls
/// ``runLoopOnce(timeoutMs:)``. One thread per client; do not mix with ``startLoop()``.
extension MQTTClient {
    /// One round of the network loop on the calling thread (`mosquitto_loop`): waits up to `timeoutMs` for
    /// the socket, reads and handles what arrived, writes what is queued, and keeps the connection alive.
    public func runLoopOnce(timeoutMs: Int) throws(MosquittoError) {
        try MosquittoError.check(mosquitto_loop(rawHandle, Int32(clamping: timeoutMs), 1), "mosquitto_loop")
    }

    /// Whether packets are queued that the socket has not taken yet (`mosquitto_want_write`).
    public var hasPendingWrites: Bool { mosquitto_want_write(rawHandle) }
}
