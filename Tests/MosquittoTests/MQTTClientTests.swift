import Foundation
import LoopbackHarness
import Mosquitto
import Testing

@Suite("MQTTClient against a real mosquitto")
struct MQTTClientTests {
    @Test("connect + CONNACK over MQTT 5 and 3.1.1", arguments: [MQTTProtocolVersion.v5, .v311])
    func connectAndConnack(version: MQTTProtocolVersion) async throws {
        let broker = try MosquittoBroker()
        let id = "connect-\(version)"
        let (client, recorder) = try connectedClient(broker, id: id, version: version)
        #expect(client.isConnected)
        let connack = try #require(recorder.connacks.first)
        #expect(connack.isSuccess)
        #expect(connack.reasonCode == 0)
        #expect(connack.sessionPresent == false)
        // The broker saw the protocol we asked for, clean start and keepalive 60.
        let level = version == .v5 ? 5 : 2  // mosquitto logs its internal protocol enum: p2 = 3.1.1
        #expect(await waitUntil(timeout: eventTimeout) { broker.logText.contains("as \(id) (p\(level), c1, k60)") })

        try client.disconnect()
        #expect(await waitUntil(timeout: eventTimeout) { recorder.disconnects == [0] })
        #expect(!client.isConnected)
        try client.stopLoop()
        #expect(!client.isLoopRunning)
    }

    @Test("subscribe, then receive a publish from another client")
    func subscribeAndReceive() async throws {
        let broker = try MosquittoBroker()
        let (subscriber, received) = try connectedClient(broker, id: "sub")
        let (publisher, sent) = try connectedClient(broker, id: "pub")
        let granted = try await subscribeAndWait(subscriber, received, filter: "plant/+/temp", qos: .atLeastOnce)
        #expect(granted == [1])

        try await publishAndWait(publisher, sent, topic: "plant/7/temp", payload: Array("21.5".utf8))
        try await publishAndWait(publisher, sent, topic: "plant/7/humidity", payload: Array("40".utf8))
        #expect(await waitUntil(timeout: eventTimeout) { received.messages.count >= 1 })
        let message = try #require(received.messages.first)
        #expect(message.topic == "plant/7/temp")
        #expect(message.payloadString == "21.5")
        #expect(message.qos == .atLeastOnce)
        #expect(message.retain == false)
        #expect(message.mid > 0)

        // After unsubscribing nothing more arrives (checked with a later marker on another filter).
        let unsubscribed = try subscriber.unsubscribe(filter: "plant/+/temp")
        #expect(unsubscribed > 0)
        try await subscribeAndWait(subscriber, received, filter: "marker")
        try await publishAndWait(publisher, sent, topic: "plant/8/temp", payload: [1])
        try await publishAndWait(publisher, sent, topic: "marker", payload: [2])
        #expect(await waitUntil(timeout: eventTimeout) { !received.messages(on: "marker").isEmpty })
        #expect(received.messages(on: "plant/8/temp").isEmpty)
    }

    @Test("QoS 0/1/2: onPublishCompleted reports the returned mid after the broker's ack",
          arguments: MQTTQoS.allCases)
    func publishCompletion(qos: MQTTQoS) async throws {
        let broker = try MosquittoBroker(options: .init(extraConfig: ["log_type all"]))
        let (subscriber, received) = try connectedClient(broker, id: "qos-sub")
        try await subscribeAndWait(subscriber, received, filter: "q/#", qos: .exactlyOnce)
        let (publisher, sent) = try connectedClient(broker, id: "qos-pub")

        var mids: [Int] = []
        for index in 0..<3 {
            let (mid, reasonCode) = try await publishAndWait(publisher, sent, topic: "q/\(index)", payload: [UInt8(index)], qos: qos)
            #expect(reasonCode == 0)
            mids.append(mid)
        }
        #expect(Set(mids).count == 3, "mids must be distinct")
        #expect(sent.completed.map(\.mid) == mids, "each completion carries the mid publish returned, in order")
        #expect(await waitUntil(timeout: eventTimeout) { received.messages.count == 3 })
        #expect(received.messages.map(\.qos) == [qos, qos, qos])
        #expect(received.messages.map(\.payload) == [[0], [1], [2]])
        // The broker logged the acknowledgement that completed each publish. Its log reaches us through a pipe
        // read by another thread, so a line may land a moment after the client saw the acknowledgement.
        for mid in mids {
            let line: String
            switch qos {
            case .atMostOnce: continue
            case .atLeastOnce: line = "Sending PUBACK to qos-pub (m\(mid), rc0)"
            case .exactlyOnce: line = "Sending PUBCOMP to qos-pub (m\(mid))"
            }
            #expect(await waitUntil(timeout: eventTimeout) { broker.logText.contains(line) }, "\(line) not in the broker's log")
        }
    }

    @Test("retained message is delivered to a late subscriber with retain set")
    func retainedMessage() async throws {
        let broker = try MosquittoBroker()
        let (publisher, sent) = try connectedClient(broker, id: "retainer")
        try await publishAndWait(publisher, sent, topic: "state/door", payload: Array("open".utf8), retain: true)
        try await publishAndWait(publisher, sent, topic: "state/window", payload: Array("shut".utf8), retain: false)

        let (late, received) = try connectedClient(broker, id: "late")
        try await subscribeAndWait(late, received, filter: "state/#")
        #expect(await waitUntil(timeout: eventTimeout) { received.messages.count >= 1 })
        let retained = try #require(received.messages.first)
        #expect(retained.topic == "state/door")
        #expect(retained.payloadString == "open")
        #expect(retained.retain)
        #expect(received.messages(on: "state/window").isEmpty, "non-retained messages are not replayed")

        // A live message to an existing subscription is not flagged retained.
        try await publishAndWait(publisher, sent, topic: "state/door", payload: Array("closed".utf8), retain: true)
        #expect(await waitUntil(timeout: eventTimeout) { received.messages(on: "state/door").count == 2 })
        #expect(received.messages(on: "state/door").last?.retain == false)
    }

    @Test("binary payloads with zero bytes, every byte value, and empty payloads arrive unchanged")
    func binaryPayload() async throws {
        let broker = try MosquittoBroker()
        let (subscriber, received) = try connectedClient(broker, id: "bin-sub")
        try await subscribeAndWait(subscriber, received, filter: "bin/#")
        let (publisher, sent) = try connectedClient(broker, id: "bin-pub")
        let payloads: [[UInt8]] = [[0, 0, 1, 0, 255, 0], Array(0...255) + Array((0...255).reversed()), [], [0]]
        for (index, payload) in payloads.enumerated() {
            try await publishAndWait(publisher, sent, topic: "bin/\(index)", payload: payload)
        }
        #expect(await waitUntil(timeout: eventTimeout) { received.messages.count == payloads.count })
        for (index, payload) in payloads.enumerated() {
            #expect(received.messages(on: "bin/\(index)").first?.payload == payload)
        }
    }

    @Test("noLocal suppresses our own publishes on MQTT 5 and is refused on 3.1.1")
    func noLocal() async throws {
        let broker = try MosquittoBroker()
        let (bridge, bridgeEvents) = try connectedClient(broker, id: "bridge")
        let (other, otherEvents) = try connectedClient(broker, id: "other")
        try await subscribeAndWait(bridge, bridgeEvents, filter: "loop/#", noLocal: true)
        try await subscribeAndWait(other, otherEvents, filter: "loop/#")
        try await publishAndWait(bridge, bridgeEvents, topic: "loop/mine", payload: [1])
        try await publishAndWait(other, otherEvents, topic: "loop/marker", payload: [2])
        #expect(await waitUntil(timeout: eventTimeout) { !bridgeEvents.messages(on: "loop/marker").isEmpty })
        #expect(bridgeEvents.messages(on: "loop/mine").isEmpty)
        #expect(await waitUntil(timeout: eventTimeout) { !otherEvents.messages(on: "loop/mine").isEmpty })

        let old = try MQTTClient(clientID: "old", protocolVersion: .v311)
        #expect(throws: MosquittoError.self) { try old.subscribe(filter: "loop/#", noLocal: true) }
        do {
            _ = try old.subscribe(filter: "loop/#", noLocal: true)
        } catch {
            #expect(error.code == .notSupported)
        }
    }
}
