internal import Glibc

extension ServerLoop {
    /// Accepts waiting connections: up to the limit into service, beyond it answered 503 and closed.
    func acceptPending(now: ContinuousClock.Instant) {
        for _ in 0..<Self.acceptBatch {
            let fd: Int32
            do {
                guard let accepted = try SystemCall.accept(listener) else { return }
                fd = accepted
            } catch {
                pauseAccepting(after: error, now: now)
                return
            }
            do {
                try SystemCall.prepareAccepted(fd)
            } catch {
                logger.warning("HTTP server cannot set up a connection", metadata: ["error": "\(error)"])
                SystemCall.close(fd)
                continue
            }
            guard connections.count < configuration.limits.maxConnections else {
                refuse(fd)
                continue
            }
            try? SystemCall.setNoDelay(fd)
            connections[fd] = HTTPConnection(limits: configuration.limits.request, now: now)
            let open = connections.count
            configuration.counters.update {
                $0.connectionsAccepted += 1
                $0.connectionsOpen = open
            }
        }
    }

    /// Answers 503 and closes at once: a connection over the limit gets no buffer and no
    /// place in the poll set. Input that has already arrived is read first, so that closing
    /// does not reset the connection before the client sees the answer.
    private func refuse(_ fd: Int32) {
        // Counted before the client can see the answer, so a reader that got the 503 sees it counted.
        configuration.counters.update { $0.connectionsRefused += 1 }
        _ = SystemCall.receive(fd, into: &receiveBuffer)
        _ = SystemCall.send(fd, overloadedResponse[...])
        SystemCall.shutdownWrite(fd)
        SystemCall.close(fd)
        logger.debug("HTTP connection refused: too many open", metadata: ["limit": "\(configuration.limits.maxConnections)"])
    }

    /// `accept` failed, most likely for want of descriptors (`EMFILE`): the pending connection
    /// stays queued and the listening socket stays readable, so stop polling it for a moment.
    private func pauseAccepting(after error: SystemError, now: ContinuousClock.Instant) {
        acceptPausedUntil = now.advanced(by: Self.acceptBackoff)
        if lastAcceptWarning.map({ now - $0 >= .seconds(10) }) ?? true {
            lastAcceptWarning = now
            logger.warning("HTTP server cannot accept connections", metadata: ["error": "\(error)"])
        }
    }
}
