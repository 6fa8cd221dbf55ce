import Foundation
import LoopbackHarness
import NATS
import Synchronization
import Testing

/// Collects asynchronous publish results and connection events from nats.c threads.
final class Recorder: Sendable {
    private let results = Mutex<[AsyncPublishResult]>([])
    private let events = Mutex<[NATSConnectionEvent]>([])

    var allResults: [AsyncPublishResult] { results.withLock { $0 } }
    var allEvents: [NATSConnectionEvent] { events.withLock { $0 } }
    var resultCount: Int { results.withLock { $0.count } }

    var onResult: @Sendable (AsyncPublishResult) -> Void { { result in self.results.withLock { $0.append(result) } } }
    var onEvent: @Sendable (NATSConnectionEvent) -> Void { { event in self.events.withLock { $0.append(event) } } }

    func clearResults() { results.withLock { $0.removeAll() } }
}

/// A connection to `server` with quick reconnects.
func connect(_ server: NATSServer, recorder: Recorder? = nil, retryOnFailedConnect: Bool = false) throws -> NATSConnection {
    try NATSConnection(options: NATSConnectionOptions(
        servers: [server.url], name: "mqbridge-tests", connectTimeoutMs: 1000, reconnectWaitMs: 100, maxReconnect: -1,
        retryOnFailedConnect: retryOnFailedConnect, onEvent: recorder?.onEvent))
}

func message(_ subject: String, _ text: String, headers: [(name: String, value: String)] = []) -> NATSOutgoingMessage {
    NATSOutgoingMessage(subject: subject, headers: headers, body: Array(text.utf8))
}

/// Every message of a stream, read back by sequence (first to last).
func readStream(_ js: JetStreamContext, _ name: String) throws -> [StoredMessage] {
    guard let info = try js.streamInfo(name: name), info.state.messages > 0 else { return [] }
    var messages: [StoredMessage] = []
    for sequence in info.state.firstSequence...info.state.lastSequence {
        if let stored = try js.getMessage(stream: name, sequence: sequence) { messages.append(stored) }
    }
    return messages
}
