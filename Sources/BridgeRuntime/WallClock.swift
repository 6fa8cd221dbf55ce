import Glibc

/// The wall clock, read only where a timestamp is the product (`bornTimestamp`, status event times).
enum WallClock {
    /// Milliseconds since the epoch.
    static func epochMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000 + (Int64(spec.tv_nsec) + 500_000) / 1_000_000
    }
}
