/// One connection's protocol state without any I/O: bytes in, response bytes out, and when to
/// close. The server loop reads and writes the socket and carries out ``nextStep``; tests drive
/// it directly.
///
/// Closing follows RFC 9112 §9.6: after the last response the server shuts down its sending side
/// and keeps reading (and dropping) what the client still sends for a short while, so that unread
/// input (say the body of a refused upload) does not make the kernel reset the connection and
/// destroy the response before the client has read it.
struct HTTPConnection {
    /// Unsent response bytes above which no further pipelined requests are answered (nor read)
    /// until the client reads, so a client that never reads cannot make the server buffer without end.
    static let outputHighWater = 256 * 1024

    /// What the server loop should do once the pending output is written.
    enum Step: Equatable {
        /// Keep the connection: wait for input, or for the socket to take more output.
        case wait
        /// Shut down the sending side, then drain input until the peer closes or the linger ends.
        case shutdownAndDrain
        /// Close the socket now.
        case close
    }

    /// What answering the buffered requests produced, for the counters and the log.
    struct Outcome: Equatable {
        /// Requests handed to the handler and answered.
        var served = 0
        /// Requests refused with an error response.
        var refused: [HTTPParseError] = []
        /// What ``HTTPResponse/sanitized()`` had to change in the handler's responses.
        var problems: [String] = []
    }

    private var parser: HTTPRequestParser
    private var output: [UInt8] = []
    private var outputOffset = 0
    /// No more requests are answered; the connection closes once its output is sent.
    private(set) var closeAfterOutput = false
    /// The peer has finished sending.
    private(set) var inputEnded = false
    /// When the sending side was shut down, if it was.
    private(set) var drainingSince: ContinuousClock.Instant?
    /// When bytes last moved either way.
    private(set) var lastActivity: ContinuousClock.Instant

    init(limits: HTTPRequestParser.Limits, now: ContinuousClock.Instant) {
        parser = HTTPRequestParser(limits: limits)
        lastActivity = now
    }

    /// The response bytes not yet written.
    var unsentOutput: ArraySlice<UInt8> { output[outputOffset...] }
    var unsentCount: Int { output.count - outputOffset }

    /// Whether the loop should poll for input: while draining, or while requests may still be answered.
    var wantsInput: Bool {
        drainingSince != nil || (!closeAfterOutput && !inputEnded && unsentCount < Self.outputHighWater)
    }

    /// Bytes read from the peer; dropped once the connection is closing.
    mutating func receive(_ bytes: some Collection<UInt8>, now: ContinuousClock.Instant) {
        lastActivity = now
        guard drainingSince == nil, !closeAfterOutput else { return }
        parser.append(bytes)
    }

    /// The peer closed its sending side; complete requests already received are still answered.
    mutating func endOfInput() {
        inputEnded = true
    }

    /// Answers buffered complete requests in order until none is left, the output passes the high
    /// water mark, or a response closes the connection. A parse error queues its error response
    /// (made by `refuse`) and closes. `respond` is the handler; a response of its that cannot be
    /// sent as it is (a status outside 200–999) is replaced by `refuse`'s 500.
    mutating func answerBuffered(date: String?, refuse: (HTTPRefusal) -> HTTPResponse = { $0.textResponse },
                                 respond: (HTTPRequest) -> HTTPResponse) -> Outcome {
        var outcome = Outcome()
        while !closeAfterOutput && unsentCount < Self.outputHighWater {
            do throws(HTTPParseError) {
                guard let request = try parser.next() else { break }
                let answer = respond(request)
                var (response, problems) = answer.sanitized()
                if response.status != answer.status {
                    response = refuse(HTTPRefusal(status: 500, detail: "the server could not answer this request")).sanitized().response
                }
                let keepAlive = request.keepAlive && !response.asksToClose
                enqueue(response.wireBytes(headOnly: request.isHead, keepAlive: keepAlive, requestVersion: request.version, date: date))
                outcome.served += 1
                outcome.problems += problems
                if !keepAlive { closeAfterOutput = true }
            } catch {
                let response = refuse(error.refusal).sanitized().response
                enqueue(response.wireBytes(headOnly: false, keepAlive: false, requestVersion: .http1_1, date: date))
                outcome.refused.append(error)
                closeAfterOutput = true
            }
        }
        return outcome
    }

    /// `count` bytes of ``unsentOutput`` were written.
    mutating func sent(_ count: Int, now: ContinuousClock.Instant) {
        outputOffset = min(output.count, outputOffset + count)
        lastActivity = now
        if outputOffset == output.count {
            // Let a burst's large buffer go rather than keep it for the connection's lifetime.
            output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
            outputOffset = 0
        }
    }

    /// What to do when no output is pending; `.wait` while some is.
    var nextStep: Step {
        if unsentCount > 0 || drainingSince != nil { return .wait }
        if inputEnded { return .close }
        return closeAfterOutput ? .shutdownAndDrain : .wait
    }

    /// The sending side was shut down at `now`.
    mutating func startDraining(now: ContinuousClock.Instant) {
        drainingSince = now
    }

    /// When the connection should be timed out: `linger` after draining began, otherwise
    /// `idleTimeout` after bytes last moved.
    func deadline(idleTimeout: Duration, linger: Duration) -> ContinuousClock.Instant {
        if let drainingSince { return drainingSince.advanced(by: linger) }
        return lastActivity.advanced(by: idleTimeout)
    }

    /// The deadline passed. A client that stopped halfway through a request is told 408 (and the
    /// connection then closes as after any error); returns `true` if that response was queued,
    /// `false` if the connection should simply close.
    mutating func timeOut(now: ContinuousClock.Instant, date: String?,
                          refuse: (HTTPRefusal) -> HTTPResponse = { $0.textResponse }) -> Bool {
        guard drainingSince == nil, !closeAfterOutput, unsentCount == 0, parser.hasPartialRequest else { return false }
        let response = refuse(HTTPRefusal(status: 408, detail: "the request did not arrive in time")).sanitized().response
        enqueue(response.wireBytes(headOnly: false, keepAlive: false, requestVersion: .http1_1, date: date))
        closeAfterOutput = true
        lastActivity = now
        return true
    }

    private mutating func enqueue(_ bytes: [UInt8]) {
        if outputOffset > 64 * 1024 && outputOffset * 2 > output.count {
            output.removeSubrange(0..<outputOffset)
            outputOffset = 0
        }
        output += bytes
    }
}
