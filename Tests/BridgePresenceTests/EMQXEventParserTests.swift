import Testing

@testable import BridgePresence

@Suite struct EMQXEventParserTests {
    static let connectedTopic = "$SYS/brokers/emqx@127.0.0.1/clients/emqtt-8348fe27a87976ad4db3/connected"
    static let disconnectedTopic = "$SYS/brokers/emqx@127.0.0.1/clients/emqtt-8348fe27a87976ad4db3/disconnected"
    static let connected4 = #"{"username":"foo","ts":1625572213873,"sockport":1883,"proto_ver":4,"proto_name":"MQTT","keepalive":60,"ipaddress":"127.0.0.1","expiry_interval":0,"connected_at":1625572213873,"connack":0,"clientid":"emqtt-8348fe27a87976ad4db3","clean_start":true}"#
    static let disconnected4 = #"{"username":"foo","ts":1625572213873,"sockport":1883,"reason":"tcp_closed","proto_ver":4,"proto_name":"MQTT","ipaddress":"127.0.0.1","disconnected_at":1625572213873,"clientid":"emqtt-8348fe27a87976ad4db3"}"#
    static let connected5 = #"{"username":null,"ts":1795300789120,"sockport":1883,"protocol":"mqtt","proto_ver":5,"proto_name":"MQTT","keepalive":30,"ipaddress":"127.0.0.1:52044","expiry_interval":7200,"connected_at":1795300789100,"clientid":"GID_a@@@d1","clean_start":false}"#
    static let disconnected5 = #"{"username":null,"ts":1795300799001,"sockport":1883,"protocol":"mqtt","reason":"normal","proto_ver":5,"proto_name":"MQTT","ipaddress":"127.0.0.1:52044","disconnected_at":1795300799000,"connected_at":1795300789100,"clientid":"GID_a@@@d1"}"#

    func parse(_ topic: String, _ payload: String) throws -> EMQXClientEvent? {
        try EMQXEventParser.parse(topic: topic, payload: Array(payload.utf8))
    }

    func problem(_ topic: String, _ payload: String) -> StatusProblem.Kind? {
        do {
            _ = try parse(topic, payload)
            return nil
        } catch let error as StatusProblem {
            return error.kind
        } catch {
            return nil
        }
    }

    @Test func topicsGiveTheKind() {
        #expect(EMQXEventParser.kind(ofTopic: EMQXEventParserTests.connectedTopic) == .connected)
        #expect(EMQXEventParser.kind(ofTopic: EMQXEventParserTests.disconnectedTopic) == .disconnected)
        #expect(EMQXEventParser.kind(ofTopic: "$SYS/brokers/n/clients/a/b/connected") == .connected)
        for other in [
            "$SYS/brokers/n/clients/x/subscribed", "$SYS/brokers/n/stats/connections.count", "$SYS/brokers",
            "$SYS/broker/log/N", "$SYS/brokers/n/clients/connected", "x/brokers/n/clients/c/connected", "",
        ] {
            #expect(EMQXEventParser.kind(ofTopic: other) == nil, "\(other)")
        }
    }

    @Test func otherTopicsAreIgnored() throws {
        #expect(try parse("$SYS/brokers/n/version", "5.0.0") == nil)
    }

    @Test func emqx4Connected() throws {
        let event = try #require(try parse(EMQXEventParserTests.connectedTopic, EMQXEventParserTests.connected4))
        #expect(
            event
                == EMQXClientEvent(
                    kind: .connected, clientId: "emqtt-8348fe27a87976ad4db3", username: "foo", ipAddress: "127.0.0.1",
                    connectedAt: 1_625_572_213_873, timestamp: 1_625_572_213_873, keepAlive: 60, cleanStart: true,
                    protocolVersion: 4))
        #expect(!event.sentDisconnect)
    }

    @Test func emqx4Disconnected() throws {
        let event = try #require(try parse(EMQXEventParserTests.disconnectedTopic, EMQXEventParserTests.disconnected4))
        #expect(event.kind == .disconnected)
        #expect(event.clientId == "emqtt-8348fe27a87976ad4db3")
        #expect(event.connectedAt == nil)
        #expect(event.disconnectedAt == 1_625_572_213_873)
        #expect(event.reason == "tcp_closed")
        #expect(!event.sentDisconnect)
    }

    @Test func emqx5EventsWithNullUsernameAndPort() throws {
        let connected = try #require(try parse(EMQXEventParserTests.connectedTopic, EMQXEventParserTests.connected5))
        #expect(connected.username == nil)
        #expect(connected.ipAddress == "127.0.0.1:52044")
        #expect(connected.connectedAt == 1_795_300_789_100)
        #expect(connected.cleanStart == false)
        #expect(connected.protocolVersion == 5)
        let disconnected = try #require(
            try parse(EMQXEventParserTests.disconnectedTopic, EMQXEventParserTests.disconnected5))
        #expect(disconnected.connectedAt == 1_795_300_789_100)
        #expect(disconnected.disconnectedAt == 1_795_300_799_000)
        #expect(disconnected.timestamp == 1_795_300_799_001)
        #expect(disconnected.sentDisconnect)
    }

    @Test func clientIdComesFromThePayloadNotTheTopic() throws {
        let event = try #require(
            try parse("$SYS/brokers/n/clients/escaped%2Fid/connected", #"{"clientid":"a/b","connected_at":5}"#))
        #expect(event.clientId == "a/b")
        #expect(event.ipAddress == "")
    }

    @Test(arguments: ["", "not json", "{", "[1,2]", "\"text\"", "null", #"{"clientid":"a",}"#])
    func malformedPayloads(payload: String) {
        #expect(problem(EMQXEventParserTests.connectedTopic, payload) == .malformedEMQXEvent)
    }

    @Test(arguments: [
        #"{"connected_at":5}"#,
        #"{"clientid":null,"connected_at":5}"#,
        #"{"clientid":7,"connected_at":5}"#,
        #"{"clientid":"a"}"#,
        #"{"clientid":"a","connected_at":"5"}"#,
        #"{"clientid":"a","connected_at":5.5}"#,
        #"{"clientid":"a","connected_at":1e300}"#,
        #"{"clientid":"a","connected_at":5,"username":3}"#,
        #"{"clientid":"a","connected_at":5,"ipaddress":[1]}"#,
        #"{"clientid":"a","connected_at":5,"clean_start":"yes"}"#,
    ])
    func missingOrMistypedFields(payload: String) {
        #expect(problem(EMQXEventParserTests.connectedTopic, payload) == .missingEMQXField)
    }

    @Test func disconnectedNeedsOnlyTheClientId() throws {
        let event = try #require(try parse(EMQXEventParserTests.disconnectedTopic, #"{"clientid":"a"}"#))
        #expect(event.connectedAt == nil)
        #expect(event.disconnectedAt == nil)
        #expect(problem(EMQXEventParserTests.disconnectedTopic, #"{"reason":"normal"}"#) == .missingEMQXField)
    }
}
