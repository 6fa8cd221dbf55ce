import BridgeCore
import BridgePresence
import BridgeRuntime
import APIServer
import Logging
import Testing

/// The HTTP API's routes against a real (in-memory) status view fed with Mosquitto log lines.
@Suite struct StatusAPITests {
    static func presence(_ lines: [String] = []) throws -> PresenceService {
        let service = try PresenceService(source: .mosquittoLog, stateDirectory: nil, logger: Logger(label: "test"))
        for line in lines {
            _ = service.ingest(topic: "$SYS/broker/log/N", payload: Array(line.utf8), receivedAt: 1_795_300_789_500)
        }
        return service
    }

    /// dev-1 online, dev-2 connected and gone, dev-3 taken over (online on its second connection).
    static let lines = [
        "1795300789: New client connected from 10.0.0.1:5001 as GID_s@@@dev-1 (p2, c1, k60).",
        "1795300789: New client connected from 10.0.0.2:5002 as GID_s@@@dev-2 (p5, c1, k60, u'bob').",
        "1795300789: Client GID_s@@@dev-2 disconnected.",
        "1795300789: New client connected from 10.0.0.3:5003 as GID_s@@@dev-3 (p2, c1, k60).",
        "1795300789: Client GID_s@@@dev-3 already connected, closing old connection.",
        "1795300789: New client connected from 10.0.0.3:5004 as GID_s@@@dev-3 (p2, c1, k60).",
    ]

    static func get(_ target: String, method: String = "GET", api: StatusAPI) throws -> (status: Int, json: JSONValue, response: APIResponse) {
        let request = try APIRequest(method: method, target: target)
        let response = api.handle(request)
        return (response.status, try JSONValue.parse(bytes: response.body), response)
    }

    /// The error shape: RequestId, Code and Message, all non-empty strings.
    static func expectError(_ json: JSONValue, code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(json["RequestId"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(json["Code"]?.stringValue == code, sourceLocation: sourceLocation)
        #expect(json["Message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
    }

    @Test func singleQueryAnswersOnlineStatus() throws {
        let api = StatusAPI(presence: try Self.presence(Self.lines))
        for (id, online) in [("GID_s@@@dev-1", true), ("GID_s@@@dev-2", false), ("GID_s@@@dev-3", true), ("never", false)] {
            let (status, json, _) = try Self.get("/?Action=QuerySessionByClientId&ClientId=\(id.replacingAt())", api: api)
            #expect(status == 200)
            #expect(json["OnlineStatus"] == .bool(online), "\(id)")
            #expect(json["RequestId"]?.stringValue?.count == 36)
        }
    }

    @Test func batchQueryKeepsRequestOrderAndTakesHundredsOfIds() throws {
        let api = StatusAPI(presence: try Self.presence(Self.lines))
        // Numbered order wins over the order in the query string.
        let (status, json, _) = try Self.get(
            "/?Action=BatchQuerySessionByClientIds&ClientIdList.2=GID_s%40%40%40dev-2&ClientIdList.1=GID_s%40%40%40dev-1&ClientIdList.3=GID_s%40%40%40dev-3",
            api: api)
        #expect(status == 200)
        guard case .array(let list)? = json["OnlineStatusList"] else {
            Issue.record("no OnlineStatusList in \(json)")
            return
        }
        #expect(list.map { $0["ClientId"]?.stringValue } == ["GID_s@@@dev-1", "GID_s@@@dev-2", "GID_s@@@dev-3"])
        #expect(list.map { $0["OnlineStatus"] } == [.bool(true), .bool(false), .bool(true)])

        let ids = (1...StatusAPI.maxBatch).map { $0 == 250 ? "GID_s@@@dev-1" : "GID_s@@@other-\($0)" }
        let query = ids.enumerated().map { "ClientIdList.\($0.offset + 1)=\($0.element.replacingAt())" }.joined(separator: "&")
        let (bigStatus, big, _) = try Self.get("/?Action=BatchQuerySessionByClientIds&\(query)", api: api)
        #expect(bigStatus == 200)
        if case .array(let answers)? = big["OnlineStatusList"] {
            #expect(answers.count == StatusAPI.maxBatch)
            #expect(answers.map { $0["ClientId"]?.stringValue } == ids)
            #expect(answers.filter { $0["OnlineStatus"] == .bool(true) }.count == 1)
        } else {
            Issue.record("no OnlineStatusList in the large answer")
        }
    }

    @Test(arguments: [
        ("/", "MissingParameter.Action"),
        ("/?Action=", "MissingParameter.Action"),
        ("/?Action=DeleteEverything", "InvalidAction"),
        ("/?Action=QuerySessionByClientId", "MissingParameter.ClientId"),
        ("/?Action=QuerySessionByClientId&ClientId=", "InvalidParameter.ClientId"),
        ("/?Action=BatchQuerySessionByClientIds", "MissingParameter.ClientIdList"),
        ("/?Action=BatchQuerySessionByClientIds&ClientIdList.1=", "InvalidParameter.ClientIdList"),
        ("/?Action=BatchQuerySessionByClientIds&ClientIdList.1=a&ClientIdList.1=b", "InvalidParameter.ClientIdList"),
        ("/?Action=BatchQuerySessionByClientIds&ClientIdList.0=a", "InvalidParameter.ClientIdList"),
        ("/?Action=BatchQuerySessionByClientIds&ClientIdList.x=a", "InvalidParameter.ClientIdList"),
        ("/?Action=BatchQuerySessionByClientIds&ClientIdList.01=a", "InvalidParameter.ClientIdList"),
        // Not numbered from 1 without gaps.
        ("/?Action=BatchQuerySessionByClientIds&ClientIdList.1=a&ClientIdList.3=b", "InvalidParameter.ClientIdList"),
        ("/?Action=BatchQuerySessionByClientIds&ClientIdList.2=a", "InvalidParameter.ClientIdList"),
        ("/?Action=BatchQuerySessionByClientIds&ClientIdList.3=c&ClientIdList.2=b", "InvalidParameter.ClientIdList"),
    ])
    func badRequestsGet400WithCodeAndMessage(target: String, code: String) throws {
        let api = StatusAPI(presence: try Self.presence())
        let (status, json, _) = try Self.get(target, api: api)
        #expect(status == 400)
        Self.expectError(json, code: code)
    }

    @Test func tooManyIdsIsABadRequest() throws {
        let api = StatusAPI(presence: try Self.presence())
        let query = (1...(StatusAPI.maxBatch + 1)).map { "ClientIdList.\($0)=c\($0)" }.joined(separator: "&")
        let (status, json, _) = try Self.get("/?Action=BatchQuerySessionByClientIds&\(query)", api: api)
        #expect(status == 400)
        Self.expectError(json, code: "InvalidParameter.ClientIdList")
        #expect(json["Message"]?.stringValue?.contains("at most \(StatusAPI.maxBatch)") == true)
    }

    @Test func clientDetailsShowOpenChannelsAndTheLastEvent() throws {
        let api = StatusAPI(presence: try Self.presence(Self.lines))
        let (status, json, _) = try Self.get("/v1/clients/GID_s%40%40%40dev-3", api: api)
        #expect(status == 200)
        #expect(json["clientId"]?.stringValue == "GID_s@@@dev-3")
        #expect(json["online"] == .bool(true))
        guard case .array(let channels)? = json["channels"] else {
            Issue.record("no channels in \(json)")
            return
        }
        #expect(channels.count == 1, "the taken-over channel is closed")
        #expect(channels.first?["clientIp"]?.stringValue == "10.0.0.3:5004")
        #expect(channels.first?["connectedAt"] == .number(1_795_300_789_500))
        #expect(channels.first?["channelId"]?.stringValue?.count == 32)
        #expect(json["lastEvent"]?["eventType"]?.stringValue == "connect")
        #expect(json["lastEvent"]?["channelId"] == channels.first?["channelId"])

        let (goneStatus, gone, _) = try Self.get("/v1/clients/GID_s%40%40%40dev-2", api: api)
        #expect(goneStatus == 200)
        #expect(gone["online"] == .bool(false))
        #expect(gone["channels"] == .array([]))
        #expect(gone["lastEvent"]?["eventType"]?.stringValue == "tcpclean")

        let (unknownStatus, unknown, _) = try Self.get("/v1/clients/nobody", api: api)
        #expect(unknownStatus == 404)
        Self.expectError(unknown, code: "ClientNotFound")
    }

    @Test func otherPathsAndMethods() throws {
        let api = StatusAPI(presence: try Self.presence(Self.lines))
        let (health, healthJSON, _) = try Self.get("/healthz", api: api)
        #expect(health == 200)
        #expect(healthJSON["status"]?.stringValue == "ok")
        #expect(healthJSON["statusSource"]?.stringValue == "mosquitto-log")
        #expect(healthJSON["trackedClients"] == .number(3))

        let (missing, missingJSON, _) = try Self.get("/v2/things", api: api)
        #expect(missing == 404)
        Self.expectError(missingJSON, code: "NotFound")

        let (post, postJSON, response) = try Self.get("/?Action=QuerySessionByClientId&ClientId=a", method: "DELETE", api: api)
        #expect(post == 405)
        Self.expectError(postJSON, code: "MethodNotAllowed")
        #expect(response.headers["Allow"] == "GET, HEAD")
    }

    @Test func withoutAStatusSourceEveryClientIsOffline() throws {
        let api = StatusAPI(presence: nil)
        let (status, json, _) = try Self.get("/?Action=QuerySessionByClientId&ClientId=x", api: api)
        #expect(status == 200)
        #expect(json["OnlineStatus"] == .bool(false))
        #expect(try Self.get("/healthz", api: api).json["statusSource"]?.stringValue == "none")
    }
}

extension String {
    /// `@` percent-encoded, as a client writes client IDs into a URL.
    func replacingAt() -> String { replacing("@", with: "%40") }
}
