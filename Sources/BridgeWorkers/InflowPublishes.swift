/// The MQTT worker's inflow publishes, with no I/O: which of the hub's seqs each broker message id stands for,
/// and how the broker's answer is acknowledged to the hub (batched into one `ACK` per mailbox pass when the hub
/// reads the batched form, else one by one; a refusal is reported as an error).
public struct InflowPublishes: Sendable, Equatable {
    /// Publishes waiting for the broker: libmosquitto message id -> the hub's seq.
    public private(set) var inFlight: [Int: UInt64] = [:]
    /// Publishes the broker acknowledged since the last `takeAcks`, by the hub's seq.
    public private(set) var acksDue: [UInt64] = []

    public init() {}

    /// What the shell does when the broker answers a publish.
    public enum Completion: Sendable, Equatable {
        /// Not one of ours (or answered already).
        case unknown
        /// Acknowledged; the seq waits for `takeAcks`.
        case batched
        /// Acknowledge `seq` to the hub now.
        case ack(seq: UInt64)
        /// The broker refused it: report an error for `seq`.
        case refused(seq: UInt64)
    }

    /// The hub's message `seq` was handed to libmosquitto as message `mid`.
    public mutating func published(mid: Int, seq: UInt64) {
        inFlight[mid] = seq
    }

    /// The broker answered message `mid` with `reasonCode` (< 0x80 is success).
    public mutating func completed(mid: Int, reasonCode: Int, batchAck: Bool) -> Completion {
        guard let seq = inFlight.removeValue(forKey: mid) else { return .unknown }
        guard reasonCode < 0x80 else { return .refused(seq: seq) }
        guard batchAck else { return .ack(seq: seq) }
        acksDue.append(seq)
        return .batched
    }

    /// The acknowledgements gathered since the last call, oldest first.
    public mutating func takeAcks() -> [UInt64] {
        defer { acksDue.removeAll(keepingCapacity: true) }
        return acksDue
    }
}
