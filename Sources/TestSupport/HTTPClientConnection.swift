internal import Glibc

/// One blocking client connection, for tests that need more than ``HTTPClient/get(host:port:path:timeout:)``:
/// several requests on one connection, pipelined or malformed requests, requests sent a byte
/// at a time; or the raw bytes of another protocol (``send(_:)-([UInt8])`` and ``receive(into:)``). Every
/// operation gives up with ``HTTPClientError/Kind/timedOut`` after ``timeout``.
///
/// Use from one thread at a time.
public final class HTTPClientConnection {
    /// How long each operation may take.
    public var timeout: Duration
    private var fd: Int32
    /// Received bytes not yet returned.
    private var received: [UInt8] = []
    private var scratch = [UInt8](repeating: 0, count: 16 * 1024)
    private let peer: String

    /// Connects to `host` (a name or an IPv4 or IPv6 literal) and `port`.
    public convenience init(host: String, port: Int, timeout: Duration = .seconds(5)) throws(HTTPClientError) {
        try self.init(host: host, port: port, deadline: ContinuousClock.now.advanced(by: timeout), timeout: timeout)
    }

    init(host: String, port: Int, deadline: ContinuousClock.Instant, timeout: Duration) throws(HTTPClientError) {
        self.timeout = timeout
        peer = SocketAddress.display(host: host, port: port)
        let addresses: [SocketAddress]
        do {
            addresses = try SocketAddress.resolve(host: host, port: port, passive: false)
        } catch {
            throw HTTPClientError(.cannotResolve, "cannot connect to \(peer): cannot resolve '\(host)': \(error.reason)")
        }
        var lastError = HTTPClientError(.cannotResolve, "cannot connect to \(peer): '\(host)' has no IPv4 or IPv6 address")
        for address in addresses {
            do {
                fd = try Self.connect(to: address, deadline: deadline, peer: peer)
                try? SystemCall.setNoDelay(fd)
                return
            } catch {
                lastError = error
                if error.kind == .timedOut { break }
            }
        }
        throw lastError
    }

    deinit {
        close()
    }

    private static func connect(to address: SocketAddress, deadline: ContinuousClock.Instant, peer: String) throws(HTTPClientError) -> Int32 {
        let fd: Int32
        do {
            fd = try SystemCall.socket(family: address.family)
            if try !SystemCall.connect(fd, to: address) {
                guard try wait(fd: fd, for: POLLOUT, until: deadline) else {
                    SystemCall.close(fd)
                    throw HTTPClientError(.timedOut, "cannot connect to \(peer): timed out")
                }
                if let error = SystemCall.pendingError(fd) {
                    SystemCall.close(fd)
                    throw error
                }
            }
            return fd
        } catch let error as SystemError {
            throw HTTPClientError(.cannotConnect, "cannot connect to \(peer): \(error.reason)")
        } catch let error as HTTPClientError {
            throw error
        } catch {
            throw HTTPClientError(.cannotConnect, "cannot connect to \(peer): \(error)")
        }
    }

    /// Polls `fd` for `events` until `deadline`; false if it passed first.
    private static func wait(fd: Int32, for events: Int32, until deadline: ContinuousClock.Instant) throws(SystemError) -> Bool {
        while true {
            let now = ContinuousClock.now
            guard now < deadline else { return false }
            var entries = [pollfd(fd: fd, events: Int16(events), revents: 0)]
            guard try SystemCall.poll(&entries, timeoutMilliseconds: SystemCall.milliseconds(until: deadline, now: now)) else { continue }
            if entries[0].revents != 0 { return true }
        }
    }

    /// Sends `bytes` whole.
    public func send(_ bytes: [UInt8]) throws(HTTPClientError) {
        try send(bytes, deadline: ContinuousClock.now.advanced(by: timeout))
    }

    /// Sends `text` as UTF-8.
    public func send(_ text: String) throws(HTTPClientError) {
        try send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(HTTPClientError) {
        var offset = 0
        while offset < bytes.count {
            switch SystemCall.send(fd, bytes[offset...]) {
            case .bytes(let count):
                offset += count
            case .wouldBlock:
                try waitOrTimeOut(POLLOUT, deadline: deadline, doing: "sending")
            case .endOfStream:
                throw HTTPClientError(.connectionClosed, "\(peer) closed the connection while a request was sent")
            case .failed(let error):
                throw HTTPClientError(.connectionFailed, "sending to \(peer) failed: \(error.reason)")
            }
        }
    }

    /// Reads one response. A response to HEAD (`toHEAD`), 1xx, 204 and 304 have no body; others
    /// end after `Content-Length` bytes, or with the connection when there is no length.
    public func readResponse(toHEAD: Bool = false) throws(HTTPClientError) -> HTTPClientResponse {
        try readResponse(toHEAD: toHEAD, deadline: ContinuousClock.now.advanced(by: timeout))
    }

    func readResponse(toHEAD: Bool, deadline: ContinuousClock.Instant) throws(HTTPClientError) -> HTTPClientResponse {
        var headEnd: (head: Int, body: Int)?
        while true {
            headEnd = Self.headEnd(in: received)
            if headEnd != nil { break }
            guard try fill(deadline: deadline) else {
                throw HTTPClientError(.connectionClosed, received.isEmpty
                    ? "\(peer) closed the connection without a response" : "\(peer) closed the connection in a response head")
            }
        }
        guard let (head, bodyStart) = headEnd else { throw HTTPClientError(.malformedResponse, "no response head") }
        let (status, reason, headers) = try HTTPClientResponse.parseHead(received[..<head])
        received.removeSubrange(0..<bodyStart)
        let body = try readBody(status: status, headers: headers, toHEAD: toHEAD, deadline: deadline)
        return HTTPClientResponse(status: status, reason: reason, headers: headers, body: body)
    }

    private func readBody(status: Int, headers: HTTPHeaders, toHEAD: Bool, deadline: ContinuousClock.Instant) throws(HTTPClientError) -> [UInt8] {
        if toHEAD || status < 200 || status == 204 || status == 304 { return [] }
        if let lengthText = headers["Content-Length"] {
            guard let length = Int(lengthText), length >= 0 else {
                throw HTTPClientError(.malformedResponse, "malformed HTTP response: Content-Length '\(lengthText)'")
            }
            while received.count < length {
                guard try fill(deadline: deadline) else {
                    throw HTTPClientError(.connectionClosed, "\(peer) closed the connection after \(received.count) of \(length) body bytes")
                }
            }
            defer { received.removeSubrange(0..<length) }
            return Array(received[0..<length])
        }
        if headers.contains("Transfer-Encoding") {
            throw HTTPClientError(.malformedResponse, "malformed HTTP response: transfer codings are not supported by this client")
        }
        return try readUntilClosed(deadline: deadline)
    }

    /// Reads until the server closes the connection and returns what arrived after the last
    /// response read; `[]` when the server closed right after it.
    public func readUntilClosed() throws(HTTPClientError) -> [UInt8] {
        try readUntilClosed(deadline: ContinuousClock.now.advanced(by: timeout))
    }

    func readUntilClosed(deadline: ContinuousClock.Instant) throws(HTTPClientError) -> [UInt8] {
        while try fill(deadline: deadline) {}
        defer { received.removeAll() }
        return received
    }

    /// Reads raw bytes until `text` has arrived (a streamed body: chunk framing is left in) and returns
    /// everything received up to and including it.
    public func readUntil(_ text: String) throws(HTTPClientError) -> String {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let marker = Array(text.utf8)
        while true {
            if let end = Self.range(of: marker, in: received) {
                defer { received.removeSubrange(0..<end) }
                return String(decoding: received[0..<end], as: UTF8.self)
            }
            guard try fill(deadline: deadline) else {
                throw HTTPClientError(.connectionClosed, "\(peer) closed the connection before '\(text)' arrived")
            }
        }
    }

    /// The end of the first occurrence of `marker` in `bytes`.
    private static func range(of marker: [UInt8], in bytes: [UInt8]) -> Int? {
        guard !marker.isEmpty, bytes.count >= marker.count else { return nil }
        for start in 0...(bytes.count - marker.count) where bytes[start..<(start + marker.count)].elementsEqual(marker) {
            return start + marker.count
        }
        return nil
    }

    /// Shuts down the sending side: the server sees the end of the input, responses can still be read.
    public func shutdownSending() {
        if fd >= 0 { SystemCall.shutdownWrite(fd) }
    }

    /// Reads what has arrived into `buffer`, waiting up to ``timeout`` for the first byte: how many bytes it
    /// took, 0 once the peer closed the connection. For clients of other protocols over the same connection
    /// (an MQTT reader): one `recv` when bytes are waiting, and no copy. Bytes the response readers had read
    /// and not returned come first.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(HTTPClientError) -> Int {
        guard buffer.count > 0 else { return 0 }
        if !received.isEmpty {
            let count = min(buffer.count, received.count)
            received.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            received.removeSubrange(0..<count)
            return count
        }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            switch SystemCall.receive(fd, into: buffer) {
            case .bytes(let count):
                return count
            case .endOfStream:
                return 0
            case .wouldBlock:
                try waitOrTimeOut(POLLIN, deadline: deadline, doing: "receiving")
            case .failed(let error):
                throw HTTPClientError(.connectionFailed, "receiving from \(peer) failed: \(error.reason)")
            }
        }
    }

    /// Closes the connection; later operations fail.
    public func close() {
        if fd >= 0 { SystemCall.close(fd) }
        fd = -1
    }

    /// Reads once into ``received``; false at the end of the stream.
    private func fill(deadline: ContinuousClock.Instant) throws(HTTPClientError) -> Bool {
        while true {
            switch SystemCall.receive(fd, into: &scratch) {
            case .bytes(let count):
                received += scratch[0..<count]
                return true
            case .endOfStream:
                return false
            case .wouldBlock:
                try waitOrTimeOut(POLLIN, deadline: deadline, doing: "waiting for a response")
            case .failed(let error):
                throw HTTPClientError(.connectionFailed, "receiving from \(peer) failed: \(error.reason)")
            }
        }
    }

    private func waitOrTimeOut(_ events: Int32, deadline: ContinuousClock.Instant, doing activity: String) throws(HTTPClientError) {
        let ready: Bool
        do {
            ready = try Self.wait(fd: fd, for: events, until: deadline)
        } catch {
            throw HTTPClientError(.connectionFailed, "\(activity) on \(peer) failed: \(error.reason)")
        }
        guard ready else { throw HTTPClientError(.timedOut, "timed out \(activity) on \(peer)") }
    }

    /// Where the head ends (before the blank line) and the body starts, if the head is complete.
    private static func headEnd(in bytes: [UInt8]) -> (head: Int, body: Int)? {
        var index = 0
        while let lf = bytes[index...].firstIndex(of: HTTPSyntax.lf) {
            let next = lf + 1
            if next < bytes.count, bytes[next] == HTTPSyntax.lf { return (lf, next + 1) }
            if next + 1 < bytes.count, bytes[next] == HTTPSyntax.cr, bytes[next + 1] == HTTPSyntax.lf { return (lf, next + 2) }
            index = next
        }
        return nil
    }
}
