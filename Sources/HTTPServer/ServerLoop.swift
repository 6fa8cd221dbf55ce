internal import Glibc
import Logging

/// The server thread's loop: `poll()` over the wake pipe, the listening socket and every
/// connection; it reads, writes and closes sockets as each ``HTTPConnection`` asks. Built and
/// run on the server thread, which alone touches these descriptors.
final class ServerLoop {
    /// What the loop needs from the server, all of it safe to hand to the thread.
    struct Configuration: Sendable {
        let limits: HTTPServer.Limits
        let logger: Logger
        let handler: @Sendable (HTTPRequest) -> HTTPResponse
        /// Makes the answers the server gives on its own.
        let refusalResponse: @Sendable (HTTPRefusal) -> HTTPResponse
        let counters: CounterStore
    }

    /// How long a closing connection keeps draining the client's input after the last response.
    static let linger: Duration = .seconds(2)
    /// How long accepting pauses when the process is out of descriptors, so that the loop does
    /// not spin on a listening socket it cannot accept from.
    static let acceptBackoff: Duration = .milliseconds(100)
    /// Most connections accepted per wake-up, so a burst cannot starve open connections.
    static let acceptBatch = 64

    let listener: Int32
    let wake: Int32
    let configuration: Configuration
    var connections: [Int32: HTTPConnection] = [:]
    var receiveBuffer = [UInt8](repeating: 0, count: 16 * 1024)
    var acceptPausedUntil: ContinuousClock.Instant?
    var lastAcceptWarning: ContinuousClock.Instant?
    /// The answer for connections over the limit, made once.
    let overloadedResponse: [UInt8]
    private var cachedDate = (second: -1, text: "")

    init(listener: Int32, wake: Int32, configuration: Configuration) {
        self.listener = listener
        self.wake = wake
        self.configuration = configuration
        overloadedResponse = configuration.refusalResponse(HTTPRefusal(status: 503, detail: "too many connections"))
            .sanitized().response.wireBytes(headOnly: false, keepAlive: false, requestVersion: .http1_1, date: nil)
    }

    var logger: Logger { configuration.logger }

    /// Runs until the wake pipe is signalled, then closes every descriptor it owns.
    func run() {
        defer { closeEverything() }
        var pollSet: [pollfd] = []
        while true {
            let now = ContinuousClock.now
            pollSet.removeAll(keepingCapacity: true)
            pollSet.append(pollfd(fd: wake, events: Int16(POLLIN), revents: 0))
            let accepting = acceptPausedUntil.map { now >= $0 } ?? true
            // poll() skips entries with a negative descriptor.
            pollSet.append(pollfd(fd: accepting ? listener : -1, events: Int16(POLLIN), revents: 0))
            for (fd, connection) in connections {
                var events: Int32 = 0
                if connection.wantsInput { events |= POLLIN }
                if connection.unsentCount > 0 { events |= POLLOUT }
                pollSet.append(pollfd(fd: fd, events: Int16(events), revents: 0))
            }
            do {
                guard try SystemCall.poll(&pollSet, timeoutMilliseconds: pollTimeout(now: now)) else { continue }
            } catch {
                logger.error("HTTP server poll failed", metadata: ["error": "\(error)"])
                return
            }
            if pollSet[0].revents != 0 { return }
            let afterPoll = ContinuousClock.now
            for entry in pollSet.dropFirst(2) where entry.revents != 0 {
                handle(fd: entry.fd, events: Int32(entry.revents), now: afterPoll)
            }
            if pollSet[1].revents != 0 { acceptPending(now: afterPoll) }
            expireConnections(now: ContinuousClock.now)
        }
    }

    /// Until the nearest connection deadline or the end of an accept pause; -1 (no limit) if none.
    private func pollTimeout(now: ContinuousClock.Instant) -> Int32 {
        let limits = configuration.limits
        var nearest = acceptPausedUntil.flatMap { $0 > now ? $0 : nil }
        for connection in connections.values {
            let deadline = connection.deadline(idleTimeout: limits.idleTimeout, linger: Self.linger)
            nearest = nearest.map { min($0, deadline) } ?? deadline
        }
        return nearest.map { SystemCall.milliseconds(until: $0, now: now) } ?? -1
    }

    /// Reads and writes one ready connection, then carries out what it asks.
    private func handle(fd: Int32, events: Int32, now: ContinuousClock.Instant) {
        // Taken out of the table while it changes, so its buffers are not copied on write.
        guard var connection = connections.removeValue(forKey: fd) else { return }
        var keep = true
        if events & (POLLIN | POLLHUP | POLLERR) != 0 && connection.wantsInput {
            keep = read(fd: fd, into: &connection, now: now)
        }
        if keep { keep = service(fd: fd, &connection, now: now) }
        if keep && events & (POLLHUP | POLLERR | POLLNVAL) != 0 && !connection.wantsInput && connection.unsentCount == 0 {
            keep = false
        }
        if keep {
            connections[fd] = connection
        } else {
            close(fd: fd)
        }
    }

    /// One read; returns false when the connection failed or the drain is over.
    private func read(fd: Int32, into connection: inout HTTPConnection, now: ContinuousClock.Instant) -> Bool {
        switch SystemCall.receive(fd, into: &receiveBuffer) {
        case .bytes(let count):
            connection.receive(receiveBuffer[0..<count], now: now)
        case .endOfStream:
            if connection.drainingSince != nil { return false }
            connection.endOfInput()
        case .wouldBlock:
            break
        case .failed(let error):
            logger.debug("HTTP connection failed", metadata: ["error": "\(error)"])
            return false
        }
        return true
    }

    /// Answers what the connection has buffered and writes as much as the socket takes, until
    /// it would block or nothing is left; then shuts down or closes if the connection is done.
    /// Returns false when the socket should be closed.
    private func service(fd: Int32, _ connection: inout HTTPConnection, now: ContinuousClock.Instant) -> Bool {
        while true {
            record(connection.answerBuffered(date: currentDate(), refuse: configuration.refusalResponse, respond: configuration.handler))
            if connection.unsentCount > 0 {
                switch SystemCall.send(fd, connection.unsentOutput) {
                case .bytes(let count):
                    connection.sent(count, now: now)
                    continue
                case .wouldBlock:
                    return true
                case .endOfStream, .failed:
                    return false
                }
            }
            switch connection.nextStep {
            case .wait:
                return true
            case .close:
                return false
            case .shutdownAndDrain:
                SystemCall.shutdownWrite(fd)
                connection.startDraining(now: now)
                return true
            }
        }
    }

    private func record(_ outcome: HTTPConnection.Outcome) {
        guard outcome.served > 0 || !outcome.refused.isEmpty else { return }
        for error in outcome.refused {
            logger.debug("HTTP request refused", metadata: ["status": "\(error.status)", "reason": "\(error.detail)"])
        }
        for problem in outcome.problems {
            logger.warning("HTTP handler response corrected", metadata: ["problem": "\(problem)"])
        }
        configuration.counters.update { counters in
            counters.requestsServed += outcome.served
            for error in outcome.refused { counters.badRequests[error.status, default: 0] += 1 }
        }
    }

    /// Times out idle and lingering connections: a half-received request gets a 408 first.
    private func expireConnections(now: ContinuousClock.Instant) {
        let limits = configuration.limits
        let expired = connections.filter { now >= $0.value.deadline(idleTimeout: limits.idleTimeout, linger: Self.linger) }.map(\.key)
        for fd in expired {
            guard var connection = connections.removeValue(forKey: fd) else { continue }
            if connection.timeOut(now: now, date: currentDate(), refuse: configuration.refusalResponse) {
                configuration.counters.update { $0.badRequests[408, default: 0] += 1 }
                if service(fd: fd, &connection, now: now) {
                    connections[fd] = connection
                    continue
                }
            } else if connection.drainingSince == nil {
                configuration.counters.update { $0.connectionsTimedOut += 1 }
            }
            close(fd: fd)
        }
    }

    func close(fd: Int32) {
        connections.removeValue(forKey: fd)
        SystemCall.close(fd)
        let open = connections.count
        configuration.counters.update { $0.connectionsOpen = open }
    }

    private func closeEverything() {
        for fd in connections.keys { SystemCall.close(fd) }
        connections.removeAll()
        SystemCall.close(listener)
        SystemCall.close(wake)
        configuration.counters.update { $0.connectionsOpen = 0 }
    }

    /// The `Date` header's value, formatted once per second.
    private func currentDate() -> String {
        let seconds = Int(time(nil))
        if seconds != cachedDate.second {
            cachedDate = (seconds, HTTPDate.format(secondsSinceEpoch: seconds))
        }
        return cachedDate.text
    }
}
