import BridgeCore

/// The compact layout: records, arena, index and side table, and the conversion to and from `ClientState`.
extension PresenceTracker {
    func findRecord(_ clientId: String) -> Int32? {
        var clientId = clientId
        return clientId.withUTF8 { findRecord($0, hash: Mix.hash($0)) }
    }

    func findRecord(_ bytes: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int32? {
        records.withUnsafeBufferPointer { records in
            index.find(hash: hash) { record in
                let (offset, length) = PresenceTracker.idLocation(of: records[Int(record)], in: arena)
                return arena.equals(offset: offset, length: length, bytes)
            }
        }
    }

    static func idLocation(of record: ClientRecord, in arena: ByteArena) -> (offset: Int, length: Int) {
        let offset = Int(record.idOffset)
        if record.idLength == ClientRecord.longID {
            return (offset + 4, arena.uint32(at: offset))
        }
        return (offset, Int(record.idLength))
    }

    func clientId(of record: ClientRecord) -> String {
        let (offset, length) = PresenceTracker.idLocation(of: record, in: arena)
        return arena.string(offset: offset, length: length)
    }

    mutating func insertRecord(_ bytes: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int32 {
        precondition(records.count < Int(Int32.max), "presence tracker is limited to 2^31 - 1 clients")
        let number = Int32(records.count)
        let length: UInt16
        let offset: Int
        if bytes.count >= Int(ClientRecord.longID) {
            let count = UInt32(clamping: bytes.count)
            offset = arena.append(bytes: (0..<4).map { UInt8(truncatingIfNeeded: count >> (8 * $0)) })
            length = ClientRecord.longID
        } else {
            offset = arena.bytes.count
            length = UInt16(bytes.count)
        }
        _ = arena.append(bytes)
        records.append(ClientRecord(idOffset: UInt32(offset), idLength: length, flags: 0))
        index.insert(number, hash: hash)
        return number
    }

    // MARK: Record <-> state

    func state(of record: Int32) -> ClientState {
        let stored = records[Int(record)]
        var state = ClientState()
        if stored.has(ClientRecord.hasCurrent) {
            state.current = ChannelEntry(
                channel: channelKey(of: stored), address: address(of: stored), connectedAt: stored.connectedAt,
                closedAt: stored.has(ClientRecord.currentClosed) ? stored.closedAt : nil,
                disconnected: stored.has(ClientRecord.currentDisconnected))
        }
        let extra = stored.has(ClientRecord.hasExtras) ? extras[record] : nil
        state.others = extra?.others ?? []
        if let type = PresenceTracker.eventType(code: (stored.flags & ClientRecord.lastEventMask) >> ClientRecord.lastEventShift) {
            if stored.has(ClientRecord.lastEventInline), let current = state.current {
                state.lastEvent = LastEvent(
                    type: type, time: stored.lastEventTime, channel: current.channel, address: current.address)
            } else if let channel = extra?.lastEventChannel, let address = extra?.lastEventAddress {
                state.lastEvent = LastEvent(type: type, time: stored.lastEventTime, channel: channel, address: address)
            }
        }
        return state
    }

    /// `state(of:)` for a change that `store` writes back: the side table lets go of the channel list, so
    /// the state's copy is the only one and changing it does not copy it.
    mutating func takeState(of record: Int32) -> ClientState {
        let state = state(of: record)
        if records[Int(record)].has(ClientRecord.hasExtras) {
            extras[record]?.others = []
        }
        return state
    }

    mutating func store(_ state: ClientState, at record: Int32) {
        let old = records[Int(record)]
        var stored = old
        var flags: UInt16 = 0
        let oldTextChannel = old.has(ClientRecord.hasCurrent) && old.has(ClientRecord.channelIsText)
        let oldTextAddress = old.has(ClientRecord.hasCurrent) && old.has(ClientRecord.addressIsText)
        var keptChannel = false
        var keptAddress = false
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
            switch current.channel {
            case .hex(let high, let low):
                stored.channelHigh = high
                stored.channelLow = low
            case .text(let text):
                flags |= ClientRecord.channelIsText
                if oldTextChannel, arena.equals(offset: Int(old.channelHigh), length: Int(old.channelLow), text) {
                    keptChannel = true
                } else {
                    stored.channelHigh = UInt64(arena.append(text))
                    stored.channelLow = UInt64(text.utf8.count)
                }
            }
            switch current.address {
            case .ipv4(let packed):
                stored.address = packed
            case .text(let text):
                flags |= ClientRecord.addressIsText
                let (offset, length) = PresenceTracker.split(old.address)
                if oldTextAddress, arena.equals(offset: offset, length: length, text) {
                    keptAddress = true
                } else {
                    stored.address = UInt64(arena.append(text)) | UInt64(text.utf8.count) << 32
                }
            }
        } else {
            stored.channelHigh = 0
            stored.channelLow = 0
            stored.connectedAt = 0
            stored.closedAt = 0
            stored.address = 0
        }
        if oldTextChannel, !keptChannel { arena.garbage += Int(old.channelLow) }
        if oldTextAddress, !keptAddress { arena.garbage += PresenceTracker.split(old.address).length }

        var inline = true
        if let last = state.lastEvent {
            flags |= PresenceTracker.code(of: last.type) << ClientRecord.lastEventShift
            stored.lastEventTime = last.time
            inline = state.current.map { last.channel == $0.channel && last.address == $0.address } ?? false
            if inline { flags |= ClientRecord.lastEventInline }
        }
        if !state.others.isEmpty || !inline {
            flags |= ClientRecord.hasExtras
            extras[record] = ClientExtras(
                others: state.others, lastEventChannel: inline ? nil : state.lastEvent?.channel,
                lastEventAddress: inline ? nil : state.lastEvent?.address)
        } else if old.has(ClientRecord.hasExtras) {
            extras[record] = nil
        }
        stored.flags = flags
        records[Int(record)] = stored
        if arena.garbage > compactionThreshold, arena.garbage * 2 > arena.bytes.count {
            compactArena()
        }
    }

    /// Copies every live string into a fresh arena; record references are rewritten, the index (which hashes
    /// contents) stays valid.
    mutating func compactArena() {
        var fresh = ByteArena()
        fresh.reserveCapacity(arena.bytes.count - arena.garbage)
        for position in records.indices {
            var stored = records[position]
            let (offset, length) = PresenceTracker.idLocation(of: stored, in: arena)
            let prefix = offset - Int(stored.idOffset)
            stored.idOffset = UInt32(fresh.copy(from: arena, offset: Int(stored.idOffset), length: prefix + length))
            if stored.has(ClientRecord.hasCurrent), stored.has(ClientRecord.channelIsText) {
                stored.channelHigh = UInt64(
                    fresh.copy(from: arena, offset: Int(stored.channelHigh), length: Int(stored.channelLow)))
            }
            if stored.has(ClientRecord.hasCurrent), stored.has(ClientRecord.addressIsText) {
                let (offset, length) = PresenceTracker.split(stored.address)
                stored.address = UInt64(fresh.copy(from: arena, offset: offset, length: length)) | UInt64(length) << 32
            }
            records[position] = stored
        }
        arena = fresh
    }

    private func channelKey(of stored: ClientRecord) -> ChannelKey {
        if stored.has(ClientRecord.channelIsText) {
            return .text(arena.string(offset: Int(stored.channelHigh), length: Int(stored.channelLow)))
        }
        return .hex(stored.channelHigh, stored.channelLow)
    }

    private func address(of stored: ClientRecord) -> PackedAddress {
        if stored.has(ClientRecord.addressIsText) {
            let (offset, length) = PresenceTracker.split(stored.address)
            return .text(arena.string(offset: offset, length: length))
        }
        return .ipv4(stored.address)
    }

    private static func split(_ reference: UInt64) -> (offset: Int, length: Int) {
        (Int(reference & 0xFFFF_FFFF), Int(reference >> 32))
    }

    private static func code(of type: StatusEvent.EventType) -> UInt16 {
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
