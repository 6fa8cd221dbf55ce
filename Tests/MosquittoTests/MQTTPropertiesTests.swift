import Foundation
import LoopbackHarness
import Mosquitto
import Testing

@Suite("MQTT 5 publish properties")
struct MQTTPropertiesTests {
    static let userProperties = [
        MQTTUserProperty("trace", "1"),
        MQTTUserProperty("hop", "a"),
        MQTTUserProperty("trace", "2"),  // duplicate name, kept in place
        MQTTUserProperty("ключ", "värde ✓ 東京"),
        MQTTUserProperty("hop", "a"),  // exact duplicate pair
        MQTTUserProperty("empty", ""),
    ]

    @Test("user properties (order, duplicates, non-ASCII) and the other properties survive a round trip")
    func roundTrip() async throws {
        let broker = try MosquittoBroker()
        let (subscriber, received) = try connectedClient(broker, id: "props-sub")
        try await subscribeAndWait(subscriber, received, filter: "props/#")
        let (publisher, sent) = try connectedClient(broker, id: "props-pub")
        let properties = MQTTPublishProperties(
            userProperties: Self.userProperties,
            contentType: "application/json; charset=utf-8",
            messageExpiryInterval: 3600,
            responseTopic: "reply/ünïcode",
            correlationData: [0, 1, 2, 0, 255],
            payloadFormat: .utf8)
        try await publishAndWait(publisher, sent, topic: "props/full", payload: Array("{}".utf8), properties: properties)
        try await publishAndWait(publisher, sent, topic: "props/none", payload: [1])

        #expect(await waitUntil(timeout: eventTimeout) { received.messages.count == 2 })
        let full = try #require(received.messages(on: "props/full").first)
        #expect(full.properties.userProperties == Self.userProperties)
        #expect(full.properties.userPropertyValues(named: "trace") == ["1", "2"])
        #expect(full.properties.contentType == "application/json; charset=utf-8")
        let expiry = try #require(full.properties.messageExpiryInterval)
        #expect((3590...3600).contains(expiry), "the broker forwards the remaining expiry")
        #expect(full.properties.responseTopic == "reply/ünïcode")
        #expect(full.properties.correlationData == [0, 1, 2, 0, 255])
        #expect(full.properties.payloadFormat == .utf8)

        let none = try #require(received.messages(on: "props/none").first)
        #expect(none.properties.isEmpty)
    }

    @Test("properties interoperate with mosquitto_pub and mosquitto_sub (both directions)")
    func interoperability() async throws {
        let broker = try MosquittoBroker(options: .init(extraConfig: ["log_type all"]))
        let port = String(broker.port)

        // mosquitto_pub -> our client: we read what another implementation wrote.
        let (subscriber, received) = try connectedClient(broker, id: "interop-sub")
        try await subscribeAndWait(subscriber, received, filter: "from-cli")
        _ = try runTool("mosquitto_pub", [
            "-h", "127.0.0.1", "-p", port, "-V", "5", "-q", "1", "-t", "from-cli", "-m", "x",
            "-D", "publish", "user-property", "k", "1",
            "-D", "publish", "user-property", "k", "2",
            "-D", "publish", "user-property", "name", "Grüße",
            "-D", "publish", "content-type", "text/plain",
            "-D", "publish", "message-expiry-interval", "120",
        ])
        #expect(await waitUntil(timeout: eventTimeout) { !received.messages(on: "from-cli").isEmpty })
        let message = try #require(received.messages(on: "from-cli").first)
        #expect(message.properties.userProperties == [.init("k", "1"), .init("k", "2"), .init("name", "Grüße")])
        #expect(message.properties.contentType == "text/plain")
        #expect((110...120).contains(message.properties.messageExpiryInterval ?? 0))

        // Our client -> mosquitto_sub: another implementation reads what we wrote.
        let cli = try ManagedProcess(executable: "mosquitto_sub", arguments: [
            "-h", "127.0.0.1", "-p", port, "-V", "5", "-q", "1", "-t", "to-cli", "-C", "1", "-i", "cli-sub",
            "-F", "%P|%C|%E|%p",
        ])
        defer { cli.terminate() }
        // mosquitto_sub's stdout is block-buffered on a pipe, so watch the broker for its SUBACK.
        #expect(await waitUntil(timeout: eventTimeout) { broker.logText.contains("Sending SUBACK to cli-sub") })
        let (publisher, sent) = try connectedClient(broker, id: "interop-pub")
        try await publishAndWait(publisher, sent, topic: "to-cli", payload: Array("y".utf8), properties: .init(
            userProperties: [.init("k", "1"), .init("k", "2"), .init("name", "Grüße")],
            contentType: "text/plain", messageExpiryInterval: 120))
        #expect(cli.waitForExit(timeout: eventTimeout) == 0)
        let line = try #require(cli.stdoutLines.last { $0.hasSuffix("|y") })
        #expect(line.hasPrefix("k:1 k:2 name:Grüße|text/plain|"), "got \(line)")
    }

    @Test("an MQTT 3.1.1 connection drops properties without failing")
    func v311DropsProperties() async throws {
        let broker = try MosquittoBroker()
        let (v5Subscriber, v5Received) = try connectedClient(broker, id: "v5-sub")
        try await subscribeAndWait(v5Subscriber, v5Received, filter: "mixed/#")
        let (oldClient, oldEvents) = try connectedClient(broker, id: "v311", version: .v311)
        try await subscribeAndWait(oldClient, oldEvents, filter: "mixed/#")
        let properties = MQTTPublishProperties(userProperties: [.init("k", "v")], contentType: "text/plain",
                                               messageExpiryInterval: 60)

        // 3.1.1 publisher with properties: accepted, sent without them.
        let (_, reasonCode) = try await publishAndWait(oldClient, oldEvents, topic: "mixed/old", payload: [1], properties: properties)
        #expect(reasonCode == 0)
        #expect(await waitUntil(timeout: eventTimeout) { !v5Received.messages(on: "mixed/old").isEmpty })
        #expect(v5Received.messages(on: "mixed/old").first?.properties.isEmpty == true)

        // v5 publisher with properties: the 3.1.1 subscriber gets the message, without properties.
        try await publishAndWait(v5Subscriber, v5Received, topic: "mixed/new", payload: [2], properties: properties)
        #expect(await waitUntil(timeout: eventTimeout) { !oldEvents.messages(on: "mixed/new").isEmpty })
        let delivered = try #require(oldEvents.messages(on: "mixed/new").first)
        #expect(delivered.payload == [2])
        #expect(delivered.properties.isEmpty)
        #expect(v5Received.messages(on: "mixed/new").first?.properties.userProperties == [.init("k", "v")])
    }
}
