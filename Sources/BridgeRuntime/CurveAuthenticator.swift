import Foundation
import Logging
import Synchronization
import ZeroMQ

/// Decides the hub's ZAP requests: lets in the allowed CURVE client keys and refuses every other with
/// status 400. Refusals are counted, and each refused key is logged once (at most one line a second, so a
/// flood of strangers cannot flood the log). Called on the ZAP handler's thread.
public final class CurveAuthenticator: Sendable {
    private let allowed: Set<[UInt8]>
    private let refusalCount = Atomic<Int>(0)
    private let refusalLog = Mutex(RefusalLog())
    private let logger: Logger
    private let now: @Sendable () -> Int64

    /// - Parameter allowedClients: Z85 public keys.
    /// - Throws: `EINVAL` for a key that is not 40 valid Z85 characters.
    public convenience init(allowedClients: [String], logger: Logger) throws(ZMQError) {
        try self.init(allowedClients: allowedClients, logger: logger, now: { MonotonicClock.nowMs() })
    }

    init(allowedClients: [String], logger: Logger, now: @escaping @Sendable () -> Int64) throws(ZMQError) {
        var keys = Set<[UInt8]>()
        for key in allowedClients {
            let raw = try Z85.decode(key)
            guard raw.count == 32 else { throw ZMQError(code: EINVAL, operation: "CurveAuthenticator: a public key is 40 Z85 characters") }
            keys.insert(raw)
        }
        self.allowed = keys
        self.logger = logger
        self.now = now
    }

    /// How many handshakes were refused so far.
    public var refusals: Int { refusalCount.load(ordering: .relaxed) }

    public func authenticate(_ request: ZAPRequest) -> ZAPReply {
        if let key = request.curvePublicKey, allowed.contains(key) {
            return ZAPReply(to: request, status: .success, statusText: "OK", userId: (try? Z85.encode(key)) ?? "")
        }
        refusalCount.add(1, ordering: .relaxed)
        let client = request.curvePublicKey.flatMap { try? Z85.encode($0) } ?? "(\(request.mechanism), no CURVE key)"
        let decision = refusalLog.withLock { $0.record(client, now: now()) }
        if decision.shouldLog {
            let unlogged = decision.unloggedBefore > 0 ? " (\(decision.unloggedBefore) other refusals since the last report)" : ""
            logger.warning(
                "refused CURVE client \(client) from \(request.address) on \(Self.endpointName(domain: request.domain)): not in hub.curve.allowedClients\(unlogged)",
                metadata: ["kind": "curve_refused"])
        }
        return ZAPReply(to: request, status: .authenticationFailure, statusText: "client key not allowed")
    }

    /// The ZAP domain the hub sets on the socket of each mapping-file endpoint.
    static func zapDomain(endpointName: String) -> String { "mqbridge:" + endpointName }

    static func endpointName(domain: String) -> String {
        domain.hasPrefix("mqbridge:") ? String(domain.dropFirst("mqbridge:".count)) : "ZAP domain '\(domain)'"
    }
}

/// Which refusals get a log line: the first of each key, at most one line per interval. Pure, owned by the
/// authenticator's lock.
struct RefusalLog {
    /// Refused keys already logged; forgotten in one go when it grows past `capacity`.
    private(set) var logged: Set<String> = []
    private var lastLineMs: Int64?
    private var unlogged = 0
    let intervalMs: Int64
    let capacity: Int

    init(intervalMs: Int64 = 1_000, capacity: Int = 4_096) {
        self.intervalMs = intervalMs
        self.capacity = capacity
    }

    /// Records one refusal of `key` at `now` (ms); says whether to log it and how many refusals went
    /// unlogged since the last line.
    mutating func record(_ key: String, now: Int64) -> (shouldLog: Bool, unloggedBefore: Int) {
        if logged.contains(key) { return (false, 0) }
        if let lastLineMs, now - lastLineMs < intervalMs {
            // Not marked as logged: a later refusal of the same key still gets its line.
            unlogged += 1
            return (false, 0)
        }
        if logged.count >= capacity { logged.removeAll(keepingCapacity: true) }
        logged.insert(key)
        lastLineMs = now
        defer { unlogged = 0 }
        return (true, unlogged)
    }
}
