import Foundation
import LoopbackHarness
import Mosquitto
import Testing

/// Collects every event a client reports, thread-safely, for assertions.
final class EventRecorder: @unchecked Sendable {
    // Safe: all fields are only accessed while `lock` is held.
    private let lock = NSLock()
    private var _messages: [MQTTIncomingMessage] = []
    private var _connacks: [MQTTConnectResult] = []
    private var _disconnects: [Int] = []
    private var _completed: [(mid: Int, reasonCode: Int)] = []
    private var _subacks: [(mid: Int, granted: [Int])] = []

    var messages: [MQTTIncomingMessage] { lock.withLock { _messages } }
    var connacks: [MQTTConnectResult] { lock.withLock { _connacks } }
    var disconnects: [Int] { lock.withLock { _disconnects } }
    var completed: [(mid: Int, reasonCode: Int)] { lock.withLock { _completed } }
    var subacks: [(mid: Int, granted: [Int])] { lock.withLock { _subacks } }

    func messages(on topic: String) -> [MQTTIncomingMessage] { messages.filter { $0.topic == topic } }
    func completion(for mid: Int) -> Int? { completed.first { $0.mid == mid }?.reasonCode }
    func suback(for mid: Int) -> [Int]? { subacks.first { $0.mid == mid }?.granted }

    /// Installs handlers on `client` that record into this recorder (they do not capture the client).
    func attach(to client: MQTTClient) {
        client.onMessage = { message in self.lock.withLock { self._messages.append(message) } }
        client.onConnect = { result in self.lock.withLock { self._connacks.append(result) } }
        client.onDisconnect = { code in self.lock.withLock { self._disconnects.append(code) } }
        client.onPublishCompleted = { mid, code in self.lock.withLock { self._completed.append((mid, code)) } }
        client.onSubscribe = { mid, granted in self.lock.withLock { self._subacks.append((mid, granted)) } }
    }
}

/// Default time to wait for anything a local broker does.
let eventTimeout: Duration = .seconds(10)

/// A client with a recorder attached, connected to `broker` (loop running).
func connectedClient(_ broker: MosquittoBroker, id: String, version: MQTTProtocolVersion = .v5,
                     cleanStart: Bool = true, configure: (MQTTClient) throws -> Void = { _ in })
    throws -> (MQTTClient, EventRecorder) {
    let client = try MQTTClient(clientID: id, cleanStart: cleanStart, protocolVersion: version)
    let recorder = EventRecorder()
    recorder.attach(to: client)
    try configure(client)
    try client.connectAndWait(host: broker.host, port: broker.port, timeout: eventTimeout)
    return (client, recorder)
}

/// Subscribes and waits for the SUBACK; returns the granted QoS list.
@discardableResult
func subscribeAndWait(_ client: MQTTClient, _ recorder: EventRecorder, filter: String,
                      qos: MQTTQoS = .atLeastOnce, noLocal: Bool = false) async throws -> [Int] {
    let mid = try client.subscribe(filter: filter, qos: qos, noLocal: noLocal)
    let acked = await waitUntil(timeout: eventTimeout) { recorder.suback(for: mid) != nil }
    try #require(acked, "no SUBACK for \(filter)")
    return recorder.suback(for: mid) ?? []
}

/// Publishes and waits until the publish completed (PUBACK/PUBCOMP, or written for QoS 0).
@discardableResult
func publishAndWait(_ client: MQTTClient, _ recorder: EventRecorder, topic: String, payload: [UInt8],
                    qos: MQTTQoS = .atLeastOnce, retain: Bool = false,
                    properties: MQTTPublishProperties? = nil) async throws -> (mid: Int, reasonCode: Int) {
    let mid = try client.publish(topic: topic, payload: payload, qos: qos, retain: retain, properties: properties)
    let done = await waitUntil(timeout: eventTimeout) { recorder.completion(for: mid) != nil }
    try #require(done, "publish \(mid) on \(topic) never completed")
    return (mid, recorder.completion(for: mid) ?? -1)
}

/// Runs a command line tool to completion and returns its stdout.
func runTool(_ name: String, _ arguments: [String], timeout: Duration = .seconds(10)) throws -> String {
    let tool = try ManagedProcess(executable: name, arguments: arguments)
    let status = tool.waitForExit(timeout: timeout)
    if status == nil { tool.terminate() }
    #expect(status == 0, "\(name) \(arguments) failed: \(tool.stderrText)")
    return tool.stdoutText
}
