#if canImport(Glibc)
import Glibc
#endif

/// The payload layout of generated messages, so that a receiver can measure latency and spot losses:
/// bytes 0–3 `MQLG`, 4–11 the publish time (`MonotonicNanos`, little-endian), 12–15 the connection number,
/// 16–23 the message's number on that connection; the rest is filler. Payloads under 24 bytes are filler only.
public enum LoadPayload {
    public static let stampSize = 24
    static let magic: [UInt8] = Array("MQLG".utf8)

    /// A payload of `size` bytes, filler only (stamped later in place).
    public static func make(size: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        if size >= stampSize {
            bytes.replaceSubrange(0..<4, with: magic)
        }
        return bytes
    }

    /// Writes the publish time, connection and sequence number into a payload made by `make(size:)`.
    @inline(__always)
    public static func stamp(_ payload: inout [UInt8], time: UInt64, connection: UInt32, sequence: UInt64) {
        guard payload.count >= stampSize else { return }
        payload.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: time.littleEndian, toByteOffset: 4, as: UInt64.self)
            raw.storeBytes(of: connection.littleEndian, toByteOffset: 12, as: UInt32.self)
            raw.storeBytes(of: sequence.littleEndian, toByteOffset: 16, as: UInt64.self)
        }
    }

    /// The stamp of a received payload; nil when it carries none.
    public static func read(_ payload: [UInt8]) -> (time: UInt64, connection: UInt32, sequence: UInt64)? {
        payload.withUnsafeBytes { read($0) }
    }

    public static func read(_ raw: UnsafeRawBufferPointer) -> (time: UInt64, connection: UInt32, sequence: UInt64)? {
        guard raw.count >= stampSize, raw[0] == magic[0], raw[1] == magic[1], raw[2] == magic[2], raw[3] == magic[3] else {
            return nil
        }
        return (
            UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt64.self)),
            UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self)),
            UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        )
    }
}

/// Nanoseconds on the system's monotonic clock (`CLOCK_MONOTONIC`): the same clock in every thread and
/// process of the machine, so a stamp taken by the publisher can be compared with the receiver's clock.
public enum MonotonicNanos {
    @inline(__always)
    public static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// Sleeps until the monotonic clock reads `deadline` (absolute, so pacing does not drift).
    public static func sleep(until deadline: UInt64) {
        var spec = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &spec, nil) == EINTR {}
    }
}
