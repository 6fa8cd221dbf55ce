import BridgeCore

/// The online status of every client (SPEC §7), built from status events.
///
/// Events are grouped by channel: a channel is online from its `connect` until its `tcpclean`, a client is
/// online while any of its channels is. An offline event only affects its own channel, events may come out
/// of order or twice, and a `tcpclean` seen before its channel's `connect` still closes that channel. Every
/// `apply` reports what it did, so callers can emit only news and count the rest.
///
/// Closed channels are remembered as tombstones so that a late `connect` does not reopen them. Per client the
/// tracker keeps the most recently connected channel (open or closed) plus at most `tombstoneLimit` other
/// closed channels, those with the newest `tcpclean` times; a `connect` arriving after its channel's tombstone
/// was dropped would open the channel again. `pruneTombstones(before:)` drops old tombstones altogether.
/// Clients are forgotten only by `forgetOffline(before:)` (those offline since before a cutoff).
///
/// Memory: a client with one channel costs a 96-byte record, which holds IDs of up to 32 bytes, canonical IPv4
/// addresses and 32-hex channel IDs, and an 8-byte hash slot (about 120 bytes in all); longer IDs and other
/// channel IDs and addresses go to a shared arena. Each other channel or tombstone of a client takes a 56-byte node in a shared pool.
public struct PresenceTracker: Sendable {
    /// How many closed channels besides the current one each client keeps.
    public let tombstoneLimit: Int
    /// Clients with at least one open channel.
    public internal(set) var onlineClientCount = 0

    var arena = ByteArena()
    var index = ClientIndex()
    var records = ContiguousArray<ClientRecord>()
    var pool = ChannelPool()
    /// Garbage bytes in the arena above which it is compacted (when garbage is also half of it).
    var compactionThreshold = 1 << 20
    /// False applies every event through `ClientState` (the general path); tests compare both ways.
    var usesInPlacePaths = true

    /// - Parameter tombstoneLimit: closed channels kept per client besides the current one (at least 0).
    public init(tombstoneLimit: Int = 4) {
        self.tombstoneLimit = max(0, tombstoneLimit)
    }

    /// Number of clients held (online or not): every client seen, less those forgotten.
    public var clientCount: Int { records.count }

    /// Makes room for `clients` clients with IDs of about `averageIDLength` bytes, so that filling the tracker
    /// (e.g. when restoring a snapshot) does not regrow its storage.
    public mutating func reserveCapacity(clients: Int, averageIDLength: Int = 24) {
        records.reserveCapacity(clients)
        arena.reserveCapacity(clients * averageIDLength)
        index.reserve(clients)
    }

    /// Applies one event and reports what it changed.
    @discardableResult
    public mutating func apply(_ event: StatusEvent) -> PresenceChange {
        let channel = ChannelKey(event.channelId)
        let address = PackedAddress(event.clientIp)
        // Native strings lend their bytes without a copy (and without retaining the string).
        if let change = event.clientId.utf8.withContiguousStorageIfAvailable({
            apply(event.eventType, time: event.time, channel: channel, address: address, clientId: $0)
        }) {
            return change
        }
        var clientId = event.clientId
        return clientId.withUTF8 {
            apply(event.eventType, time: event.time, channel: channel, address: address, clientId: $0)
        }
    }

    mutating func apply(
        _ type: StatusEvent.EventType, time: Int64, channel: ChannelKey, address: PackedAddress,
        clientId bytes: UnsafeBufferPointer<UInt8>
    ) -> PresenceChange {
        let key = ClientKey(bytes)
        let existing = findRecord(key)
        if usesInPlacePaths {
            if let record = existing {
                if let change = applyInPlace(type, time: time, channel: channel, address: address, to: record) {
                    return change
                }
            } else if type == .connect, case .hex(let high, let low) = channel, case .ipv4(let packed) = address {
                insertConnected(key, channelHigh: high, channelLow: low, address: packed, time: time)
                return .opened
            }
        }
        var state = existing.map { self.state(of: $0) } ?? ClientState()
        let wasOnline = state.isOnline
        let change = state.apply(type, time: time, channel: channel, address: address, tombstoneLimit: tombstoneLimit)
        let record = existing ?? insertRecord(key)
        store(state, at: record)
        let isOnline = state.isOnline
        if isOnline != wasOnline { onlineClientCount += isOnline ? 1 : -1 }
        return change
    }

    /// Applies events in order, e.g. a persisted snapshot (`snapshotEvents()`) at start-up. An array goes
    /// through `apply(contentsOf:)`, which looks ahead.
    public mutating func restore(_ events: some Sequence<StatusEvent>) {
        if let array = events as? [StatusEvent] {
            apply(contentsOf: array)
            return
        }
        for event in events {
            apply(event)
        }
    }

    /// True while the client has an open channel; false for unknown clients.
    public func isOnline(_ clientId: String) -> Bool {
        guard let record = findRecord(clientId) else { return false }
        return records[Int(record)].isOnline
    }

    /// The time of the client's last event (cheaper than `client(_:)`).
    func lastEventTime(of clientId: String) -> Int64? {
        findRecord(clientId).map { records[Int($0)].lastEventTime }
    }

    /// Everything the tracker reports about one client; nil for a client never seen.
    public func client(_ clientId: String) -> ClientPresence? {
        guard let record = findRecord(clientId) else { return nil }
        return presence(of: state(of: record), clientId: clientId)
    }

    /// The client's most recently connected channel, open or closed (what a Mosquitto log line refers to).
    public func currentChannel(of clientId: String) -> PresenceChannel? {
        guard let record = findRecord(clientId) else { return nil }
        return state(of: record).current.flatMap(PresenceTracker.channel(from:))
    }

    /// Every remembered channel of the client whose `connect` was seen, open or closed, oldest connect first.
    public func channels(of clientId: String) -> [PresenceChannel] {
        guard let record = findRecord(clientId) else { return [] }
        let state = state(of: record)
        return PresenceTracker.sorted(([state.current].compactMap { $0 } + state.others).compactMap(PresenceTracker.channel(from:)))
    }

    /// What the tracker remembers of one channel; nil when it knows nothing of it (or dropped its tombstone).
    public func channelStatus(_ channelId: String, of clientId: String) -> ChannelStatus? {
        guard let record = findRecord(clientId) else { return nil }
        let state = state(of: record)
        let key = ChannelKey(channelId)
        guard let entry = state.current?.channel == key ? state.current : state.others.first(where: { $0.channel == key })
        else { return nil }
        if entry.isTombstone { return .closed }
        return entry.isOpen ? .open : .pending
    }

    /// Calls `body` with every client's presence, in the order clients were first seen.
    public func forEachClient(_ body: (ClientPresence) throws -> Void) rethrows {
        for record in records.indices {
            if let presence = presence(of: state(of: Int32(record)), clientId: clientId(of: records[record])) {
                try body(presence)
            }
        }
    }

    /// Drops tombstones closed before `cutoff` (ms) and `disconnect`-only channels older than it; the channel
    /// of each client's last event is kept. Returns how many channels were dropped. Call it now and then with
    /// a cutoff well past any reordering delay (e.g. an hour ago) to keep the channel pool small.
    @discardableResult
    public mutating func pruneTombstones(before cutoff: Int64) -> Int {
        var removed = 0
        for record in records.indices where records[record].others != 0 {
            let record = Int32(record)
            var state = state(of: record)
            let count = state.prune(before: cutoff)
            if count > 0 {
                removed += count
                store(state, at: record)
            }
        }
        return removed
    }

    /// Bytes held by the tracker's storage, estimated from capacities.
    public var approximateMemoryBytes: Int {
        records.capacity * MemoryLayout<ClientRecord>.stride + index.capacity * ClientIndex.slotBytes + arena.capacity
            + pool.capacity * MemoryLayout<StoredChannel>.stride
    }

    func presence(of state: ClientState, clientId: String) -> ClientPresence? {
        guard let last = state.lastEvent else { return nil }
        let all = [state.current].compactMap { $0 } + state.others
        return ClientPresence(
            clientId: clientId, isOnline: state.isOnline,
            openChannels: PresenceTracker.sorted(all.filter(\.isOpen).compactMap(PresenceTracker.channel(from:))),
            currentChannel: state.current.flatMap(PresenceTracker.channel(from:)),
            lastEvent: StatusEvent(
                clientId: clientId, time: last.time, eventType: last.type, channelId: last.channel.string,
                clientIp: last.address.string))
    }

    static func channel(from entry: ChannelEntry) -> PresenceChannel? {
        guard let connectedAt = entry.connectedAt else { return nil }
        return PresenceChannel(
            channelId: entry.channel.string, clientIp: entry.address.string, connectedAt: connectedAt,
            isOpen: entry.isOpen)
    }

    static func sorted(_ channels: [PresenceChannel]) -> [PresenceChannel] {
        channels.sorted { ($0.connectedAt, $0.channelId) < ($1.connectedAt, $1.channelId) }
    }
}
