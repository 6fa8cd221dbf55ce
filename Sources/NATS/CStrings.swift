#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// C strings (and arrays of them) that live until the pool is dropped; for option structs that
/// nats.c reads during one call.
struct CStringPool: ~Copyable {
    private var strings: [UnsafeMutablePointer<CChar>] = []
    private var arrays: [UnsafeMutablePointer<UnsafePointer<CChar>?>] = []

    init() {}

    /// A copy of `string` owned by the pool (nil for nil).
    mutating func copy(_ string: String?) -> UnsafePointer<CChar>? {
        guard let string, let copied = strdup(string) else { return nil }
        strings.append(copied)
        return UnsafePointer(copied)
    }

    /// A C array of copies of `list` owned by the pool (nil for an empty list).
    mutating func copyArray(_ list: [String]) -> UnsafeMutablePointer<UnsafePointer<CChar>?>? {
        guard !list.isEmpty else { return nil }
        let array = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: list.count)
        for (index, string) in list.enumerated() { array[index] = copy(string) }
        arrays.append(array)
        return array
    }

    deinit {
        strings.forEach { free($0) }
        arrays.forEach { $0.deallocate() }
    }
}

/// Converts a duration to whole nanoseconds (saturating).
func nanoseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    if overflow { return seconds < 0 ? .min : .max }
    return product &+ attoseconds / 1_000_000_000
}
