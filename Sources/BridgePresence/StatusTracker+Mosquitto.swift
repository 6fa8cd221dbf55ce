import BridgeCore

/// Mosquitto: log lines → channels. A client has one connection at a time and its lines arrive in order, so a
/// closing line refers to the channel of the client's latest connect line.
extension StatusTracker {
    mutating func ingestMosquitto(topic: String, payload: [UInt8], receivedAt: Int64) -> StatusIngest {
        // Connection messages are logged at notice (N) and, for takeovers, error (E) level only.
        let level = topic.dropFirst(StatusTracker.mosquittoLogPrefix.count)
        guard level == "N" || level == "E" else { return .none(.ignored) }
        let line: MosquittoLogLine
        do {
            line = try MosquittoLogParser.parse(payload)
        } catch {
            return .rejected(error)
        }
        let seconds = StatusTracker.usableSeconds(line.timestamp)
        var time = StatusTracker.eventTime(seconds: seconds, receivedAt: receivedAt)
        // A line received after its second ended gets the second's start, which may be earlier than an
        // earlier line of the same second received in time: keep each client's times in log order.
        if let clientId = line.event.clientId, let newest = presence.lastEventTime(of: clientId), newest > time {
            if seconds == nil || StatusTracker.second(of: newest) == seconds { time = newest }
        }
        switch line.event {
        case .ignored:
            return .none(.ignored)
        case .connected(let connection):
            return mosquittoConnected(connection, seconds: seconds, time: time)
        case .disconnected(let clientId):
            return mosquittoClosed(clientId, seconds: seconds, time: time, sentDisconnect: true)
        case .closed(let clientId, _), .takenOver(let clientId):
            return mosquittoClosed(clientId, seconds: seconds, time: time, sentDisconnect: false)
        }
    }

    /// Log seconds that can be turned into milliseconds.
    static func usableSeconds(_ timestamp: Int64?) -> Int64? {
        guard let timestamp, !timestamp.multipliedReportingOverflow(by: 1000).overflow else { return nil }
        return timestamp
    }

    /// The log second in ms, refined to `receivedAt` when that falls within the same second; `receivedAt`
    /// when the line has no timestamp.
    static func eventTime(seconds: Int64?, receivedAt: Int64) -> Int64 {
        guard let seconds else { return receivedAt }
        return second(of: receivedAt) == seconds ? receivedAt : seconds * 1000
    }

    /// A new connection: a new channel. The client's open channel, if any, is gone (Mosquitto allows one
    /// connection per client ID), even if the takeover line was lost, so it is closed first.
    ///
    /// A line that repeats a known connection (same `ip:port` and log second as a remembered channel) is a
    /// redelivery; without a timestamp, the same `ip:port` as the open current channel is (a TCP peer address
    /// cannot connect twice at once). The closing lines that follow a redelivered connect line refer to the
    /// channel it repeats, so that channel becomes the client's line cursor.
    private mutating func mosquittoConnected(_ connection: MosquittoConnection, seconds: Int64?, time: Int64)
        -> StatusIngest
    {
        let clientId = connection.clientId
        let current = presence.currentChannel(of: clientId)
        var repeated: PresenceChannel?
        if let seconds {
            repeated = presence.channels(of: clientId).last {
                $0.clientIp == connection.address && StatusTracker.second(of: $0.connectedAt) == seconds
            }
            if repeated == nil, let current, seconds < StatusTracker.second(of: current.connectedAt) {
                return .none(.stale)
            }
        } else if let current, current.isOpen, current.clientIp == connection.address {
            repeated = current
        }
        if let repeated {
            lineCursor[clientId] = repeated.channelId == current?.channelId ? nil : repeated.channelId
            return .none(.duplicate)
        }
        var events: [StatusEvent] = []
        for open in presence.client(clientId)?.openChannels ?? [] {
            _ = emit(
                StatusEvent(
                    clientId: clientId, time: time, eventType: .tcpclean, channelId: open.channelId,
                    clientIp: open.clientIp), into: &events)
        }
        // Derived from the line when it has a timestamp, so that every bridge reading this broker agrees.
        let channelId = seconds.map { ChannelID.mosquitto(clientId: clientId, address: connection.address, second: $0) } ?? generator.next()
        let connect = StatusEvent(
            clientId: clientId, time: time, eventType: .connect, channelId: channelId, clientIp: connection.address)
        _ = emit(connect, into: &events)
        lineCursor[clientId] = nil
        return .emitted(events, otherwise: .duplicate)
    }

    /// The channel a closing line refers to: the one of the client's latest connect line, which is the
    /// current channel unless a redelivered connect line pointed elsewhere.
    private func lineChannel(of clientId: String) -> PresenceChannel? {
        if let channelId = lineCursor[clientId],
            let channel = presence.channels(of: clientId).first(where: { $0.channelId == channelId })
        {
            return channel
        }
        return presence.currentChannel(of: clientId)
    }

    /// A closing line: `disconnect` (when the client sent DISCONNECT) and `tcpclean` for the line's channel.
    /// A takeover line is logged before the new connection's connect line, so it too refers to the channel
    /// of the latest connect line: the old one.
    private mutating func mosquittoClosed(_ clientId: String, seconds: Int64?, time: Int64, sentDisconnect: Bool)
        -> StatusIngest
    {
        guard let channel = lineChannel(of: clientId) else { return .none(.unknownClient) }
        if let seconds, seconds < StatusTracker.second(of: channel.connectedAt) { return .none(.stale) }
        guard channel.isOpen else { return .none(.duplicate) }
        var events: [StatusEvent] = []
        if sentDisconnect {
            _ = emit(
                StatusEvent(
                    clientId: clientId, time: time, eventType: .disconnect, channelId: channel.channelId,
                    clientIp: channel.clientIp), into: &events)
        }
        _ = emit(
            StatusEvent(
                clientId: clientId, time: time, eventType: .tcpclean, channelId: channel.channelId,
                clientIp: channel.clientIp), into: &events)
        return .emitted(events, otherwise: .duplicate)
    }
}
