/// The fixed-size part of one client (96 bytes): its ID (inline when short, else its place in the arena), its
/// current channel inline, the time and type of its last event, and the link to its other channels in the
/// `ChannelPool`.
struct ClientRecord: Sendable {
    /// The ID's bytes, zero-padded, when it is at most `inlineIDCapacity` bytes long (see `ClientKey`).
    var idWords: ClientKey.Words = (0, 0, 0, 0)
    /// The arena offset of an ID longer than `inlineIDCapacity`.
    var idOffset: UInt32 = 0
    /// `longID` when the ID is 65535 bytes or longer; the arena then holds a 4-byte length first.
    var idLength: UInt16
    var flags: UInt16 = 0
    /// The current channel: its 128 bits, or (with `channelIsText`) arena offset and length.
    var channelHigh: UInt64 = 0
    var channelLow: UInt64 = 0
    var connectedAt: Int64 = 0
    /// Valid with `currentClosed`.
    var closedAt: Int64 = 0
    /// The current channel's address: packed IPv4, or (with `addressIsText`) offset | length << 32.
    var address: UInt64 = 0
    var lastEventTime: Int64 = 0
    /// The client's first node in the channel pool + 1 (its other channels, and the last event's channel and
    /// address when they are not the current channel's); 0 when it has none.
    var others: UInt32 = 0

    static let longID: UInt16 = 0xFFFF
    /// IDs up to this many bytes are kept in the record (MQTT 3.1.1 allows servers to limit IDs to 23 bytes;
    /// ApsaraMQ's `GroupID@@@DeviceID` are often a little longer).
    static let inlineIDCapacity = 32

    var hasInlineID: Bool { Int(idLength) <= ClientRecord.inlineIDCapacity }

    static let hasCurrent: UInt16 = 1 << 0
    static let currentClosed: UInt16 = 1 << 1
    static let currentDisconnected: UInt16 = 1 << 2
    static let channelIsText: UInt16 = 1 << 3
    static let addressIsText: UInt16 = 1 << 4
    /// Bits 5–6: the last event's type, 1 + its index in `StatusEvent.EventType.allCases`; 0 when none.
    static let lastEventShift: UInt16 = 5
    static let lastEventMask: UInt16 = 3 << 5
    /// The last event's channel and address are the current channel's.
    static let lastEventInline: UInt16 = 1 << 7
    /// One of the client's pool nodes is an open channel.
    static let othersOpen: UInt16 = 1 << 8

    func has(_ flag: UInt16) -> Bool { flags & flag != 0 }

    /// The client has an open channel: its current one, or one in the pool.
    var isOnline: Bool {
        flags & (ClientRecord.hasCurrent | ClientRecord.currentClosed) == ClientRecord.hasCurrent
            || has(ClientRecord.othersOpen)
    }
}
