import BridgeCore
import BridgePresence
import Foundation
import TestSupport
import LoopbackHarness
import Testing

/// The status rules every status test uses: sensors' events go to CLIENT_STATUS; GID_other has no rule.
let statusRules = """
    statusRules:
      - id: sensor-status
        groupId: GID_sensors
        queueTopic: CLIENT_STATUS

    """

extension TestConsumer {
    /// The status events received so far, decoded from their JSON bodies, with the tag checked against
    /// the event type.
    var statusEvents: [StatusEvent] {
        messages.compactMap { message in
            guard let event = try? StatusEvent(json: message.body) else {
                Issue.record("not a status event body: \(String(decoding: message.body, as: UTF8.self))")
                return nil
            }
            #expect(message.tag == event.eventType.rawValue, "the tag is the event type")
            #expect(message.keys == [event.clientId], "the key is the client ID")
            return event
        }
    }

    /// Waits until `count` status events of `clientId` arrived, and returns them.
    func waitForStatus(of clientId: String, count: Int, timeout: Duration = .seconds(20)) -> [StatusEvent] {
        _ = waitUntilBlocking(timeout: timeout) { statusEvents.filter { $0.clientId == clientId }.count >= count }
        return statusEvents.filter { $0.clientId == clientId }
    }
}

/// The bridge's HTTP API, as a backend would call it.
struct StatusAPIClient {
    let port: Int

    init(_ fixture: BridgeFixture) throws {
        guard let port = fixture.apiPort else { throw FixtureError("the fixture has no API") }
        self.port = port
    }

    init(port: Int) {
        self.port = port
    }

    /// `GET path`, answering status and parsed JSON body.
    func get(_ path: String) throws -> (status: Int, json: JSONValue) {
        let response = try HTTPClient.get(host: "127.0.0.1", port: port, path: path, timeout: .seconds(10))
        return (response.status, try JSONValue.parse(bytes: response.body))
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    /// `QuerySessionByClientId`.
    func isOnline(_ clientId: String) throws -> Bool {
        let (status, json) = try get("/?Action=QuerySessionByClientId&ClientId=\(Self.encode(clientId))")
        guard status == 200, case .bool(let online)? = json["OnlineStatus"], json["RequestId"]?.stringValue != nil else {
            throw FixtureError("unexpected answer \(status) \(json)")
        }
        return online
    }

    /// `BatchQuerySessionByClientIds`, as (ClientId, OnlineStatus) pairs in the order returned.
    func areOnline(_ clientIds: [String]) throws -> [(String, Bool)] {
        let query = clientIds.enumerated().map { "ClientIdList.\($0.offset + 1)=\(Self.encode($0.element))" }.joined(separator: "&")
        let (status, json) = try get("/?Action=BatchQuerySessionByClientIds&\(query)")
        guard status == 200, case .array(let list)? = json["OnlineStatusList"] else {
            throw FixtureError("unexpected answer \(status) \(json)")
        }
        return list.compactMap { item in
            guard let id = item["ClientId"]?.stringValue, case .bool(let online)? = item["OnlineStatus"] else { return nil }
            return (id, online)
        }
    }

    /// Waits until the single and the batch query both say `online` for `clientId`.
    func waitUntil(_ clientId: String, online: Bool, timeout: Duration = .seconds(20)) -> Bool {
        waitUntilBlocking(timeout: timeout) {
            (try? isOnline(clientId)) == online && (try? areOnline([clientId]).first?.1) == online
        }
    }

    /// `GET /v1/clients/{clientId}`.
    func client(_ clientId: String) throws -> (status: Int, json: JSONValue) {
        try get("/v1/clients/\(Self.encode(clientId))")
    }
}

/// 32 lowercase hex characters.
func isChannelId(_ text: String) -> Bool {
    text.utf8.count == 32 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
}
