import BridgeConfig
import BridgeCore
import BridgeRuntime
import Foundation
import TestSupport
import Logging
import Testing
import ZeroMQ

/// `/healthz` and `/metrics` answer within a bounded time even when the hub thread does not answer: 503 with
/// the reason, in the API's error shape.
@Suite(.serialized) struct HubUnresponsiveTests {
    @Test func healthAndMetricsAnswer503WhenTheHubThreadIsGone() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-stuck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = try ConfigLoader.parse(
            yaml: """
                mqtt:
                  url: mqtt://127.0.0.1:1
                  clientId: c
                hub:
                  endpoint: inproc://stuck-\(UUID().uuidString)
                api:
                  listen: 127.0.0.1:1
                outflow:
                  - {id: a, mqtt: s/#, queueTopic: Q}
                """, file: "stuck.yaml")
        configuration.api = APISettings(host: "127.0.0.1", port: 0)
        configuration.spool = SpoolSettings(directory: directory.appendingPathComponent("spool").path)
        let context = try ZMQContext()
        let host = try BridgeHost(
            configuration: configuration, context: context, workers: [configuration.hub.endpoint], logger: Logger(label: "test"))
        try host.start()
        let port = try #require(host.apiPort)
        // While the hub runs, metrics are served.
        let before = try HTTPClient.get(host: "127.0.0.1", port: port, path: "/metrics", timeout: .seconds(5))
        #expect(before.status == 200)

        // The hub thread is gone; the API thread is still up.
        host.hub.stop()
        var answered = true
        for path in ["/healthz", "/metrics"] {
            let started = ContinuousClock.now
            do {
                let response = try HTTPClient.get(host: "127.0.0.1", port: port, path: path, timeout: .seconds(5))
                #expect(ContinuousClock.now - started < .seconds(3), "\(path)")
                #expect(response.status == 503, "\(path)")
                let json = try JSONValue.parse(bytes: response.body)
                #expect(json["Code"]?.stringValue == "ServiceUnavailable", "\(path)")
                #expect(json["RequestId"]?.stringValue?.isEmpty == false, "\(path)")
                #expect(json["Message"]?.stringValue?.contains("the hub thread did not answer within 1 s") == true,
                        "\(path): \(String(decoding: response.body, as: UTF8.self))")
            } catch {
                answered = false
                Issue.record("\(path) gave no answer within 5 s: \(error)")
            }
        }
        // An API thread stuck for good could not be stopped; leave it then.
        if answered { host.stop() }
    }
}
