import BridgeCore
import Foundation
import TestSupport
import LoopbackHarness
import Mosquitto
import Synchronization
import Testing

/// `/metrics` and `/healthz` of a running bridge, scraped while traffic flows.
@Suite(.serialized) struct MetricsTests {
    /// Samples of a Prometheus text page: `name{labels}` -> value.
    static func scrape(_ port: Int) throws -> [String: Double] {
        let response = try HTTPClient.get(host: "127.0.0.1", port: port, path: "/metrics", timeout: .seconds(10))
        #expect(response.status == 200)
        #expect(response.headers.contains { $0.0.lowercased() == "content-type" && $0.1.hasPrefix("text/plain; version=0.0.4") })
        var samples: [String: Double] = [:]
        for line in String(decoding: response.body, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                Issue.record("not a sample line: \(line)")
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test func metricsCountTrafficWhileItFlowsAndHealthFollowsTheBroker() throws {
        let fixture = try BridgeFixture(mode: .inProcess, rules: BridgeFixture.telemetryAndCommands, withAPI: true)
        defer { fixture.stop() }
        let port = try #require(fixture.apiPort)
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA")
        defer { consumer.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@metrics")
        defer { device.close() }
        try waitUntilBridgeFlows(publisher: device, topic: "sensors/probe/x", consumer: consumer, fixture: fixture)

        // Scraped between two halves of the traffic, and while the second half flows: the figures in between
        // say where the traffic stood, whatever the machine's speed.
        let total = 3_000
        @Sendable func publish(_ range: Range<Int>) {
            for index in range {
                _ = try? device.client.publish(topic: "sensors/room\(index % 5)/temp", payload: Array("m-\(index)".utf8), qos: .atLeastOnce)
            }
        }
        publish(0..<(total / 2))
        #expect(waitUntilBlocking(timeout: .seconds(30)) { consumer.messages.count >= total / 2 })
        var scrapes = [try Self.scrape(port)]
        let halfway = scrapes[0]["mqbridge_outflow_received_total"] ?? 0
        #expect(halfway >= Double(total / 2) && halfway < Double(total), "the probes and the first half, not the second: \(halfway)")
        let publishing = TestThreadBox()
        let publisher = Thread {
            publish((total / 2)..<total)
            publishing.done()
        }
        publisher.start()
        while !publishing.isDone || consumer.messages.count < total {
            scrapes.append(try Self.scrape(port))
            if scrapes.count > 2_000 { break }
            _ = waitUntilBlocking(timeout: .milliseconds(50)) { consumer.messages.count >= total }
        }
        let final = try Self.scrape(port)
        print("metrics: \(scrapes.count) scrapes while \(total) messages flowed; final outflow_received \(final["mqbridge_outflow_received_total"] ?? -1)")
        let received = (scrapes + [final]).compactMap { $0["mqbridge_outflow_received_total"] }
        #expect(received == received.sorted(), "counters only grow")
        #expect((final["mqbridge_outflow_received_total"] ?? 0) >= Double(total))
        #expect((final["mqbridge_outflow_routed_total{rule=\"telemetry\"}"] ?? 0) >= Double(total))
        #expect((final["mqbridge_deliveries_acked_total"] ?? 0) >= Double(total))
        #expect((final["mqbridge_delivery_latency_seconds_count"] ?? 0) >= Double(total))
        #expect(final["mqbridge_delivery_latency_seconds_bucket{le=\"+Inf\"}"] == final["mqbridge_delivery_latency_seconds_count"])
        #expect(final["mqbridge_broker_connected"] == 1)
        #expect(final["mqbridge_consumers"] == 1)
        #expect(final["mqbridge_spool_bytes"] != nil)
        #expect(final["mqbridge_unrouted_total"] == 0)
        #expect(final["mqbridge_curve_refusals_total"] == 0)

        let healthy = try HTTPClient.get(host: "127.0.0.1", port: port, path: "/healthz")
        #expect(healthy.status == 200, "\(String(decoding: healthy.body, as: UTF8.self))")
        fixture.broker.kill()
        #expect(waitUntilBlocking(timeout: .seconds(20)) {
            (try? HTTPClient.get(host: "127.0.0.1", port: port, path: "/healthz"))?.status == 503
        }, "healthz reports the lost broker")
        let unhealthy = try JSONValue.parse(bytes: try HTTPClient.get(host: "127.0.0.1", port: port, path: "/healthz").body)
        #expect(unhealthy["status"]?.stringValue == "unavailable")
        #expect(unhealthy["checks"]?["broker"]?["ok"] == .bool(false))
        #expect(unhealthy["checks"]?["hub"]?["ok"] == .bool(true))
    }
}

/// A flag set once by one thread and read by another.
final class TestThreadBox: Sendable {
    private let flag = Mutex(false)
    func done() { flag.withLock { $0 = true } }
    var isDone: Bool { flag.withLock { $0 } }
}
