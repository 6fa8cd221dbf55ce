import Glibc

/// The monotonic clock as the runtime reads it; the pure parts receive the time as a parameter.
enum MonotonicClock {
    /// Milliseconds on a monotonic clock, for deadlines and heartbeats.
    static func nowMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
