/// The MQTT worker's outflow to the hub, with no I/O: which journaled message is sent when, what is sent
/// again after a new session, and when the window has room.
///
/// Every message the broker hands over is journaled and added here; at most `window` wait for the hub's
/// acknowledgement, the rest wait here in order (they are on disk, in the journal: the worker keeps
/// reading from the broker until the journal is full, not until the hub's window is). A `WELCOME` that
/// answers a `HELLO` (a new session: the hub forgot what it had) sends again every message not yet
/// acknowledged, oldest first, within the window.
///
/// `Payload` is what the shell sends for a message (its encoded frames).
///
/// Generic and used from another module, so the hot calls are `@inlinable` (specialized where they are used,
/// not dispatched through runtime generic metadata), and each has a form that hands what to send to a closure
/// instead of returning an array.
public struct OutflowWindow<Payload: Sendable>: Sendable {
    public let window: Int
    /// Sent and not yet acknowledged, by seq.
    @usableFromInline var unacked: [UInt64: Payload] = [:]
    /// Not sent yet, oldest first (`head` is the next one).
    @usableFromInline var waiting: [(seq: UInt64, payload: Payload)] = []
    @usableFromInline var head = 0

    public init(window: Int) {
        self.window = max(1, window)
    }

    /// Messages sent and not yet acknowledged.
    @inlinable public var inFlight: Int { unacked.count }
    /// Messages waiting for room in the window.
    @inlinable public var waitingCount: Int { waiting.count - head }
    /// Whether every message added has been acknowledged.
    public var isEmpty: Bool { unacked.isEmpty && waitingCount == 0 }
    /// The seqs not yet acknowledged, sent or not.
    public var pendingSeqs: [UInt64] { unacked.keys.sorted() + waiting[head...].map(\.seq) }

    /// A new message: returned to be sent now when the window has room, else kept in order.
    public mutating func add(seq: UInt64, _ payload: Payload) -> [(seq: UInt64, payload: Payload)] {
        var sent: [(seq: UInt64, payload: Payload)] = []
        add(seq: seq, payload) { sent.append(($0, $1)) }
        return sent
    }

    /// `add(seq:_:)`, handing the message to `send` when the window has room.
    @inlinable
    public mutating func add(seq: UInt64, _ payload: Payload, send: (UInt64, Payload) throws -> Void) rethrows {
        waiting.append((seq, payload))
        try fill(send)
    }

    /// The hub acknowledged `seq`: returns whether it was pending, and what the freed room lets go.
    public mutating func acknowledge(_ seqs: [UInt64]) -> (settled: [UInt64], send: [(seq: UInt64, payload: Payload)]) {
        var sent: [(seq: UInt64, payload: Payload)] = []
        let settled = acknowledge(seqs) { sent.append(($0, $1)) }
        return (settled, sent)
    }

    /// `acknowledge(_:)`, handing what the freed room lets go to `send`; returns the seqs that were pending.
    @inlinable
    public mutating func acknowledge(_ seqs: [UInt64], send: (UInt64, Payload) throws -> Void) rethrows -> [UInt64] {
        var settled: [UInt64] = []
        settled.reserveCapacity(seqs.count)
        for seq in seqs where unacked.removeValue(forKey: seq) != nil { settled.append(seq) }
        try fill(send)
        return settled
    }

    /// A new session with the hub: every message sent and not acknowledged is sent again, oldest first,
    /// then the window is filled from those waiting.
    public mutating func resend() -> [(seq: UInt64, payload: Payload)] {
        var sent: [(seq: UInt64, payload: Payload)] = unacked.keys.sorted().map { ($0, unacked[$0]!) }
        fill { sent.append(($0, $1)) }
        return sent
    }

    /// Moves waiting messages into the window while it has room, handing each to `send`.
    @inlinable
    mutating func fill(_ send: (UInt64, Payload) throws -> Void) rethrows {
        while unacked.count < window, head < waiting.count {
            let next = waiting[head]
            head += 1
            unacked[next.seq] = next.payload
            try send(next.seq, next.payload)
        }
        if head > 0 && head * 2 >= waiting.count {
            waiting.removeFirst(head)
            head = 0
        }
    }
}
