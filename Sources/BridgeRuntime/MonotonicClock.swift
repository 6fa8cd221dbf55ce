import Foundation

/// Time as the runtime reads it; the pure parts receive it as a parameter.
enum MonotonicClock {
    /// Milliseconds on a monotonic clock, for deadlines and heartbeats.
    static func nowMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// Milliseconds since the epoch, for `bornTimestamp` and status event times.
    static func epochMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000).rounded())
    }

    /// 16 random lowercase hex characters.
    static func randomHex16() -> String {
        let value = UInt64.random(in: 0...UInt64.max)
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
