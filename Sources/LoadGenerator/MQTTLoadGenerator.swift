import Foundation
import Mosquitto

/// Publishes generated MQTT messages over several connections, as fast as the broker takes them or at a
/// fixed rate. Each connection runs on a thread of its own and drives libmosquitto itself, so a publish
/// is on the socket when the call returns and a full socket holds the connection back: the generator
/// measures the broker, not a queue in front of it. Payloads are stamped (`LoadPayload`) for latency.
public struct MQTTLoadGenerator: Sendable {
    public let options: LoadOptions

    public init(options: LoadOptions) throws(LoadError) {
        if let problem = options.problem { throw LoadError(problem) }
        self.options = options
    }

    /// Connects every connection, publishes, waits for the broker's acknowledgements and disconnects.
    /// `progress` is called on the calling thread every `progressInterval` while the run lasts.
    /// - Throws: `LoadError` or `MosquittoError` when a connection cannot be made; failures during the run
    ///   are in the report's `errors`.
    public func run(progressInterval: Duration = .seconds(1), progress: ((LoadProgress) -> Void)? = nil) throws -> LoadReport {
        var connections: [LoadConnection] = []
        for index in 0..<options.connections {
            connections.append(try LoadConnection(index: index, options: options))
        }
        let group = DispatchGroup()
        let start = MonotonicNanos.now() + 5_000_000
        for connection in connections {
            group.enter()
            let thread = Thread {
                Thread.current.name = "loadgen-\(connection.index)"
                connection.run(start: start)
                group.leave()
            }
            thread.start()
        }
        let components = progressInterval.components
        let intervalSeconds = max(0.05, Double(components.seconds) + Double(components.attoseconds) / 1e18)
        var previous = (time: start, published: 0)
        while group.wait(timeout: .now() + intervalSeconds) == .timedOut {
            guard let progress else { continue }
            let now = MonotonicNanos.now()
            let published = connections.reduce(0) { $0 + $1.published.load(ordering: .relaxed) }
            let completed = connections.reduce(0) { $0 + $1.completed.value.load(ordering: .relaxed) }
            let elapsed = Double(now &- previous.time) / 1e9
            progress(LoadProgress(
                elapsedSeconds: Double(now &- start) / 1e9, published: published, completed: completed,
                currentRate: elapsed > 0 ? Double(published - previous.published) / elapsed : 0, total: options.count))
            previous = (now, published)
        }
        let finished = connections.map(\.finished).max() ?? start
        let lastPublish = connections.map(\.lastPublish).max() ?? start
        return LoadReport(
            options: options,
            published: connections.reduce(0) { $0 + $1.published.load(ordering: .relaxed) },
            completed: connections.reduce(0) { $0 + $1.completed.value.load(ordering: .relaxed) },
            seconds: Double(finished &- start) / 1e9, publishSeconds: Double(lastPublish &- start) / 1e9,
            errors: connections.compactMap(\.error))
    }
}
