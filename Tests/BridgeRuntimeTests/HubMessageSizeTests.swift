import BridgeCore
import BridgeHub
import Foundation
import Logging
import LoopbackHarness
import Testing
import WireProtocol
import ZeroMQ

@testable import BridgeRuntime

/// `hub.maxMessageBytes`: a peer that sends a bigger frame is disconnected by ZeroMQ before the hub
/// allocates for it; the hub keeps serving the others.
@Suite struct HubMessageSizeTests {
    /// A tcp endpoint on a port that was free a moment ago (a plain socket bound to port 0, closed at once).
    static func freeTCPEndpoint() throws -> String {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(descriptor, raw, length) == 0 && getsockname(descriptor, raw, &length) == 0
            }
        }
        try #require(bound)
        return "tcp://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
    }

    @Test func anOversizedMessageIsNotDeliveredAndTheHubServesTheOthers() throws {
        let context = try ZMQContext()
        let workers = try Self.freeTCPEndpoint()
        let consumers = "inproc://size-consumers-\(UUID().uuidString)"
        let mappings = MappingTable(
            outflow: [OutflowRule(id: "telemetry", filter: try TopicFilter("sensors/#"), queueTopic: "SENSOR_DATA")], inflow: [], status: [],
            limits: MessageLimits(maxBodyBytes: 1 << 20))
        let hub = try HubService(
            context: context, endpoints: .init(workers: [workers], consumers: consumers, producers: nil), mappings: mappings,
            settings: HubSettings(heartbeatMs: 300, maxMessageBytes: 70_000), logger: Logger(label: "test.hub"))
        try hub.start()
        defer { hub.stop() }
        let consumer = try HubClockTests.Peer(
            context: context, endpoint: consumers, hello: Hello(role: .consumer, name: "c", topic: "SENSOR_DATA"), form: .queue)
        // Raw DEALERs over tcp, one of them sending a frame larger than the cap (but within the body limit).
        let big = try HubClockTests.Peer(context: context, endpoint: workers, hello: Hello(role: .mqttWorker, name: "big"), form: .mqtt)
        let good = try HubClockTests.Peer(context: context, endpoint: workers, hello: Hello(role: .mqttWorker, name: "good"), form: .mqtt)
        // Both workers and the consumer have said HELLO before the big frame goes.
        #expect(waitUntilBlocking(timeout: .seconds(10)) {
            guard let counters = hub.counters() else { return false }
            return counters.workers == 2 && counters.consumers == 1
        })
        try big.send(.mqttData(seq: 1, MQTTMessage(topic: "sensors/big", payload: Array(repeating: 0x61, count: 200_000), qos: .atLeastOnce), clientId: nil))

        var received: [QueueMessage] = []
        let end = Date().addingTimeInterval(1.5)
        var sentSmall = false
        while Date() < end {
            try good.send(.ping)
            try consumer.send(.ping)
            _ = try good.drain()
            if !sentSmall, Date() > end.addingTimeInterval(-1.0) {
                try good.send(.mqttData(seq: 1, MQTTMessage(topic: "sensors/small", payload: [2], qos: .atLeastOnce), clientId: nil))
                sentSmall = true
            }
            for case .queueData(let seq, let message) in try consumer.drain() {
                received.append(message)
                try consumer.send(.ack(seq: seq, msgId: nil))
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(received.map(\.body.count) == [1], "only the small message is delivered")
        #expect(received.first?.body.first == 2)
        let counters = try #require(hub.counters())
        #expect(counters.outflowReceived == 1)
        #expect(counters.workers >= 1)
    }
}
