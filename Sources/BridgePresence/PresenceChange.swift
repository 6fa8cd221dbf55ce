/// What applying one status event did to the presence state.
public enum PresenceChange: String, Sendable, CaseIterable {
    /// A `connect` opened a channel the tracker did not know (or knew only from a `disconnect`).
    case opened
    /// A `tcpclean` closed an open channel.
    case closed
    /// A `tcpclean` arrived before its channel's `connect`: the channel is remembered as closed (a tombstone),
    /// so the late `connect` will not reopen it.
    case closedBeforeConnect
    /// A `connect` for a channel already closed by an earlier `tcpclean`: ignored, the channel stays closed.
    case lateConnectIgnored
    /// A `disconnect` for a known channel (open or closed).
    case disconnectRecorded
    /// A `disconnect` for a channel not seen yet: remembered, but the channel is not open (SPEC §7: offline is
    /// decided on `tcpclean` only).
    case disconnectBeforeConnect
    /// The same kind of event was already applied to this channel.
    case duplicate

    /// True when the event adds information consumers should receive: everything but duplicates and late
    /// connects.
    public var isNews: Bool {
        switch self {
        case .duplicate, .lateConnectIgnored: false
        default: true
        }
    }
}
