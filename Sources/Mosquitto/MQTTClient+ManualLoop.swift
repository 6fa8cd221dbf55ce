internal import CMosquitto

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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

/// The pieces of the network loop, for a thread that polls the client's socket itself among its own
/// descriptors (`mosquitto_socket`, `mosquitto_loop_read`, `mosquitto_loop_write`, `mosquitto_loop_misc`).
/// Handlers run on that thread, and what the client sends (a PUBACK after ``onMessage`` returns, a publish)
/// is written at once; what the socket did not take waits for ``loopWrite()`` (see ``hasPendingWrites``).
/// A connection that ends is reported to ``onDisconnect`` by the call that noticed it, which then throws.
extension MQTTClient {
    /// The connection's socket while there is one.
    public var socketDescriptor: Int32? {
        let descriptor = mosquitto_socket(rawHandle)
        return descriptor >= 0 ? descriptor : nil
    }

    /// Reads and handles what arrived on the socket (call it when the socket polls readable).
    public func loopRead() throws(MosquittoError) {
        try MosquittoError.check(mosquitto_loop_read(rawHandle, 1), "mosquitto_loop_read")
    }

    /// Whether bytes have arrived on the socket that ``loopRead()`` has not read yet (`FIONREAD`), so that a
    /// thread can read a burst of packets after one poll instead of polling again before each.
    public var hasBytesWaiting: Bool {
        guard let socket = socketDescriptor else { return false }
        var count: Int32 = 0
        return ioctl(socket, UInt(FIONREAD), &count) == 0 && count > 0
    }

    /// Writes what is queued (call it when the socket polls writable and ``hasPendingWrites``).
    public func loopWrite() throws(MosquittoError) {
        try MosquittoError.check(mosquitto_loop_write(rawHandle, 1), "mosquitto_loop_write")
    }

    /// Keeps the connection alive: sends PINGREQ when due and ends a connection whose PINGRESP is overdue.
    /// Call it at least once a second.
    public func loopMisc() throws(MosquittoError) {
        try MosquittoError.check(mosquitto_loop_misc(rawHandle), "mosquitto_loop_misc")
    }
}
