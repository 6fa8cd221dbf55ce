import BridgeCore
import BridgeRuntime
import Foundation
import LoopbackHarness
import Mosquitto
import Synchronization
import ZeroMQ

/// Bodies starting with this mark are readiness probes, not test traffic.
let probeMark = "__probe"

/// A queue-side consumer running on its own thread, collecting what it receives.
final class TestConsumer: Sendable {
    private let state = Mutex<(messages: [QueueMessage], ready: Bool, stop: Bool, error: String?)>(([], false, false, nil))
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameter delayPerMessage: time spent on each message before it is acknowledged (a slow consumer).
    init(context: ZMQContext, endpoint: String, topic: String, tags: String = "*", group: String? = nil, window: Int = 100,
         delayPerMessage: Duration? = nil, curve: CurveClientKeys? = nil) {
        let thread = Thread { [self] in
            defer { finished.signal() }
            do {
                let client = try QueueConsumerClient(
                    context: context, endpoint: endpoint, topic: topic, tags: tags, group: group, window: window, name: "test",
                    curve: curve)
                defer { client.close() }
                try client.run(
                    count: nil, timeoutMs: 120_000,
                    handler: { message in
                        if let delayPerMessage {
                            Thread.sleep(forTimeInterval: Double(delayPerMessage.components.attoseconds) / 1e18 + Double(delayPerMessage.components.seconds))
                        }
                        state.withLock { $0.messages.append(message) }
                    },
                    shouldContinue: { !state.withLock { $0.stop } },
                    onReady: { state.withLock { $0.ready = true } })
            } catch {
                state.withLock { $0.error = "\(error)" }
            }
        }
        thread.start()
    }

    /// What arrived, without readiness probes.
    var messages: [QueueMessage] {
        state.withLock { $0.messages }.filter { !$0.body.starts(with: Array(probeMark.utf8)) }
    }

    var probesReceived: Int {
        state.withLock { $0.messages }.count - messages.count
    }

    var error: String? { state.withLock { $0.error } }

    /// Waits until the consumer has given up with an error.
    func waitForError(timeout: Duration = .seconds(20)) -> String? {
        _ = waitUntilBlocking(timeout: timeout) { error != nil }
        return error
    }

    /// Waits for the hub's WELCOME.
    func waitReady(timeout: Duration = .seconds(10)) -> Bool {
        waitUntilBlocking(timeout: timeout) { state.withLock { $0.ready } }
    }

    func waitFor(count: Int, timeout: Duration = .seconds(20)) -> Bool {
        waitUntilBlocking(timeout: timeout) { messages.count >= count }
    }

    func stop() {
        state.withLock { $0.stop = true }
        finished.wait()
    }
}

/// A real MQTT client on the fixture's broker.
final class MQTTTestClient: Sendable {
    let client: MQTTClient
    private let received = Mutex<[MQTTIncomingMessage]>([])
    private let subacks = Mutex<Set<Int>>([])

    /// `cleanStart` false keeps the session (subscriptions, queued QoS 1/2 messages) in the broker while away.
    init(broker: MosquittoBroker, id: String, version: MQTTProtocolVersion = .v5, cleanStart: Bool = true) throws {
        client = try MQTTClient(clientID: id, cleanStart: cleanStart, protocolVersion: version)
        if !cleanStart { client.setSessionExpiry(3_600) }
        client.onMessage = { [weak self] message in self?.received.withLock { $0.append(message) } }
        client.onSubscribe = { [weak self] mid, _ in _ = self?.subacks.withLock { $0.insert(mid) } }
        let result = try client.connectAndWait(host: "127.0.0.1", port: broker.port)
        guard result.isSuccess else { throw FixtureError("MQTT client \(id) refused: \(result)") }
    }

    /// Subscribes and waits for the broker's SUBACK.
    func subscribe(_ filter: String, qos: MQTTQoS = .exactlyOnce) throws {
        let mid = try client.subscribe(filter: filter, qos: qos)
        guard waitUntilBlocking(timeout: .seconds(10), condition: { subacks.withLock { $0.contains(mid) } }) else {
            throw FixtureError("no SUBACK for \(filter)")
        }
    }

    var messages: [MQTTIncomingMessage] { received.withLock { $0 } }

    func waitFor(count: Int, timeout: Duration = .seconds(20)) -> Bool {
        waitUntilBlocking(timeout: timeout) { messages.count >= count }
    }

    func close() {
        try? client.disconnect()
        try? client.stopLoop()
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Publishes probes on `topic` until `consumer` has one: then the bridge's subscription is live.
func waitUntilBridgeFlows(publisher: MQTTTestClient, topic: String, consumer: TestConsumer, fixture: BridgeFixture) throws {
    let deadline = Deadline(timeout: .seconds(30))
    var sent = 0
    while consumer.probesReceived == 0 {
        if deadline.hasPassed {
            throw FixtureError("the bridge did not deliver a probe within 30 s (\(consumer.error ?? "no consumer error")); log:\n\(fixture.bridgeLog)")
        }
        _ = try publisher.client.publish(topic: topic, payload: Array("\(probeMark)-\(sent)".utf8), qos: .atLeastOnce)
        sent += 1
        _ = waitUntilBlocking(timeout: .milliseconds(300)) { consumer.probesReceived > 0 }
    }
}
