import Logging

/// Logs a kind of event at most once per interval, with the number of occurrences in between, so that a
/// flood of bad input cannot flood the log. Owned by one thread.
struct RateLimitedLogger {
    let logger: Logger
    let intervalMs: Int64
    private var lastLogged: [String: Int64] = [:]
    private var suppressed: [String: Int] = [:]

    init(logger: Logger, intervalMs: Int64 = 10_000) {
        self.logger = logger
        self.intervalMs = intervalMs
    }

    mutating func log(_ level: Logger.Level, kind: String, _ message: String, now: Int64) {
        if let last = lastLogged[kind], now - last < intervalMs {
            suppressed[kind, default: 0] += 1
            return
        }
        lastLogged[kind] = now
        let skipped = suppressed.removeValue(forKey: kind) ?? 0
        let suffix = skipped > 0 ? " (\(skipped) more like this since the last report)" : ""
        logger.log(level: level, "\(message)\(suffix)", metadata: ["kind": "\(kind)"])
    }
}
