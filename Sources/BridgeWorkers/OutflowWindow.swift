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
public struct OutflowWindow<Payload: Sendable>: Sendable {
    public let window: Int
    /// Sent and not yet acknowledged, by seq.
    var unacked: [UInt64: Payload] = [:]
    /// Not sent yet, oldest first (`head` is the next one).
    var waiting: [(seq: UInt64, payload: Payload)] = []
    var head = 0

    public init(window: Int) {
        self.window = max(1, window)
    }

    /// Messages sent and not yet acknowledged.
    public var inFlight: Int { unacked.count }
    /// Messages waiting for room in the window.
    public var waitingCount: Int { waiting.count - head }
    /// Whether every message added has been acknowledged.
    public var isEmpty: Bool { unacked.isEmpty && waitingCount == 0 }
    /// The seqs not yet acknowledged, sent or not.
    public var pendingSeqs: [UInt64] { unacked.keys.sorted() + waiting[head...].map(\.seq) }

    /// A new message: returned to be sent now when the window has room, else kept in order.
    public mutating func add(seq: UInt64, _ payload: Payload) -> [(seq: UInt64, payload: Payload)] {
        waiting.append((seq, payload))
        return fill()
    }

    /// The hub acknowledged `seq`: returns whether it was pending, and what the freed room lets go.
    public mutating func acknowledge(_ seqs: [UInt64]) -> (settled: [UInt64], send: [(seq: UInt64, payload: Payload)]) {
        var settled: [UInt64] = []
        for seq in seqs where unacked.removeValue(forKey: seq) != nil { settled.append(seq) }
        return (settled, fill())
    }

    /// A new session with the hub: every message sent and not acknowledged is sent again, oldest first,
    /// then the window is filled from those waiting.
    public mutating func resend() -> [(seq: UInt64, payload: Payload)] {
        unacked.keys.sorted().map { ($0, unacked[$0]!) } + fill()
    }

    /// Moves waiting messages into the window while it has room.
    mutating func fill() -> [(seq: UInt64, payload: Payload)] {
        var sent: [(seq: UInt64, payload: Payload)] = []
        while unacked.count < window, head < waiting.count {
            let next = waiting[head]
            head += 1
            unacked[next.seq] = next.payload
            sent.append(next)
        }
        if head > 0 && head * 2 >= waiting.count {
            waiting.removeFirst(head)
            head = 0
        }
        return sent
    }
}
