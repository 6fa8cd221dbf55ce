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
/// Handlers run on that thread. What the client sends (a publish, a subscribe, the PUBACK of a QoS 1 message)
/// is written at once, unless ``useExternalLoop()`` was called: then it waits for ``loopWrite()`` (see
/// ``hasPendingWrites``), as does whatever the socket did not take.
/// A connection that ends is reported to ``onDisconnect`` by the call that noticed it, which then throws.
extension MQTTClient {
    /// Makes every packet wait for ``loopWrite()`` (`mosquitto_threaded_set`), for a thread that drives the
    /// connection with ``loopRead()`` and ``loopWrite()`` and must act on a message before the broker hears
    /// that it arrived: libmosquitto 2.0 queues a QoS 1 message's PUBACK (QoS 2: PUBREC, then PUBCOMP)
    /// *before* it calls ``onMessage``, and without this writes it at once. Call it before connecting.
    public func useExternalLoop() throws(MosquittoError) {
        try MosquittoError.check(mosquitto_threaded_set(rawHandle, true), "mosquitto_threaded_set")
    }

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
    public var hasBytesWaiting: Bool { bytesWaiting > 0 }

    /// How many bytes have arrived on the socket that ``loopRead()`` has not read yet (`FIONREAD`); 0 without a
    /// socket.
    public var bytesWaiting: Int {
        guard let socket = socketDescriptor else { return 0 }
        var count: Int32 = 0
        return ioctl(socket, UInt(FIONREAD), &count) == 0 ? Int(count) : 0
    }

    /// Reads a burst of packets after one poll: ``loopRead()`` once (call it when the socket polls readable),
    /// then again while bytes are waiting, `keepReading()` holds and fewer than `maxPackets` were read. Returns
    /// how many times it read.
    ///
    /// libmosquitto reads one packet per call. Asking the socket what is waiting before each would cost a system
    /// call per message; this asks once, then counts down the bytes each PUBLISH handed to ``onMessage`` took
    /// (at least: see `publishWireBytes`), so the count stays at or above what is really left, and asks again
    /// only after a read that handed over no PUBLISH (another packet, part of one, or nothing). A burst then
    /// ends with at most one read that finds nothing, which libmosquitto takes as "nothing yet". A QoS 2
    /// message is handed over when its PUBREL is read, a smaller packet than the one counted, so a burst of
    /// them can end early; what is left keeps the socket readable for the next poll.
    public func loopReadArrived(maxPackets: Int, while keepReading: () -> Bool) throws(MosquittoError) -> Int {
        var packets = 0
        var left: Int?
        while packets < maxPackets {
            let before = events.publishBytesRead
            try loopRead()
            packets += 1
            let read = events.publishBytesRead &- before
            let stillLeft = if read > 0, let left { left - read } else { bytesWaiting }
            guard stillLeft > 0, packets < maxPackets, keepReading() else { break }
            left = stillLeft
        }
        return packets
    }

    /// Writes what is queued (call it when the socket polls writable and ``hasPendingWrites``).
    public func loopWrite() throws(MosquittoError) {
        try MosquittoError.check(mosquitto_loop_write(rawHandle, 1), "mosquitto_loop_write")
    }

    /// ``loopWrite()`` for many queued packets (the PUBACKs of a burst of messages), corked (`TCP_CORK`): the
    /// kernel sends them in as few segments as they fill, where each would otherwise leave in a segment of
    /// its own (the client turns Nagle's algorithm off), and the broker reads them with fewer calls.
    public func loopWriteCoalesced() throws(MosquittoError) {
        guard let socket = socketDescriptor else { return try loopWrite() }
        var on: Int32 = 1
        let corked = setsockopt(socket, Int32(IPPROTO_TCP), TCP_CORK, &on, socklen_t(MemoryLayout<Int32>.size)) == 0
        defer {
            // Uncorking sends what is left. Only on the same connection: a failed write may have closed it, and
            // its descriptor number may already belong to something else.
            if corked, socketDescriptor == socket {
                var off: Int32 = 0
                _ = setsockopt(socket, Int32(IPPROTO_TCP), TCP_CORK, &off, socklen_t(MemoryLayout<Int32>.size))
            }
        }
        try loopWrite()
    }

    /// Keeps the connection alive: sends PINGREQ when due and ends a connection whose PINGRESP is overdue.
    /// Call it at least once a second.
    public func loopMisc() throws(MosquittoError) {
        try MosquittoError.check(mosquitto_loop_misc(rawHandle), "mosquitto_loop_misc")
    }
}
