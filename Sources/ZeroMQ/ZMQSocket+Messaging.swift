internal import CZeroMQ

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

extension ZMQSocket {
    // MARK: Sending

    /// Sends a multipart message atomically: the peer receives all frames or none.
    ///
    /// libzmq copies each frame into its own message, so `frames` may be reused at once.
    /// - Parameter dontWait: fail fast instead of blocking when the high-water mark is
    ///   reached or no peer is connected.
    /// - Returns: `true` when queued; `false` only when `dontWait` is set and the socket
    ///   cannot accept the message now (`EAGAIN`). A blocking send whose ``sendTimeout``
    ///   expires throws instead.
    /// - Throws: ``ZMQError``; `EINVAL` for an empty `frames` array.
    @discardableResult
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws(ZMQError) -> Bool {
        let handle = try liveHandle("zmq_send")
        guard !frames.isEmpty else { throw ZMQError(code: EINVAL, operation: "zmq_send") }
        let last = frames.count - 1
        for index in 0...last {
            // libzmq checks the high-water mark only on a message's first frame and then
            // accepts the rest, so later frames block only in pathological cases; sending
            // them without DONTWAIT keeps the message from being cut in half.
            let mayFail = index == 0 && dontWait
            let flags = (index < last ? ZMQ_SNDMORE : 0) | (mayFail ? ZMQ_DONTWAIT : 0)
            let code = frames[index].withUnsafeBytes { sendRaw(handle, $0.baseAddress, $0.count, flags) }
            if code != 0 {
                if code == EAGAIN && mayFail { return false }
                throw ZMQError(code: code, operation: "zmq_send")
            }
        }
        return true
    }

    /// Sends one frame; with `more` set, the next send continues the same message.
    /// - Returns: `false` only when `dontWait` is set and the socket would block.
    @discardableResult
    public func sendFrame(_ bytes: [UInt8], more: Bool = false, dontWait: Bool = false) throws(ZMQError) -> Bool {
        let handle = try liveHandle("zmq_send")
        let flags = Self.sendFlags(more: more, dontWait: dontWait)
        let code = bytes.withUnsafeBytes { sendRaw(handle, $0.baseAddress, $0.count, flags) }
        return try Self.sendResult(code, dontWait: dontWait)
    }

    /// Sends one frame straight from caller-owned memory (libzmq copies it once), e.g. a
    /// frame just received with ``receiveMessage(dontWait:forEachFrame:)`` when relaying.
    /// - Returns: `false` only when `dontWait` is set and the socket would block.
    @discardableResult
    public func sendFrame(
        _ bytes: UnsafeRawBufferPointer, more: Bool = false, dontWait: Bool = false
    ) throws(ZMQError) -> Bool {
        let handle = try liveHandle("zmq_send")
        let code = sendRaw(handle, bytes.baseAddress, bytes.count, Self.sendFlags(more: more, dontWait: dontWait))
        return try Self.sendResult(code, dontWait: dontWait)
    }

    /// Sends one frame from a `Span`, without an intermediate array.
    /// - Returns: `false` only when `dontWait` is set and the socket would block.
    @discardableResult
    public func sendFrame(_ bytes: Span<UInt8>, more: Bool = false, dontWait: Bool = false) throws(ZMQError) -> Bool {
        let handle = try liveHandle("zmq_send")
        let flags = Self.sendFlags(more: more, dontWait: dontWait)
        let code = bytes.withUnsafeBytes { sendRaw(handle, $0.baseAddress, $0.count, flags) }
        return try Self.sendResult(code, dontWait: dontWait)
    }

    @inline(__always)
    static func sendFlags(more: Bool, dontWait: Bool) -> Int32 {
        (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
    }

    @inline(__always)
    static func sendResult(_ code: Int32, dontWait: Bool) throws(ZMQError) -> Bool {
        if code == 0 { return true }
        if code == EAGAIN && dontWait { return false }
        throw ZMQError(code: code, operation: "zmq_send")
    }

    /// One `zmq_send`, retrying `EINTR`; returns 0 or the errno read right after the call.
    @inline(__always)
    func sendRaw(_ handle: UnsafeMutableRawPointer, _ base: UnsafeRawPointer?, _ count: Int, _ flags: Int32) -> Int32 {
        while true {
            if zmq_send(handle, base, count, flags) != -1 { return 0 }
            let code = zmq_errno()
            if code != EINTR { return code }
        }
    }

    // MARK: Receiving

    /// Receives every frame of the next message.
    ///
    /// Each frame costs one array allocation (none for empty frames).
    /// - Returns: the frames, or `nil` when `dontWait` is set and no message is waiting.
    ///   A blocking receive whose ``receiveTimeout`` expires throws `EAGAIN` instead.
    public func receiveMessage(dontWait: Bool = false) throws(ZMQError) -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        frames.reserveCapacity(4)
        let received = try receiveMessage(dontWait: dontWait) { bytes, _ in
            frames.append([UInt8](bytes))
        }
        return received ? frames : nil
    }

    /// Receives the next message and hands each frame to `body` without copying it.
    ///
    /// `bytes` is only valid during the call. `body` must not receive on this socket.
    /// If `body` throws, the rest of the message is still consumed (so the next receive
    /// starts at a message boundary) and the first error is rethrown.
    /// - Returns: `false` when `dontWait` is set and no message is waiting.
    @discardableResult
    public func receiveMessage(
        dontWait: Bool = false,
        forEachFrame body: (_ bytes: UnsafeRawBufferPointer, _ more: Bool) throws(ZMQError) -> Void
    ) throws(ZMQError) -> Bool {
        let handle = try liveHandle("zmq_msg_recv")
        precondition(!isReceiving, "ZMQSocket.receiveMessage called from within its own frame callback")
        isReceiving = true
        defer {
            isReceiving = false
            // Give a large frame's memory back now rather than at the next receive.
            zmq_msg_close(receiveBuffer)
            zmq_msg_init(receiveBuffer)
        }
        var isFirst = true
        var bodyError: ZMQError?
        while true {
            // Frames after the first are already here (messages arrive atomically), so
            // only the first may use DONTWAIT.
            let code = receiveRaw(handle, isFirst && dontWait ? ZMQ_DONTWAIT : 0)
            if code != 0 {
                if code == EAGAIN && isFirst && dontWait { return false }
                throw ZMQError(code: code, operation: "zmq_msg_recv")
            }
            isFirst = false
            let more = zmq_msg_more(receiveBuffer) != 0
            if bodyError == nil {
                let bytes = UnsafeRawBufferPointer(
                    start: zmq_msg_data(receiveBuffer), count: zmq_msg_size(receiveBuffer))
                do throws(ZMQError) {
                    try body(bytes, more)
                } catch {
                    bodyError = error
                }
            }
            if !more { break }
        }
        if let bodyError { throw bodyError }
        return true
    }

    /// One `zmq_msg_recv` into `receiveBuffer`, retrying `EINTR`; returns 0 or the errno.
    @inline(__always)
    func receiveRaw(_ handle: UnsafeMutableRawPointer, _ flags: Int32) -> Int32 {
        while true {
            if zmq_msg_recv(receiveBuffer, handle, flags) != -1 { return 0 }
            let code = zmq_errno()
            if code != EINTR { return code }
        }
    }
}
