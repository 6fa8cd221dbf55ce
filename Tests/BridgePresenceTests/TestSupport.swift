import BridgeCore


@testable import BridgePresence

/// Builds status events tersely.
func event(
    _ type: StatusEvent.EventType, _ clientId: String, _ channel: String, at time: Int64,
    ip: String = "10.0.0.1:5000"
) -> StatusEvent {
    StatusEvent(clientId: clientId, time: time, eventType: type, channelId: channel, clientIp: ip)
}

/// A 32-hex channel ID made from a small number, for readable tests.
func hexChannel(_ number: UInt64) -> String {
    ChannelID.render(high: 0xC0FFEE, low: number)
}

extension Array where Element == UInt8 {
    init(_ text: String) {
        self = Array(text.utf8)
    }
}
