/// One channel of a client other than its current one, in the compact form `ChannelPool` stores (56 bytes):
/// the same encoding as the current channel in `ClientRecord` (hex bits inline, text in the arena), the
/// optional times as values plus presence flags, and the link to the client's next node.
///
/// A node can also hold the client's last event's channel and address when they are not the current
/// channel's (`isLastEvent`); such a node is not one of the client's channels.
struct StoredChannel: Sendable {
    /// The channel's 128 bits, or (with `channelIsText`) arena offset and length.
    var channelHigh: UInt64 = 0
    var channelLow: UInt64 = 0
    /// Packed IPv4, or (with `addressIsText`) offset | length << 32.
    var address: UInt64 = 0
    /// Valid with `hasConnectedAt`.
    var connectedAt: Int64 = 0
    /// Valid with `hasClosedAt`.
    var closedAt: Int64 = 0
    /// Valid with `hasPendingSince`.
    var pendingSince: Int64 = 0
    /// The client's next node + 1; 0 ends the list. For a free node: the next free node + 1.
    var next: UInt32 = 0
    var flags: UInt32 = 0

    static let hasConnectedAt: UInt32 = 1 << 0
    static let hasClosedAt: UInt32 = 1 << 1
    static let hasPendingSince: UInt32 = 1 << 2
    static let disconnected: UInt32 = 1 << 3
    static let channelIsText: UInt32 = 1 << 4
    static let addressIsText: UInt32 = 1 << 5
    /// The node holds the last event's channel and address, not a channel of the client.
    static let isLastEvent: UInt32 = 1 << 6

    func has(_ flag: UInt32) -> Bool { flags & flag != 0 }

    /// A tombstone: the channel's `tcpclean` was seen.
    var isTombstone: Bool { has(StoredChannel.hasClosedAt) && !has(StoredChannel.isLastEvent) }

    /// True for an open channel (connect seen, tcpclean not).
    var isOpen: Bool {
        flags & (StoredChannel.hasConnectedAt | StoredChannel.hasClosedAt | StoredChannel.isLastEvent)
            == StoredChannel.hasConnectedAt
    }
}

/// The nodes of every client's other channels in one array, linked per client, with a free list: one
/// allocation for all clients instead of a table entry and an array per client, and no allocation at all
/// when a client's list changes (freed nodes are reused first).
///
/// Nodes are addressed by number + 1 (`UInt32`), so 0 means "none" in a link.
struct ChannelPool: Sendable {
    private(set) var nodes = ContiguousArray<StoredChannel>()
    /// The first free node + 1; 0 when none.
    private var freeHead: UInt32 = 0
    /// Nodes in use.
    private(set) var count = 0

    var capacity: Int { nodes.capacity }

    /// Stores `node` (its `next` as given) and returns its link (number + 1).
    mutating func allocate(_ node: StoredChannel) -> UInt32 {
        count += 1
        if freeHead != 0 {
            let link = freeHead
            freeHead = nodes[Int(link) - 1].next
            nodes[Int(link) - 1] = node
            return link
        }
        precondition(nodes.count < Int(UInt32.max), "presence channel pool is limited to 2^32 - 1 nodes")
        nodes.append(node)
        return UInt32(nodes.count)
    }

    /// Returns the node at `link` to the free list.
    mutating func free(_ link: UInt32) {
        count -= 1
        nodes[Int(link) - 1] = StoredChannel(next: freeHead)
        freeHead = link
    }

    subscript(link: UInt32) -> StoredChannel {
        get { nodes[Int(link) - 1] }
        set { nodes[Int(link) - 1] = newValue }
    }
}
