/// Bytes read from an MQTT connection and not yet taken as packets: one read fills it with as many packets
/// as have arrived, ``takePackets(_:)`` hands over each whole one, and the incomplete rest waits for the next
/// read. No system calls here; the caller reads into ``freeSpace`` and reports with ``didWrite(_:)``.
///
/// Use from one thread.
public final class MQTTReceiveBuffer {
    private let storage: UnsafeMutableRawBufferPointer
    /// The first byte not yet taken.
    private var start = 0
    /// One past the last byte read.
    private var end = 0

    /// `capacity` bytes, which is also the largest packet it takes.
    public init(capacity: Int) {
        precondition(capacity >= 16, "room for at least a small packet")
        storage = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    public var capacity: Int { storage.count }
    /// Bytes read and not yet taken as packets.
    public var unreadCount: Int { end - start }

    /// Where the next read goes: everything after the unread bytes, which move to the front first when that
    /// makes more room. Empty only when the unread bytes fill the buffer (a packet over ``capacity``, which
    /// ``takePackets(_:)`` reports first).
    public var freeSpace: UnsafeMutableRawBufferPointer {
        if start > 0 {
            let unread = end - start
            if unread > 0 { storage.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: unread) }
            start = 0
            end = unread
        }
        return UnsafeMutableRawBufferPointer(rebasing: storage[end...])
    }

    /// Takes `count` bytes just read into ``freeSpace``.
    public func didWrite(_ count: Int) {
        precondition(count >= 0 && end + count <= storage.count, "more bytes than the free space holds")
        end += count
    }

    /// Calls `handle` with each whole packet read, in order, and the bytes its offsets refer to (valid only
    /// during the call); returns how many there were. Stops at the first packet that has not arrived whole.
    /// Throws for bytes that are not MQTT and for a packet over ``capacity``; the bytes are then left as
    /// they are, and the connection should be closed.
    @discardableResult
    public func takePackets(_ handle: (MQTTFrame, UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let bytes = UnsafeRawBufferPointer(rebasing: storage[..<end])
        var taken = 0
        while let frame = try MQTTFraming.nextFrame(in: bytes, at: start, limit: storage.count) {
            try handle(frame, bytes)
            start += frame.wireBytes
            taken += 1
        }
        if start == end {
            start = 0
            end = 0
        }
        return taken
    }
}
