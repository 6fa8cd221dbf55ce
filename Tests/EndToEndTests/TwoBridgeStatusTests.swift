import BridgeCore
import Foundation
import LoopbackHarness
import Mosquitto
import NATS
import Testing

/// Two bridges read one broker's log and store client status in one JetStream stream: both produce the same
/// events with the same message IDs, so the stream holds each event once, and both APIs agree.
@Suite(.serialized) struct TwoBridgeStatusTests {
    static let rules = JetStreamFixture.rules + """
        statusRules:
          - id: sensor-status
            groupId: GID_sensors
            queueTopic: CLIENT_STATUS

        """

    @Test func eachEventIsStoredOnceAndBothAPIsAgree() throws {
        let fixture = try JetStreamFixture(rules: Self.rules, statusSource: "mosquitto-log", mqtt: ["sharedGroup: bridges"])
        defer { fixture.stop() }
        let sibling = try fixture.addBridge()
        let apis = [StatusAPIClient(port: fixture.apiPort), StatusAPIClient(port: sibling.apiPort)]

        // Both bridges follow the log once a probe client shows online in both views (one that connected
        // before a bridge had subscribed to the log is never seen by it, so probes come until one is).
        let deadline = Deadline(timeout: .seconds(60))
        var attempt = 0
        var following = false
        while !following && !deadline.hasPassed {
            attempt += 1
            let probe = try MQTTTestClient(broker: fixture.broker, id: "GID_probe@@@\(attempt)")
            following = apis.allSatisfy { $0.waitUntil("GID_probe@@@\(attempt)", online: true, timeout: .seconds(2)) }
            probe.close()
        }
        #expect(following, "both bridges follow the broker's log:\n\(fixture.bridgeLog.suffix(2_000))")

        // A client that disconnects, one that is killed, one that is taken over.
        let leaving = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@leaving")
        leaving.close()
        let killed = try ManagedProcess(
            executable: try ManagedProcess.resolve("mosquitto_sub"),
            arguments: ["-h", "127.0.0.1", "-p", "\(fixture.broker.port)", "-i", "GID_sensors@@@killed", "-t", "nothing/here"])
        for api in apis { #expect(api.waitUntil("GID_sensors@@@killed", online: true)) }
        killed.kill(signal: SIGKILL)
        _ = killed.waitForExit(timeout: .seconds(10))
        let first = try RawMQTTConnection(port: fixture.broker.port, clientId: "GID_sensors@@@twin")
        for api in apis { #expect(api.waitUntil("GID_sensors@@@twin", online: true)) }
        let second = try RawMQTTConnection(port: fixture.broker.port, clientId: "GID_sensors@@@twin")
        #expect(first.waitForBrokerClose(), "the broker closes the taken-over connection")
        defer { _ = second }

        let expected: [String: [String]] = [
            "GID_sensors@@@leaving": ["connect", "disconnect", "tcpclean"],
            "GID_sensors@@@killed": ["connect", "tcpclean"],
            "GID_sensors@@@twin": ["connect", "tcpclean", "connect"],
        ]
        let jetStream = try fixture.jetStream()
        func stored() -> [StoredMessage] { (try? JetStreamFixture.messages(in: "mq_CLIENT_STATUS", via: jetStream)) ?? [] }
        func types(_ messages: [StoredMessage], of clientId: String) -> [String] {
            messages.filter { $0.headerValues("clientId").first == clientId }.map { String($0.subject.split(separator: ".").last ?? "") }
        }
        _ = waitUntilBlocking(timeout: .seconds(30)) {
            let messages = stored()
            return expected.allSatisfy { types(messages, of: $0.key).count >= $0.value.count }
        }
        // Time for any late copy from the slower bridge to arrive (it must be dropped as a duplicate).
        Thread.sleep(forTimeInterval: 2)
        let messages = stored()
        for (clientId, events) in expected {
            #expect(types(messages, of: clientId) == events, "\(clientId) in the stream\n\(fixture.bridgeLog.suffix(2_000))")
        }
        let ids = messages.compactMap { $0.headerValues("Nats-Msg-Id").first }
        #expect(ids.count == messages.count && Set(ids).count == ids.count, "each event once")
        print("two bridges, one broker: \(messages.count) status events stored for \(expected.values.map(\.count).reduce(0, +)) expected")

        // The two views agree, client by client.
        let clients = expected.keys.sorted()
        let views = try apis.map { try $0.areOnline(clients).map(\.1) }
        #expect(views[0] == views[1])
        #expect(views[0] == clients.map { $0 == "GID_sensors@@@twin" })
    }
}
