internal import Glibc

/// The socket calls the test client makes, each retrying `EINTR` and reporting failure as a
/// ``SystemError``. C types stay inside this file and its siblings.
enum SystemCall {
    /// What a non-blocking read or write did.
    enum Transfer: Equatable {
        /// This many bytes moved (never 0).
        case bytes(Int)
        /// The peer closed its sending side (reads only).
        case endOfStream
        /// Nothing can move now (`EAGAIN`).
        case wouldBlock
        /// The connection failed, e.g. `ECONNRESET` or `EPIPE`.
        case failed(SystemError)
    }

    static func socket(family: Int32) throws(SystemError) -> Int32 {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = Glibc.socket(family, type, 0)
        guard fd >= 0 else { throw .last("socket") }
        return fd
    }

    static func setOption(_ fd: Int32, level: Int32, name: Int32, value: Int32, label: String) throws(SystemError) {
        var value = value
        guard setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else { throw .last(label) }
    }

    /// Turns off Nagle's algorithm: responses are written whole, and waiting for the client's
    /// delayed ACK would add 40 ms to every pipelined response.
    static func setNoDelay(_ fd: Int32) throws(SystemError) {
        try setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1, label: "setsockopt(TCP_NODELAY)")
    }

    /// Starts connecting a non-blocking socket; `true` if it connected at once, `false` if in progress.
    static func connect(_ fd: Int32, to address: SocketAddress) throws(SystemError) -> Bool {
        let rc = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        if rc == 0 { return true }
        let error = SystemError.last("connect")
        guard error.code == EINPROGRESS || error.code == EINTR else { throw error }
        return false
    }

    /// The outcome of a non-blocking connect, once the socket polls writable.
    static func pendingError(_ fd: Int32) -> SystemError? {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else { return .last("getsockopt(SO_ERROR)") }
        return code == 0 ? nil : SystemError(call: "connect", code: code)
    }

    static func receive(_ fd: Int32, into buffer: inout [UInt8]) -> Transfer {
        buffer.withUnsafeMutableBytes { receive(fd, into: $0) }
    }

    static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Transfer {
        while true {
            let count = recv(fd, buffer.baseAddress, buffer.count, 0)
            if count > 0 { return .bytes(count) }
            if count == 0 { return .endOfStream }
            let error = SystemError.last("recv")
            switch error.code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed(error)
            }
        }
    }

    /// Writes what the socket takes now; `MSG_NOSIGNAL` turns a closed peer into `EPIPE` instead of SIGPIPE.
    static func send(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Transfer {
        guard !bytes.isEmpty else { return .bytes(0) }
        while true {
            let count = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count > 0 { return .bytes(count) }
            let error = SystemError.last("send")
            switch error.code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed(error)
            }
        }
    }

    static func shutdownWrite(_ fd: Int32) {
        _ = shutdown(fd, Int32(SHUT_WR))
    }

    /// Closes `fd`. `EINTR` is not retried: on Linux the descriptor is released even then, and a
    /// retry could close a descriptor another thread has just been given.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Polls `fds` for at most `timeoutMilliseconds` (-1: without limit). Returns false when
    /// interrupted by a signal, so the caller recomputes its timeout.
    static func poll(_ fds: inout [pollfd], timeoutMilliseconds: Int32) throws(SystemError) -> Bool {
        let rc = fds.withUnsafeMutableBufferPointer { Glibc.poll($0.baseAddress, nfds_t($0.count), timeoutMilliseconds) }
        if rc >= 0 { return true }
        let error = SystemError.last("poll")
        guard error.code == EINTR else { throw error }
        return false
    }

    /// Milliseconds until `deadline` for `poll`, rounded up so the deadline has passed on wake-up.
    static func milliseconds(until deadline: ContinuousClock.Instant, now: ContinuousClock.Instant) -> Int32 {
        let (seconds, attoseconds) = now.duration(to: deadline).components
        guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return 0 }
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: max(0, millis))
    }
}
