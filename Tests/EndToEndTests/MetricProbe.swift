import Foundation
import LoopbackHarness

/// Publishes probe messages until a gauge of the bridge's `/metrics` reaches 1 (or 30 s pass): proof that
/// the bridge is subscribed and doing what the gauge counts (holding messages for a durable group or an
/// engine). Returns the gauge's last value.
func probeUntilGauge(_ metric: String, apiPort: Int, publisher: MQTTTestClient, topic: String = "sensors/probe/probe") throws -> Double {
    var value = 0.0
    let deadline = Deadline(timeout: .seconds(30))
    while value < 1 && !deadline.hasPassed {
        _ = try publisher.client.publish(topic: topic, payload: Array("probe".utf8), qos: .atLeastOnce)
        Thread.sleep(forTimeInterval: 0.2)
        value = (try? MetricsTests.scrape(apiPort))?[metric] ?? 0
    }
    return value
}
