import BridgeCore

/// One client's online status, as `PresenceTracker.client(_:)` reports it.
public struct ClientPresence: Sendable, Equatable {
    public var clientId: String
    /// True while at least one channel is open (SPEC §7).
    public var isOnline: Bool
    /// The open channels, oldest connect first (ties by channel ID).
    public var openChannels: [PresenceChannel]
    /// The most recently connected channel, open or closed; nil when no `connect` was seen yet.
    public var currentChannel: PresenceChannel?
    /// The newest event applied for this client (by `time`; on ties the one applied later).
    public var lastEvent: StatusEvent

    public init(
        clientId: String, isOnline: Bool, openChannels: [PresenceChannel], currentChannel: PresenceChannel?,
        lastEvent: StatusEvent
    ) {
        self.clientId = clientId
        self.isOnline = isOnline
        self.openChannels = openChannels
        self.currentChannel = currentChannel
        self.lastEvent = lastEvent
    }
}

/// A channel whose `connect` was seen.
public struct PresenceChannel: Sendable, Equatable, Hashable {
    public var channelId: String
    /// `ip:port` from the `connect` event.
    public var clientIp: String
    /// Milliseconds since the epoch, from the `connect` event.
    public var connectedAt: Int64
    /// False once its `tcpclean` was seen.
    public var isOpen: Bool

    public init(channelId: String, clientIp: String, connectedAt: Int64, isOpen: Bool) {
        self.channelId = channelId
        self.clientIp = clientIp
        self.connectedAt = connectedAt
        self.isOpen = isOpen
    }
}

/// What the tracker remembers of one channel.
public enum ChannelStatus: String, Sendable, CaseIterable {
    /// `connect` seen, `tcpclean` not.
    case open
    /// `tcpclean` seen (with or without its `connect`).
    case closed
    /// Only a `disconnect` seen so far.
    case pending
}
