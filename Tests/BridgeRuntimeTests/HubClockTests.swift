import BridgeCore
import BridgeHub
import Foundation
import Logging
import Synchronization
import Testing
import WireProtocol
import ZeroMQ

@testable import BridgeRuntime

/// The hub times heartbeats on a monotonic clock: a step of the wall clock, forward or back, drops no
/// peer and stops no tick; the wall clock only stamps `bornTimestamp`.
@Suite struct HubClockTests {
    /// The system's clocks with an offset on the wall clock that the test steps.
    final class SteppedClock: Sendable {
        let offsetMs = Mutex<Int64>(0)
        var clock: BridgeClock {
            BridgeClock(monotonicMs: { MonotonicClock.nowMs() }, wallMs: { [self] in WallClock.epochMs() + offsetMs.withLock { $0 } })
        }
    }

    /// A DEALER peer speaking the wire protocol on the hub's inproc endpoint.
    final class Peer {
        let socket: ZMQSocket
        let form: WireCodec.DataForm

        init(context: ZMQContext, endpoint: String, hello: Hello, form: WireCodec.DataForm) throws {
            socket = try ZMQSocket(context: context, type: .dealer)
            try socket.connect(endpoint)
            self.form = form
            try send(.hello(hello))
        }

        func send(_ message: WireMessage) throws { _ = try socket.send(WireCodec.encode(message)) }

        /// Messages waiting now, PINGs answered.
        func drain() throws -> [WireMessage] {
            var messages: [WireMessage] = []
            while let frames = try socket.receiveMessage(dontWait: true) {
                let message = try WireCodec.decode(frames, form: form)
                if message == .ping { try send(.pong) }
                messages.append(message)
            }
            return messages
        }
    }

    @Test func aStepOfTheWallClockDropsNoPeerAndStopsNoTick() throws {
        let context = try ZMQContext()
        let stepped = SteppedClock()
        let endpoint = "inproc://clock-workers-\(UUID().uuidString)"
        let consumers = "inproc://clock-consumers-\(UUID().uuidString)"
        let mappings = MappingTable(
            outflow: [OutflowRule(id: "telemetry", filter: try TopicFilter("sensors/#"), queueTopic: "SENSOR_DATA")], inflow: [], status: [])
        let hub = try HubService(
            context: context, endpoints: .init(workers: [endpoint], consumers: consumers, producers: nil), mappings: mappings,
            settings: HubSettings(heartbeatMs: 1_000), clock: stepped.clock, logger: Logger(label: "test.hub"))
        try hub.start()
        defer { hub.stop() }
        let worker = try Peer(context: context, endpoint: endpoint, hello: Hello(role: .mqttWorker, name: "w"), form: .mqtt)
        let consumer = try Peer(
            context: context, endpoint: consumers, hello: Hello(role: .consumer, name: "c", topic: "SENSOR_DATA"), form: .queue)

        /// Both peers ping every 50 ms for `seconds`; returns what the consumer received.
        func keepAlive(_ seconds: Double, consumerPings: Bool = true) throws -> [WireMessage] {
            var received: [WireMessage] = []
            let end = Date().addingTimeInterval(seconds)
            while Date() < end {
                try worker.send(.ping)
                if consumerPings { try consumer.send(.ping) }
                _ = try worker.drain()
                received += try consumerPings ? consumer.drain() : []
                Thread.sleep(forTimeInterval: 0.05)
            }
            return received
        }
        _ = try keepAlive(0.5)
        #expect(hub.counters()?.workers == 1 && hub.counters()?.consumers == 1)

        // An hour forward: the peers stay, and a message is stamped with the new wall time.
        stepped.offsetMs.withLock { $0 = 3_600_000 }
        _ = try keepAlive(1.5)
        #expect(hub.counters()?.peersTimedOut == 0)
        try worker.send(.mqttData(seq: 1, MQTTMessage(topic: "sensors/a/t", payload: [1], qos: .atLeastOnce), clientId: nil))
        let delivered = try keepAlive(0.5).compactMap { message -> QueueMessage? in
            if case .queueData(_, let queued) = message { return queued }
            return nil
        }
        let born = try #require(delivered.first?.bornTimestamp)
        #expect(born > WallClock.epochMs() + 3_000_000, "bornTimestamp comes from the wall clock")

        // Two hours back: heartbeats still run, so a peer that goes silent (over three heartbeats) is still found out.
        stepped.offsetMs.withLock { $0 = -3_600_000 }
        _ = try keepAlive(4.5, consumerPings: false)
        let counters = try #require(hub.counters())
        #expect(counters.peersTimedOut == 1, "only the silent consumer is dropped")
        #expect(counters.workers == 1 && counters.consumers == 0)
    }
}
