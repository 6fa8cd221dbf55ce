import Testing

@testable import BridgeCore

@Suite struct InflowTests {
    let mappings = MappingTable(
        inflow: [
            InflowRule(id: "commands", queueTopic: "DEVICE_CMD", tags: try! TagExpression("cmd||ota"), mqttParent: "devices", qos: .exactlyOnce),
            InflowRule(id: "firmware", queueTopic: "DEVICE_CMD", tags: try! TagExpression("firmware"), mqttParent: "firmware"),
            InflowRule(id: "apps", queueTopic: "APP_P2P", mqttParent: "apps"),
        ],
        limits: MessageLimits(maxBodyBytes: 16)
    )

    func inflow(_ properties: [String: String] = [:], topic: String = "DEVICE_CMD", tag: String? = "cmd", body: [UInt8] = [])
        throws(TranslationError) -> RoutedMQTTMessage
    {
        try mappings.inflow(QueueMessage(topic: topic, tag: tag, properties: properties, body: body))
    }

    func rejection(_ properties: [String: String] = [:], topic: String = "DEVICE_CMD", tag: String? = "cmd", body: [UInt8] = [])
        -> TranslationError.Reason?
    {
        do {
            _ = try inflow(properties, topic: topic, tag: tag, body: body)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func secondTopicIsAppendedToTheParent() throws {
        #expect(try inflow(["mqttSecondTopic": "/dev-001/set"]).message.topic == "devices/dev-001/set")
        #expect(try inflow().message.topic == "devices", "no sub-topic publishes to the parent itself")
    }

    @Test func qosFromPropertyThenRuleThenOne() throws {
        #expect(try inflow(["qoslevel": "0"]).message.qos == .atMostOnce)
        #expect(try inflow().message.qos == .exactlyOnce)
        #expect(try inflow(tag: "firmware").message.qos == .atLeastOnce)
    }

    @Test func retainFlag() throws {
        #expect(try inflow(["mqttRetain": "true"]).message.retain)
        #expect(try !inflow(["mqttRetain": "false"]).message.retain)
        #expect(try !inflow().message.retain)
        #expect(rejection(["mqttRetain": "yes"]) == .invalidRetain)
    }

    @Test func realTopicReplacesTheSubTopic() throws {
        let routed = try inflow(["mqttSecondTopic": "/a", "mqttRealTopic": "/b/c"])
        #expect(routed.message.topic == "devices/b/c")
        #expect(routed.message.userProperties.isEmpty)
        #expect(routed.p2pClientId == nil)
    }

    @Test func p2pMessageGoesToOneClientAndCarriesRealTopicAndCleanSession() throws {
        let routed = try inflow(
            ["mqttSecondTopic": "/p2p/GID_app@@@phone7", "mqttRealTopic": "/alerts/fire", "cleansessionflag": "false"],
            topic: "APP_P2P", tag: nil)
        #expect(routed.message.topic == "apps/p2p/GID_app@@@phone7")
        #expect(routed.p2pClientId == "GID_app@@@phone7")
        #expect(
            routed.message.userProperties == [
                UserProperty(key: "mqttRealTopic", value: "/alerts/fire"),
                UserProperty(key: "cleansessionflag", value: "false"),
            ])
        #expect(rejection(["mqttSecondTopic": "/p2p/"], topic: "APP_P2P", tag: nil) == .invalidSubTopic)
    }

    @Test func cleanSessionFlagOnlyTravelsOnP2P() throws {
        #expect(try inflow(["cleansessionflag": "true"]).message.userProperties.isEmpty)
    }

    @Test func restoresUserPropertiesContentTypeAndExpiry() throws {
        let routed = try inflow([
            "mqtt5UserProperty": #"[{"key":"a","value":"1"},{"key":"a","value":"2"},{"key":"ü","value":"\u00e9\n"}]"#,
            "mqtt5ContentType": "text/plain",
            "mqtt5MsgExpireInterval": "60",
            "topic": "ignored/topic",
            "clientId": "ignored",
        ])
        #expect(
            routed.message.userProperties == [
                UserProperty(key: "a", value: "1"), UserProperty(key: "a", value: "2"), UserProperty(key: "ü", value: "é\n"),
            ])
        #expect(routed.message.contentType == "text/plain")
        #expect(routed.message.messageExpiryInterval == 60)
        #expect(routed.message.topic == "devices", "topic and clientId properties are ignored")
    }

    @Test func bodyIsPassedThroughIncludingBinary() throws {
        let body: [UInt8] = [0, 255, 10, 13]
        #expect(try inflow(body: body).message.payload == body)
    }

    @Test func rejectionsOfSpecSection5() {
        #expect(rejection(["mqttSecondTopic": "no-slash"]) == .invalidSubTopic)
        #expect(rejection(["mqttSecondTopic": "/a/+"]) == .invalidSubTopic)
        #expect(rejection(["mqttSecondTopic": "/a/#"]) == .invalidSubTopic)
        #expect(rejection(["mqttSecondTopic": "/a\u{0}b"]) == .invalidSubTopic)
        #expect(rejection(["mqttRealTopic": "x"]) == .invalidRealTopic)
        #expect(rejection(["mqttRealTopic": "/+"]) == .invalidRealTopic)
        #expect(rejection(["qoslevel": "3"]) == .invalidQoS)
        #expect(rejection(["qoslevel": "-1"]) == .invalidQoS)
        #expect(rejection(["qoslevel": "one"]) == .invalidQoS)
        #expect(rejection(["qoslevel": ""]) == .invalidQoS)
        #expect(rejection(topic: "NO_SUCH_TOPIC") == .noInflowRule)
        #expect(rejection(tag: "other") == .tagNotAccepted)
        #expect(rejection(tag: nil) == .tagNotAccepted)
        #expect(rejection(body: Array(repeating: 1, count: 17)) == .bodyTooLarge)
        #expect(rejection(body: Array(repeating: 1, count: 16)) == nil)
        #expect(rejection(["mqtt5UserProperty": "[{\"key\":1}]"]) == .invalidUserProperties)
        #expect(rejection(["mqtt5UserProperty": "not json"]) == .invalidUserProperties)
        #expect(rejection(["mqtt5UserProperty": "{}"]) == .invalidUserProperties)
        #expect(rejection(["mqtt5MsgExpireInterval": "-5"]) == .invalidExpiryInterval)
    }

    @Test func rejectionMessagesSayWhatToFix() throws {
        let badQoS = try #require(throws: TranslationError.self) { try inflow(["qoslevel": "7"]) }
        #expect(badQoS.message == "qoslevel '7' must be 0, 1 or 2")
        let noRule = try #require(throws: TranslationError.self) { try inflow(topic: "NOPE") }
        #expect(noRule.message == "no inflow rule takes queue topic 'NOPE'")
    }

    @Test func tagsPickTheRule() throws {
        #expect(try inflow(tag: "ota").ruleId == "commands")
        #expect(try inflow(tag: "firmware").message.topic == "firmware")
    }
}
