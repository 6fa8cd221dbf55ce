/// A cumulative histogram of durations in milliseconds, with Prometheus-style bucket bounds.
public struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds of the buckets, in milliseconds; a last bucket takes everything above.
    public static let boundsMs: [Int64] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000]

    /// Observations per bucket (not cumulative); one more than `boundsMs` for the overflow bucket.
    public private(set) var buckets = [Int](repeating: 0, count: LatencyHistogram.boundsMs.count + 1)
    public private(set) var count = 0
    public private(set) var sumMs: Int64 = 0

    public init() {}

    public mutating func observe(_ milliseconds: Int64) {
        let value = max(0, milliseconds)
        let index = Self.boundsMs.firstIndex { value <= $0 } ?? Self.boundsMs.count
        buckets[index] += 1
        count += 1
        sumMs += value
    }

    /// The smallest bucket bound below which at least `fraction` of the observations fall (nil when empty
    /// or in the overflow bucket).
    public func quantileUpperBoundMs(_ fraction: Double) -> Int64? {
        guard count > 0 else { return nil }
        let wanted = Int((Double(count) * fraction).rounded(.up))
        var seen = 0
        for (index, bucket) in buckets.enumerated() {
            seen += bucket
            if seen >= wanted { return index < Self.boundsMs.count ? Self.boundsMs[index] : nil }
        }
        return nil
    }
}
