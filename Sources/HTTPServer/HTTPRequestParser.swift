/// Turns the bytes of one connection into requests, however the bytes are split into reads.
///
/// ```swift
/// var parser = HTTPRequestParser()
/// parser.append(bytesJustRead)
/// while let request = try parser.next() { respond(to: request) }
/// ```
///
/// Several pipelined requests may arrive in one ``append(_:)``, or one request over many; each
/// call to ``next()`` returns the next complete request, or `nil` until more bytes arrive. The
/// end of the head is searched for incrementally, so a request dribbled a byte at a time costs
/// linear work. After an error the parser stays failed: every later ``next()`` throws the same
/// error, since the stream's framing can no longer be trusted and the connection must close.
public struct HTTPRequestParser: Sendable {
    /// Size limits, checked as soon as the bytes seen go past them.
    public struct Limits: Sendable, Hashable {
        /// Most bytes in the request line and header fields together (431, or 414 when the
        /// request line alone is longer). Default 64 KiB.
        public var maxHeaderBytes: Int
        /// Largest `Content-Length` accepted (413 above it). Default 0: the API takes only GET
        /// and HEAD, so requests with a body are refused.
        public var maxBodyBytes: Int
        /// The methods accepted; a request with another is refused with 405 and `Allow` (before its
        /// body is looked at, so a POST with a body is a 405, not a 413). nil (the default): every
        /// method reaches the handler.
        public var allowedMethods: [String]?

        /// Limits with the given sizes.
        public init(maxHeaderBytes: Int = 65_536, maxBodyBytes: Int = 0, allowedMethods: [String]? = nil) {
            self.maxHeaderBytes = maxHeaderBytes
            self.maxBodyBytes = maxBodyBytes
            self.allowedMethods = allowedMethods
        }
    }

    /// The limits this parser enforces.
    public let limits: Limits

    private var buffer: [UInt8] = []
    /// The first byte not yet returned as part of a request.
    private var start = 0
    /// Where the search for the end of the head resumes.
    private var scanIndex = 0
    /// The start of the line the search is in.
    private var lineStart = 0
    private var seenRequestLine = false
    /// A parsed head whose body has not fully arrived.
    private var pendingHead: HTTPRequestHead?
    private var failure: HTTPParseError?

    /// An empty parser enforcing `limits`.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Adds bytes received from the peer.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Bytes received that are not part of a request returned yet.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Whether part of a request (anything but blank lines between requests) has arrived.
    public var hasPartialRequest: Bool {
        pendingHead != nil || buffer[start...].contains { $0 != HTTPSyntax.cr && $0 != HTTPSyntax.lf }
    }

    /// The next complete request, or `nil` if more bytes are needed.
    /// - Throws: ``HTTPParseError`` for a request the server must refuse; the parser then stays failed.
    public mutating func next() throws(HTTPParseError) -> HTTPRequest? {
        if let failure { throw failure }
        do throws(HTTPParseError) {
            return try parseNext()
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func parseNext() throws(HTTPParseError) -> HTTPRequest? {
        if pendingHead == nil {
            guard let headEnd = try findHeadEnd() else { return nil }
            pendingHead = try HTTPRequestHead.parse(buffer[start..<headEnd], limits: limits)
            start = headEnd
            restartScan()
        }
        guard let head = pendingHead, buffer.count - start >= head.contentLength else { return nil }
        let body = Array(buffer[start..<(start + head.contentLength)])
        start += head.contentLength
        restartScan()
        pendingHead = nil
        return head.request(body: body)
    }

    /// Scans new bytes line by line for the blank line that ends the head; returns the index
    /// just past it. Blank lines before a request line are skipped (RFC 9112 §2.2).
    private mutating func findHeadEnd() throws(HTTPParseError) -> Int? {
        while true {
            let limitEnd = start + limits.maxHeaderBytes
            let searchEnd = min(buffer.count, limitEnd)
            guard scanIndex < searchEnd, let lf = buffer[scanIndex..<searchEnd].firstIndex(of: HTTPSyntax.lf) else {
                scanIndex = max(scanIndex, searchEnd)
                if buffer.count > limitEnd { throw tooLarge() }
                return nil
            }
            var lineEnd = lf
            if lineEnd > lineStart && buffer[lineEnd - 1] == HTTPSyntax.cr { lineEnd -= 1 }
            scanIndex = lf + 1
            if lineEnd == lineStart {
                guard seenRequestLine else {
                    start = scanIndex
                    lineStart = scanIndex
                    continue
                }
                return scanIndex
            }
            seenRequestLine = true
            lineStart = scanIndex
        }
    }

    private func tooLarge() -> HTTPParseError {
        seenRequestLine
            ? HTTPParseError(.headerSectionTooLarge, "the request's header section is over \(limits.maxHeaderBytes) bytes")
            : HTTPParseError(.targetTooLong, "the request line is over \(limits.maxHeaderBytes) bytes")
    }

    private mutating func restartScan() {
        scanIndex = start
        lineStart = start
        seenRequestLine = false
    }

    /// Drops consumed bytes once they are the larger part of the buffer, so a long-lived
    /// connection's buffer does not grow and compaction stays amortised O(1) per byte.
    private mutating func compact() {
        guard start > 0, start == buffer.count || (start >= 4096 && start * 2 >= buffer.count) else { return }
        buffer.removeSubrange(0..<start)
        scanIndex -= start
        lineStart -= start
        start = 0
    }
}
