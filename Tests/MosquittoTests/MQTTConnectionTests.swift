import Foundation
import LoopbackHarness
import Mosquitto
import Testing

@Suite("Connection failures, reconnects and authentication")
struct MQTTConnectionTests {
    @Test("a closed port gives a typed errno error")
    func closedPort() throws {
        let port = try FreePort.allocate()  // nothing listens there
        let client = try MQTTClient(clientID: "nowhere")
        do {
            try client.connectAndWait(host: "127.0.0.1", port: port, timeout: .seconds(5))
            Issue.record("connecting to a closed port succeeded")
        } catch {
            #expect(error.code == .errno)
            #expect(error.systemErrno == ECONNREFUSED)
            #expect(error.message.lowercased().contains("refused"), "\(error)")
            #expect(error.operation.contains("127.0.0.1:\(port)"))
        }
        #expect(!client.isConnected)
    }

    @Test("an unresolvable host gives a typed lookup error")
    func unknownHost() throws {
        let client = try MQTTClient(clientID: "nowhere")
        let error = #expect(throws: MosquittoError.self) {
            try client.connect(host: "no-such-host.invalid", port: 1883)
        }
        #expect(error?.code == .lookupFailed)
        #expect(throws: MosquittoError.self) { try client.connect(host: "bad\u{0}host") }
    }

    @Test("TLS setup with a missing CA file is a typed error")
    func tlsMissingCA() throws {
        let client = try MQTTClient(clientID: "tls")
        let error = #expect(throws: MosquittoError.self) {
            try client.setTLS(caFile: "/nonexistent/ca.pem")
        }
        #expect(error?.code == .invalid)
        #expect(throws: MosquittoError.self) { try client.setMaxInflight(0) }
        try client.setMaxInflight(100)
        try client.setReceiveMaximum(50)
        try client.setReconnectDelay(min: 1, max: 30, exponential: true)
    }

    @Test("after a broker restart the client reconnects by itself; the persistent session and a re-subscribe work")
    func reconnectAfterRestart() async throws {
        let broker = try MosquittoBroker()
        let port = broker.port
        let (client, events) = try connectedClient(broker, id: "survivor", cleanStart: false) { client in
            client.setSessionExpiry(3600)
            try client.setReconnectDelay(min: 1, max: 2, exponential: false)
        }
        #expect(events.connacks.first?.sessionPresent == false)
        try await subscribeAndWait(client, events, filter: "before/#")

        try broker.restart()
        #expect(broker.port == port)
        #expect(await waitUntil(timeout: .seconds(20)) { events.connacks.count >= 2 && client.isConnected })
        let unexpected = try #require(events.disconnects.first)
        #expect(unexpected != 0, "an unexpected disconnect has a non-zero code")
        #expect(events.connacks.last?.isSuccess == true)
        #expect(events.connacks.last?.sessionPresent == true, "the session was persisted across the restart")

        try await subscribeAndWait(client, events, filter: "after/#")
        let (publisher, sent) = try connectedClient(broker, id: "restart-pub")
        try await publishAndWait(publisher, sent, topic: "after/1", payload: Array("again".utf8))
        try await publishAndWait(publisher, sent, topic: "before/1", payload: Array("kept".utf8))
        #expect(await waitUntil(timeout: eventTimeout) { events.messages.count == 2 })
        #expect(events.messages(on: "after/1").first?.payloadString == "again")
        #expect(events.messages(on: "before/1").first?.payloadString == "kept")
    }

    @Test("username/password: accepted when right, refused with a reason code when wrong",
          arguments: [MQTTProtocolVersion.v5, .v311])
    func credentials(version: MQTTProtocolVersion) async throws {
        let broker = try MosquittoBroker(options: .init(allowAnonymous: false, users: ["bridge": "s3cret", "other": "x"]))
        let (good, _) = try connectedClient(broker, id: "good", version: version) { client in
            try client.setCredentials(username: "bridge", password: "s3cret")
        }
        #expect(good.isConnected)

        for (name, user, password) in [("wrong", "bridge", "nope"), ("anon", nil, nil)] as [(String, String?, String?)] {
            let client = try MQTTClient(clientID: name, protocolVersion: version)
            let recorder = EventRecorder()
            recorder.attach(to: client)
            if let user { try client.setCredentials(username: user, password: password) }
            let error = #expect(throws: MosquittoError.self) {
                try client.connectAndWait(host: broker.host, port: broker.port, timeout: eventTimeout)
            }
            #expect(error?.code == .connectionRefused)
            // MQTT 5: 0x87 not authorized; MQTT 3.1.1: 5 not authorized.
            let expected = version == .v5 ? 0x87 : 5
            #expect(error?.reasonCode == expected, "\(String(describing: error))")
            #expect(recorder.connacks.first?.reasonCode == expected)
            #expect(recorder.connacks.first?.isSuccess == false)
            #expect(!client.isConnected)
            try? client.disconnect()
        }
    }

    @Test("research check: with the loop thread, a QoS 1 PUBACK reaches the broker only after onMessage returns")
    func pubackOrdering() async throws {
        let broker = try MosquittoBroker(options: .init(extraConfig: ["log_type all"]))
        let gate = Gate()
        let (subscriber, received) = try connectedClient(broker, id: "slow-sub")
        try await subscribeAndWait(subscriber, received, filter: "work")
        subscriber.onMessage = { _ in gate.waitUntilOpen() }
        let (publisher, sent) = try connectedClient(broker, id: "fast-pub")
        _ = try publisher.publish(topic: "work", payload: [1], qos: .atLeastOnce)
        #expect(await waitUntil(timeout: eventTimeout) {
            broker.logText.contains("Sending PUBLISH to slow-sub (d0, q1, r0, m1, 'work'")
        })
        // While the handler blocks, the broker sees no PUBACK from the subscriber.
        let early = await waitUntil(timeout: .milliseconds(700)) { broker.logText.contains("Received PUBACK from slow-sub") }
        #expect(!early)
        gate.open()
        #expect(await waitUntil(timeout: eventTimeout) { broker.logText.contains("Received PUBACK from slow-sub (Mid: 1") })
        _ = sent
    }
}

/// A one-shot gate a handler can block on until the test opens it.
final class Gate: @unchecked Sendable {
    // Safe: `isOpen` is only accessed while `condition` is locked.
    private let condition = NSCondition()
    private var isOpen = false

    func waitUntilOpen() {
        condition.lock()
        while !isOpen { condition.wait() }
        condition.unlock()
    }

    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }
}

@Suite("Publishing while disconnected")
struct MQTTOfflinePublishTests {
    @Test("QoS 1/2 publishes made before connecting are queued and delivered; QoS 0 throws noConnection")
    func publishWhileDisconnected() async throws {
        let broker = try MosquittoBroker()
        let (subscriber, received) = try connectedClient(broker, id: "offline-sub")
        try await subscribeAndWait(subscriber, received, filter: "offline/#", qos: .exactlyOnce)

        let client = try MQTTClient(clientID: "offline-pub")
        let events = EventRecorder()
        events.attach(to: client)
        let error = #expect(throws: MosquittoError.self) {
            try client.publish(topic: "offline/0", payload: [0], qos: .atMostOnce)
        }
        #expect(error?.code == .noConnection)
        let mid1 = try client.publish(topic: "offline/1", payload: [1], qos: .atLeastOnce)
        let mid2 = try client.publish(topic: "offline/2", payload: [2], qos: .exactlyOnce)
        #expect(mid1 > 0 && mid2 > 0 && mid1 != mid2)

        try client.connectAndWait(host: broker.host, port: broker.port, timeout: eventTimeout)
        #expect(await waitUntil(timeout: eventTimeout) { events.completion(for: mid1) == 0 && events.completion(for: mid2) == 0 })
        #expect(await waitUntil(timeout: eventTimeout) { received.messages.count == 2 })
        #expect(received.messages.map(\.topic).sorted() == ["offline/1", "offline/2"])
    }

    @Test("killing the broker reports an unexpected disconnect (MOSQ_ERR_CONN_LOST)")
    func brokerCrash() async throws {
        let broker = try MosquittoBroker()
        let (client, events) = try connectedClient(broker, id: "crash-witness")
        broker.kill()
        #expect(await waitUntil(timeout: eventTimeout) { !events.disconnects.isEmpty })
        #expect(events.disconnects.first == Int(MosquittoError.Code.connectionLost.rawValue))
        #expect(!client.isConnected)
    }
}

@Suite("Client lifetime")
struct MQTTClientLifetimeTests {
    /// Holds the only strong reference to a client so a handler can drop it.
    final class Holder: @unchecked Sendable {
        // Safe: `client` is only accessed while `lock` is held.
        private let lock = NSLock()
        private var client: MQTTClient?
        private(set) var stopLoopError: MosquittoError?
        init(_ client: MQTTClient) { self.client = client }

        func releaseFromHandler() {
            let client = lock.withLock { self.client }
            do { try client?.stopLoop() } catch { lock.withLock { stopLoopError = error } }
            lock.withLock { self.client = nil }
        }

        var stopLoopRefusal: MosquittoError? { lock.withLock { stopLoopError } }
    }

    @Test("the last reference dropped inside a handler frees the client safely; stopLoop there is refused")
    func releaseOnLoopThread() async throws {
        let broker = try MosquittoBroker()
        let client = try MQTTClient(clientID: "short-lived")
        let holder = Holder(client)
        let events = EventRecorder()
        events.attach(to: client)
        client.onMessage = { _ in holder.releaseFromHandler() }
        try client.connectAndWait(host: broker.host, port: broker.port, timeout: eventTimeout)
        try await subscribeAndWait(client, events, filter: "bye")
        weak let weakClient = client
        _ = consume client

        let (publisher, sent) = try connectedClient(broker, id: "trigger")
        try await publishAndWait(publisher, sent, topic: "bye", payload: [1])
        #expect(await waitUntil(timeout: eventTimeout) { weakClient == nil })
        #expect(await waitUntil(timeout: eventTimeout) { broker.logText.contains("Client short-lived disconnected.") })
        #expect(holder.stopLoopRefusal?.code == .invalid)
    }
}
