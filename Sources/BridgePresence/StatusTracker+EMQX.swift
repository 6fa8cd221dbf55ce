import BridgeCore

/// EMQX: `(clientid, connected_at)` names a connection in both of its events, so channel IDs are derived
/// from it (`ChannelID.emqx`) and redelivered events map to the same channel.
extension StatusTracker {
    mutating func ingestEMQX(topic: String, payload: [UInt8], receivedAt: Int64) -> StatusIngest {
        let parsed: EMQXClientEvent?
        do {
            parsed = try EMQXEventParser.parse(topic: topic, payload: payload)
        } catch {
            return .rejected(error)
        }
        guard let event = parsed else { return .none(.ignored) }
        switch event.kind {
        case .connected: return emqxConnected(event)
        case .disconnected: return emqxDisconnected(event, receivedAt: receivedAt)
        }
    }

    private mutating func emqxConnected(_ event: EMQXClientEvent) -> StatusIngest {
        guard let connectedAt = event.connectedAt else {
            return .rejected(StatusProblem(.missingEMQXField, "EMQX connected event without 'connected_at'"))
        }
        let connect = StatusEvent(
            clientId: event.clientId, time: connectedAt, eventType: .connect,
            channelId: ChannelID.emqx(clientId: event.clientId, connectedAt: connectedAt), clientIp: event.ipAddress)
        var events: [StatusEvent] = []
        let change = emit(connect, into: &events)
        return .emitted(events, otherwise: change == .lateConnectIgnored ? .lateConnect : .duplicate)
    }

    /// `tcpclean` (after `disconnect` when `reason` is `normal`). Without `connected_at` (EMQX 4) the event is
    /// mapped to the client's open current channel, when it is not older than that channel.
    private mutating func emqxDisconnected(_ event: EMQXClientEvent, receivedAt: Int64) -> StatusIngest {
        let clientId = event.clientId
        let time = event.disconnectedAt ?? event.timestamp ?? receivedAt
        let channelId: String
        if let connectedAt = event.connectedAt {
            channelId = ChannelID.emqx(clientId: clientId, connectedAt: connectedAt)
        } else {
            guard let current = presence.currentChannel(of: clientId) else { return .none(.unknownClient) }
            if time < current.connectedAt { return .none(.stale) }
            guard current.isOpen else { return .none(.duplicate) }
            channelId = current.channelId
        }
        // Both events or neither: a lone `disconnect` after its channel's `tcpclean` would break SPEC §6.
        if presence.channelStatus(channelId, of: clientId) == .closed { return .none(.duplicate) }
        let clientIp = presence.channels(of: clientId).first { $0.channelId == channelId }?.clientIp ?? event.ipAddress
        var events: [StatusEvent] = []
        if event.sentDisconnect {
            _ = emit(
                StatusEvent(
                    clientId: clientId, time: time, eventType: .disconnect, channelId: channelId, clientIp: clientIp),
                into: &events)
        }
        _ = emit(
            StatusEvent(clientId: clientId, time: time, eventType: .tcpclean, channelId: channelId, clientIp: clientIp),
            into: &events)
        return .emitted(events, otherwise: .duplicate)
    }
}
