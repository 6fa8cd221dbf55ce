import BridgeCore
import WireProtocol

/// What the hub's I/O shell must do after the router handled an event.
public enum HubAction: Sendable, Equatable {
    /// Send a message to a peer.
    case send(PeerID, WireMessage)
    /// Stop reading from producers: inflow is backed up (no MQTT worker, or its window is full).
    case pauseProducers
    /// Read from producers again.
    case resumeProducers
    /// Something worth a log line, with a stable kind for counting and rate limiting.
    case log(HubLogLevel, kind: String, String)
    /// The durable subscriptions changed: keep these on disk (see `HubRouter.durableSubscriptions`).
    case saveDurableSubscriptions([DurableSubscription])
    /// A worker forwarded a message on one of the status subscriptions (`HubSettings.statusSubscriptions`):
    /// the shell reads it into the online-status view and hands the events it gives to `receiveStatus`.
    case ingestStatus(seq: UInt64, MQTTMessage, from: PeerID)
}

public enum HubLogLevel: String, Sendable {
    case debug, info, warning, error
}
