import BridgeCore
import BridgeRuntime
import Foundation
import LoopbackHarness
import Mosquitto
import Testing
import TestSupport
import WireProtocol

/// Bad input through real sockets into a running bridge (in process, so the hub's counters can be read).
/// Every bad message gets the answer docs/wire-protocol.md promises and its counter, and costs no other
/// message: good traffic sent around it arrives complete, each message exactly once.
@Suite(.serialized) struct BadInputTests {
    static let rules = """
        limits:
          maxBodyBytes: 4096
          maxUserPropertyBytes: 512
        outflow:
          - id: telemetry
            mqtt: sensors/#
            queueTopic: SENSOR_DATA
            tag: "${level.3}"
        inflow:
          - id: commands
            queueTopic: DEVICE_CMD
            mqttParent: devices

        """

    @Test func garbageOnEveryEndpointIsAnsweredAndCountedWhileGoodTrafficFlows() throws {
        // The 8 MiB frames below test the hub's own checks, so they must reach it: ZeroMQ's cap on a frame
        // (hub.maxMessageBytes, tested in HubMessageSizeTests) is raised above them here.
        let fixture = try BridgeFixture(mode: .inProcess, rules: Self.rules, hubSettings: ["maxMessageBytes: 16777216"])
        defer { fixture.stop() }
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA")
        defer { consumer.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@good")
        let listener = try MQTTTestClient(broker: fixture.broker, id: "GID_app@@@listener")
        defer { device.close(); listener.close() }
        try listener.subscribe("devices/#")
        try waitUntilBridgeFlows(publisher: device, topic: "sensors/probe/x", consumer: consumer, fixture: fixture)

        let context = fixture.context
        let strangerProducer = try RawHubPeer(context: context, endpoint: fixture.acceptEndpoint, form: .queue, name: "stranger producer")
        let strangerConsumer = try RawHubPeer(context: context, endpoint: fixture.publishEndpoint, form: .queue, name: "stranger consumer")
        let strangerWorker = try RawHubPeer(context: context, endpoint: fixture.hubEndpoint, form: .mqtt, name: "stranger worker")
        let producer = try RawHubPeer(context: context, endpoint: fixture.acceptEndpoint, form: .queue, name: "raw producer")
        let rawConsumer = try RawHubPeer(context: context, endpoint: fixture.publishEndpoint, form: .queue, name: "raw consumer")
        let worker = try RawHubPeer(context: context, endpoint: fixture.hubEndpoint, form: .mqtt, name: "raw worker")
        let strangers = [strangerProducer, strangerConsumer, strangerWorker]
        let peers = strangers + [producer, rawConsumer, worker]
        defer { peers.forEach { $0.close() } }
        try producer.hello(Hello(role: .producer, name: "raw producer"))
        try rawConsumer.hello(Hello(role: .consumer, name: "raw consumer", topic: "NOTHING_HERE"))
        try worker.hello(Hello(role: .mqttWorker, name: "raw worker", window: 1))

        // A well-behaved producer, on a thread of its own: while the raw worker is connected the hub may hand
        // it one of these commands, which must reach the broker anyway once the raw worker leaves.
        let goodCommands = 30
        let acceptEndpoint = fixture.acceptEndpoint
        let producing = TestThread { () -> [String] in
            let client = try QueueProducerClient(context: context, endpoint: acceptEndpoint, name: "good producer")
            defer { client.close() }
            return try (0..<goodCommands).map { index in
                Thread.sleep(forTimeInterval: 0.02)
                let command = QueueMessage(
                    topic: "DEVICE_CMD", properties: ["mqttSecondTopic": "/good/set"], body: Array("cmd-\(index)".utf8))
                return try client.send(command, timeoutMs: 60_000)
            }
        }

        let cases = Self.cases(
            strangerProducer: strangerProducer, strangerConsumer: strangerConsumer, strangerWorker: strangerWorker,
            producer: producer, consumer: rawConsumer, worker: worker)
        var expectedProtocolErrors: [String: Int] = [:]
        var expectedRejected: [String: Int] = [:]
        var goodReadings: Set<String> = ["raw-good"]
        for (index, testCase) in cases.enumerated() {
            let isStranger = strangers.contains { $0 === testCase.peer }
            if !isStranger {
                // Keeps the peer alive (the fixture's heartbeat is 500 ms) and leaves nothing unread.
                #expect(try testCase.peer.fence() == .pong, "\(testCase.name): the peer is still known")
            }
            try testCase.peer.send(testCase.frames)
            switch testCase.expect {
            case .error(let code, let seq):
                let reply = try testCase.peer.nextSettlement()
                guard case .error(let report) = reply else {
                    Issue.record("\(testCase.name): expected ERROR \(code), got \(String(describing: reply))")
                    continue
                }
                #expect(report.code == code, "\(testCase.name): \(report)")
                #expect(report.seq == seq, "\(testCase.name): \(report)")
                #expect(!report.message.isEmpty, "\(testCase.name)")
            case .ack(let seq):
                #expect(try testCase.peer.nextSettlement() == .ack(seq: seq, msgId: nil), "\(testCase.name)")
            case .silence:
                // The PING after it is answered first: with PONG, or no_hello for a peer that never said HELLO.
                let next = try testCase.peer.fence()
                if isStranger {
                    guard case .error(let report) = next, report.code == WireErrorCode.noHello else {
                        Issue.record("\(testCase.name): answered \(String(describing: next))")
                        continue
                    }
                    expectedProtocolErrors[WireErrorCode.noHello, default: 0] += 1
                } else {
                    #expect(next == .pong, "\(testCase.name): answered \(String(describing: next))")
                }
            }
            for counter in testCase.counters {
                if counter.hasPrefix("rejected:") {
                    expectedRejected[String(counter.dropFirst("rejected:".count)), default: 0] += 1
                } else {
                    expectedProtocolErrors[counter, default: 0] += 1
                }
            }
            // Good traffic between the bad messages.
            let reading = "good-\(index)"
            goodReadings.insert(reading)
            _ = try device.client.publish(topic: "sensors/good/n", payload: Array(reading.utf8), qos: .atLeastOnce)
        }
        // The raw worker leaves: a command it was handed goes to the real worker.
        print("BadInputTests: the raw worker was handed \(worker.stashedData.count) inflow messages")
        worker.close()

        let ids = try #require(try producing.join(timeout: .seconds(90))?.get(), "the good producer got no answer")
        #expect(Set(ids).count == goodCommands, "each command acknowledged with its own msgId")
        #expect(listener.waitFor(count: goodCommands, timeout: .seconds(30)))
        #expect(consumer.waitFor(count: goodReadings.count, timeout: .seconds(30)))
        Thread.sleep(forTimeInterval: 0.5)  // anything extra, such as a duplicate, would arrive by now
        let commands = listener.messages.map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(commands.count == goodCommands && Set(commands) == Set((0..<goodCommands).map { "cmd-\($0)" }), "\(commands)")
        let readings = consumer.messages.map { String(decoding: $0.body, as: UTF8.self) }
        #expect(readings.count == goodReadings.count && Set(readings) == goodReadings, "\(readings.sorted())")

        let counters = try #require(fixture.hubCounters)
        #expect(counters.protocolErrors == expectedProtocolErrors)
        #expect(counters.rejected == expectedRejected)
        #expect(counters.inflowPublished["commands"] == goodCommands)
    }
}
