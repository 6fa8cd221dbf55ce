import BridgeCore

@testable import BridgePresence

/// SplitMix64: a small deterministic generator so randomized tests replay from their seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

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
