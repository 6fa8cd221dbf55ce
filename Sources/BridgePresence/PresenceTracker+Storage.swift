import BridgeCore

/// The compact layout: records, arena, index and channel pool, and the conversion to and from `ClientState`.
extension PresenceTracker {
    func findRecord(_ clientId: String) -> Int32? {
        if let record = clientId.utf8.withContiguousStorageIfAvailable({ findRecord(ClientKey($0)) }) {
            return record
        }
        var clientId = clientId
        return clientId.withUTF8 { findRecord(ClientKey($0)) }
    }

    func findRecord(_ key: ClientKey) -> Int32? {
        records.withUnsafeBufferPointer { records in
            index.find(hash: key.hash) { record in
                let stored = records[Int(record)]
                if key.isInline {
                    return Int(stored.idLength) == key.bytes.count && stored.idWords == key.words
                }
                guard !stored.hasInlineID else { return false }
                let (offset, length) = PresenceTracker.idLocation(of: stored, in: arena)
                return arena.equals(offset: offset, length: length, key.bytes)
            }
        }
    }

    /// Where an ID kept in the arena is.
    static func idLocation(of record: ClientRecord, in arena: ByteArena) -> (offset: Int, length: Int) {
        let offset = Int(record.idOffset)
        if record.idLength == ClientRecord.longID {
            return (offset + 4, arena.uint32(at: offset))
        }
        return (offset, Int(record.idLength))
    }

    func clientId(of record: ClientRecord) -> String {
        if record.hasInlineID {
            return withUnsafeBytes(of: record.idWords) { words in
                String(decoding: words.prefix(Int(record.idLength)), as: UTF8.self)
            }
        }
        let (offset, length) = PresenceTracker.idLocation(of: record, in: arena)
        return arena.string(offset: offset, length: length)
    }

    mutating func insertRecord(_ key: ClientKey) -> Int32 {
        precondition(records.count < Int(Int32.max), "presence tracker is limited to 2^31 - 1 clients")
        let number = Int32(records.count)
        if key.isInline {
            records.append(ClientRecord(idWords: key.words, idLength: UInt16(key.bytes.count)))
        } else {
            let length: UInt16
            let offset: Int
            if key.bytes.count >= Int(ClientRecord.longID) {
                let count = UInt32(clamping: key.bytes.count)
                offset = arena.append(bytes: (0..<4).map { UInt8(truncatingIfNeeded: count >> (8 * $0)) })
                length = ClientRecord.longID
            } else {
                offset = arena.bytes.count
                length = UInt16(key.bytes.count)
            }
            _ = arena.append(key.bytes)
            records.append(ClientRecord(idOffset: UInt32(offset), idLength: length))
        }
        index.insert(number, hash: key.hash)
        return number
    }

    // MARK: Record <-> state

    func state(of record: Int32) -> ClientState {
        let stored = records[Int(record)]
        var state = ClientState()
        if stored.has(ClientRecord.hasCurrent) {
            state.current = ChannelEntry(
                channel: channelKey(stored.channelHigh, stored.channelLow, isText: stored.has(ClientRecord.channelIsText)),
                address: address(stored.address, isText: stored.has(ClientRecord.addressIsText)),
                connectedAt: stored.connectedAt,
                closedAt: stored.has(ClientRecord.currentClosed) ? stored.closedAt : nil,
                disconnected: stored.has(ClientRecord.currentDisconnected))
        }
        var lastEventNode: StoredChannel?
        var link = stored.others
        while link != 0 {
            let node = pool[link]
            if node.has(StoredChannel.isLastEvent) {
                lastEventNode = node
            } else {
                state.others.append(entry(of: node))
            }
            link = node.next
        }
        if let type = PresenceTracker.eventType(code: (stored.flags & ClientRecord.lastEventMask) >> ClientRecord.lastEventShift) {
            if stored.has(ClientRecord.lastEventInline), let current = state.current {
                state.lastEvent = LastEvent(
                    type: type, time: stored.lastEventTime, channel: current.channel, address: current.address)
            } else if let node = lastEventNode {
                state.lastEvent = LastEvent(
                    type: type, time: stored.lastEventTime,
                    channel: channelKey(node.channelHigh, node.channelLow, isText: node.has(StoredChannel.channelIsText)),
                    address: address(node.address, isText: node.has(StoredChannel.addressIsText)))
            }
        }
        return state
    }

    private func entry(of node: StoredChannel) -> ChannelEntry {
        ChannelEntry(
            channel: channelKey(node.channelHigh, node.channelLow, isText: node.has(StoredChannel.channelIsText)),
            address: address(node.address, isText: node.has(StoredChannel.addressIsText)),
            connectedAt: node.has(StoredChannel.hasConnectedAt) ? node.connectedAt : nil,
            closedAt: node.has(StoredChannel.hasClosedAt) ? node.closedAt : nil,
            disconnected: node.has(StoredChannel.disconnected),
            pendingSince: node.has(StoredChannel.hasPendingSince) ? node.pendingSince : nil)
    }

    /// Writes `state` back as the client's record and pool nodes. The client's old nodes are freed first, so
    /// the new ones reuse them; text (channel IDs, addresses) already in the arena is reused where it is
    /// unchanged, the rest becomes garbage.
    mutating func store(_ state: ClientState, at record: Int32) {
        let old = records[Int(record)]
        var texts = OldTexts()
        if old.has(ClientRecord.hasCurrent) {
            if old.has(ClientRecord.channelIsText) { texts.add(offset: old.channelHigh, length: old.channelLow) }
            if old.has(ClientRecord.addressIsText) {
                let (offset, length) = PresenceTracker.split(old.address)
                texts.add(offset: UInt64(offset), length: UInt64(length))
            }
        }
        var link = old.others
        while link != 0 {
            let node = pool[link]
            if node.has(StoredChannel.channelIsText) { texts.add(offset: node.channelHigh, length: node.channelLow) }
            if node.has(StoredChannel.addressIsText) {
                let (offset, length) = PresenceTracker.split(node.address)
                texts.add(offset: UInt64(offset), length: UInt64(length))
            }
            pool.free(link)
            link = node.next
        }

        var stored = old
        var flags: UInt16 = 0
        if let current = state.current {
            flags |= ClientRecord.hasCurrent
            if current.disconnected { flags |= ClientRecord.currentDisconnected }
            if let closedAt = current.closedAt {
                flags |= ClientRecord.currentClosed
                stored.closedAt = closedAt
            } else {
                stored.closedAt = 0
            }
            stored.connectedAt = current.connectedAt ?? 0
            let (high, low, channelIsText) = encode(current.channel, reusing: &texts)
            stored.channelHigh = high
            stored.channelLow = low
            if channelIsText { flags |= ClientRecord.channelIsText }
            let (address, addressIsText) = encode(current.address, reusing: &texts)
            stored.address = address
            if addressIsText { flags |= ClientRecord.addressIsText }
        } else {
            stored.channelHigh = 0
            stored.channelLow = 0
            stored.connectedAt = 0
            stored.closedAt = 0
            stored.address = 0
        }

        var inline = true
        if let last = state.lastEvent {
            flags |= PresenceTracker.code(of: last.type) << ClientRecord.lastEventShift
            stored.lastEventTime = last.time
            inline = state.current.map { last.channel == $0.channel && last.address == $0.address } ?? false
            if inline { flags |= ClientRecord.lastEventInline }
        }
        // Linked back to front, so the list keeps the order of `others`, with the last event's node at its end.
        var head: UInt32 = 0
        if !inline, let last = state.lastEvent {
            var node = StoredChannel(next: head, flags: StoredChannel.isLastEvent)
            setChannel(last.channel, address: last.address, of: &node, reusing: &texts)
            head = pool.allocate(node)
        }
        for entry in state.others.reversed() {
            var node = StoredChannel(next: head)
            setChannel(entry.channel, address: entry.address, of: &node, reusing: &texts)
            if let connectedAt = entry.connectedAt {
                node.flags |= StoredChannel.hasConnectedAt
                node.connectedAt = connectedAt
            }
            if let closedAt = entry.closedAt {
                node.flags |= StoredChannel.hasClosedAt
                node.closedAt = closedAt
            }
            if let since = entry.pendingSince {
                node.flags |= StoredChannel.hasPendingSince
                node.pendingSince = since
            }
            if entry.disconnected { node.flags |= StoredChannel.disconnected }
            head = pool.allocate(node)
        }
        stored.others = head
        if state.others.contains(where: \.isOpen) { flags |= ClientRecord.othersOpen }
        stored.flags = flags
        records[Int(record)] = stored
        arena.garbage += texts.unusedBytes
        if arena.garbage > compactionThreshold, arena.garbage * 2 > arena.bytes.count {
            compactArena()
        }
    }

    private mutating func setChannel(
        _ channel: ChannelKey, address: PackedAddress, of node: inout StoredChannel, reusing texts: inout OldTexts
    ) {
        let (high, low, channelIsText) = encode(channel, reusing: &texts)
        node.channelHigh = high
        node.channelLow = low
        if channelIsText { node.flags |= StoredChannel.channelIsText }
        let (packed, addressIsText) = encode(address, reusing: &texts)
        node.address = packed
        if addressIsText { node.flags |= StoredChannel.addressIsText }
    }

    /// A channel key as two words: its 128 bits, or arena offset and length (then `isText`).
    private mutating func encode(_ channel: ChannelKey, reusing texts: inout OldTexts) -> (UInt64, UInt64, isText: Bool) {
        switch channel {
        case .hex(let high, let low):
            return (high, low, false)
        case .text(let text):
            let (offset, length) = textReference(text, reusing: &texts)
            return (offset, length, true)
        }
    }

    /// An address as one word: packed IPv4, or arena offset | length << 32 (then `isText`).
    private mutating func encode(_ address: PackedAddress, reusing texts: inout OldTexts) -> (UInt64, isText: Bool) {
        switch address {
        case .ipv4(let packed):
            return (packed, false)
        case .text(let text):
            let (offset, length) = textReference(text, reusing: &texts)
            return (offset | length << 32, true)
        }
    }

    /// The arena place of `text`: one of the client's old references with the same bytes, else a new copy.
    private mutating func textReference(_ text: String, reusing texts: inout OldTexts) -> (offset: UInt64, length: UInt64) {
        for index in texts.references.indices where !texts.references[index].used {
            let reference = texts.references[index]
            if arena.equals(offset: Int(reference.offset), length: Int(reference.length), text) {
                texts.references[index].used = true
                return (reference.offset, reference.length)
            }
        }
        return (UInt64(arena.append(text)), UInt64(text.utf8.count))
    }

    /// Copies every live string into a fresh arena; record and pool references are rewritten, the index
    /// (which hashes contents) stays valid.
    mutating func compactArena() {
        var fresh = ByteArena()
        fresh.reserveCapacity(arena.bytes.count - arena.garbage)
        for position in records.indices {
            var stored = records[position]
            if !stored.hasInlineID {
                let (offset, length) = PresenceTracker.idLocation(of: stored, in: arena)
                let prefix = offset - Int(stored.idOffset)
                stored.idOffset = UInt32(fresh.copy(from: arena, offset: Int(stored.idOffset), length: prefix + length))
            }
            if stored.has(ClientRecord.hasCurrent), stored.has(ClientRecord.channelIsText) {
                stored.channelHigh = UInt64(
                    fresh.copy(from: arena, offset: Int(stored.channelHigh), length: Int(stored.channelLow)))
            }
            if stored.has(ClientRecord.hasCurrent), stored.has(ClientRecord.addressIsText) {
                stored.address = PresenceTracker.moved(stored.address, from: arena, to: &fresh)
            }
            records[position] = stored
        }
        // Free nodes have no flags, so only live nodes are rewritten.
        for position in pool.nodes.indices {
            let link = UInt32(position + 1)
            var node = pool[link]
            guard node.has(StoredChannel.channelIsText) || node.has(StoredChannel.addressIsText) else { continue }
            if node.has(StoredChannel.channelIsText) {
                node.channelHigh = UInt64(fresh.copy(from: arena, offset: Int(node.channelHigh), length: Int(node.channelLow)))
            }
            if node.has(StoredChannel.addressIsText) {
                node.address = PresenceTracker.moved(node.address, from: arena, to: &fresh)
            }
            pool[link] = node
        }
        arena = fresh
    }

    /// An offset | length << 32 reference copied into `fresh`.
    private static func moved(_ reference: UInt64, from arena: ByteArena, to fresh: inout ByteArena) -> UInt64 {
        let (offset, length) = split(reference)
        return UInt64(fresh.copy(from: arena, offset: offset, length: length)) | UInt64(length) << 32
    }

    func channelKey(_ high: UInt64, _ low: UInt64, isText: Bool) -> ChannelKey {
        if isText {
            return .text(arena.string(offset: Int(high), length: Int(low)))
        }
        return .hex(high, low)
    }

    func address(_ packed: UInt64, isText: Bool) -> PackedAddress {
        if isText {
            let (offset, length) = PresenceTracker.split(packed)
            return .text(arena.string(offset: offset, length: length))
        }
        return .ipv4(packed)
    }

    static func split(_ reference: UInt64) -> (offset: Int, length: Int) {
        (Int(reference & 0xFFFF_FFFF), Int(reference >> 32))
    }

    static func code(of type: StatusEvent.EventType) -> UInt16 {
        switch type {
        case .connect: 1
        case .disconnect: 2
        case .tcpclean: 3
        }
    }

    private static func eventType(code: UInt16) -> StatusEvent.EventType? {
        switch code {
        case 1: .connect
        case 2: .disconnect
        case 3: .tcpclean
        default: nil
        }
    }
}

/// The arena references a client held before a change, so that `store` reuses those still needed and counts
/// the rest as garbage.
struct OldTexts {
    var references: [(offset: UInt64, length: UInt64, used: Bool)] = []

    mutating func add(offset: UInt64, length: UInt64) {
        references.append((offset, length, false))
    }

    var unusedBytes: Int {
        references.reduce(0) { $0 + ($1.used ? 0 : Int($1.length)) }
    }
}
