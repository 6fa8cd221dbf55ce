import Testing

@testable import BridgeCore

@Suite struct OutflowTests {
    func table(_ rules: [OutflowRule], limits: MessageLimits = MessageLimits()) -> MappingTable {
        MappingTable(outflow: rules, limits: limits)
    }

    func rule(_ id: String, _ filter: String, _ queueTopic: String = "Q") throws -> OutflowRule {
        OutflowRule(id: id, filter: try TopicFilter(filter), queueTopic: queueTopic)
    }

    @Test func setsEveryOutflowPropertyOfSpecSection3() throws {
        let mappings = table([try rule("telemetry", "sensors/#", "SENSOR_DATA")])
        let message = MQTTMessage(
            topic: "sensors/room1/temp", payload: Array("21.5".utf8), qos: .atLeastOnce, retain: true,
            userProperties: [
                UserProperty(key: "clientId", value: "GID_sensors@@@dev-001"),
                UserProperty(key: "unit", value: "C"),
                UserProperty(key: "unit", value: "°F \"quoted\""),
            ],
            contentType: "application/json", messageExpiryInterval: 300)
        let results = try mappings.outflow(message)
        try #require(results.count == 1)
        #expect(results[0].ruleId == "telemetry")
        let queued = results[0].message
        #expect(queued.topic == "SENSOR_DATA")
        #expect(queued.body == Array("21.5".utf8))
        #expect(
            queued.properties == [
                "mqttSecondTopic": "/room1/temp",
                "qoslevel": "1",
                "topic": "sensors/room1/temp",
                "clientId": "GID_sensors@@@dev-001",
                "mqttRetain": "true",
                "mqtt5UserProperty":
                    #"[{"key":"clientId","value":"GID_sensors@@@dev-001"},{"key":"unit","value":"C"},{"key":"unit","value":"°F \"quoted\""}]"#,
                "mqtt5ContentType": "application/json",
                "mqtt5MsgExpireInterval": "300",
            ])
    }

    @Test func leavesOutWhatTheMessageDoesNotHave() throws {
        let mappings = table([try rule("r", "sensors/#")])
        let results = try mappings.outflow(MQTTMessage(topic: "sensors", payload: [], qos: .atMostOnce))
        #expect(results[0].message.properties == ["qoslevel": "0", "topic": "sensors"])
        #expect(results[0].message.tag == nil)
        #expect(results[0].message.keys == [])
    }

    @Test(arguments: [QoS.atMostOnce, .atLeastOnce, .exactlyOnce])
    func qosLevelIsTheArrivalQoS(qos: QoS) throws {
        let results = try table([try rule("r", "a/#")]).outflow(MQTTMessage(topic: "a/b", qos: qos))
        #expect(results[0].message.properties["qoslevel"] == qos.text)
    }

    @Test func clientIdComesFromTransportThenUserPropertyThenRuleTemplate() throws {
        var withTemplate = try rule("r", "factory/+/events")
        withTemplate.clientId = try Template("GID_factory@@@${level.2}")
        withTemplate.keys = [try Template("${clientId}"), try Template("${groupId}")]
        let mappings = table([withTemplate])
        let bare = MQTTMessage(topic: "factory/m1/events")
        let fromTemplate = try mappings.outflow(bare)[0].message
        #expect(fromTemplate.properties["clientId"] == "GID_factory@@@m1")
        #expect(fromTemplate.keys == ["GID_factory@@@m1", "GID_factory"])

        let tagged = MQTTMessage(topic: "factory/m1/events", userProperties: [UserProperty(key: "clientId", value: "GID_x@@@y")])
        #expect(try mappings.outflow(tagged)[0].message.properties["clientId"] == "GID_x@@@y")
        #expect(try mappings.outflow(tagged, publisherClientId: "GID_t@@@z")[0].message.properties["clientId"] == "GID_t@@@z")
    }

    @Test func clientIdIsOmittedWhenUnknown() throws {
        var keyed = try rule("r", "a/#")
        keyed.keys = [try Template("${clientId}")]
        let queued = try table([keyed]).outflow(MQTTMessage(topic: "a/b"))[0].message
        #expect(queued.properties["clientId"] == nil)
        #expect(queued.keys == [], "an empty key is left out")
    }

    @Test func tagKeysAndExtraPropertiesFromTemplates() throws {
        var templated = try rule("metrics", "sensors/+/+")
        templated.tag = try Template("${level.3}")
        templated.keys = [try Template("${level.2}"), try Template("k-${qos}")]
        templated.properties = [
            .init(name: "room", value: try Template("${level.2}")),
            .init(name: "unit", value: try Template("${userProperty.unit}")),
            .init(name: "absent", value: try Template("${userProperty.nope}")),
        ]
        let message = MQTTMessage(topic: "sensors/room1/temp", qos: .atLeastOnce, userProperties: [.init(key: "unit", value: "C")])
        let queued = try table([templated]).outflow(message)[0].message
        #expect(queued.tag == "temp")
        #expect(queued.keys == ["room1", "k-1"])
        #expect(queued.properties["room"] == "room1")
        #expect(queued.properties["unit"] == "C")
        #expect(queued.properties["absent"] == nil, "a property that renders empty is left out")
    }

    @Test func emptyTagMeansNoTag() throws {
        var tagged = try rule("r", "a/#")
        tagged.tag = try Template("${level.5}")
        #expect(try table([tagged]).outflow(MQTTMessage(topic: "a/b"))[0].message.tag == nil)
    }

    @Test func everyMatchingRuleApplies() throws {
        let mappings = table([
            try rule("all", "sensors/#", "ALL"),
            try rule("temps", "sensors/+/temp", "TEMPS"),
            try rule("other", "other/#", "OTHER"),
            try rule("exact", "sensors/room1/temp", "EXACT"),
        ])
        let results = try mappings.outflow(MQTTMessage(topic: "sensors/room1/temp"))
        #expect(results.map(\.ruleId) == ["all", "temps", "exact"])
        #expect(results.map(\.message.topic) == ["ALL", "TEMPS", "EXACT"])
        #expect(try mappings.outflow(MQTTMessage(topic: "nothing/matches")).isEmpty)
    }

    @Test func p2pMessagesKeepTheirTarget() throws {
        let results = try table([try rule("p2p", "apps/p2p/+")]).outflow(MQTTMessage(topic: "apps/p2p/GID_app@@@phone7"))
        #expect(results[0].message.properties["mqttSecondTopic"] == "/p2p/GID_app@@@phone7")
    }

    @Test func binaryBodiesPassUntouched() throws {
        let payload: [UInt8] = [0x00, 0xFF, 0xFE, 0x80, 0x0A, 0x00]
        let results = try table([try rule("r", "a/#")]).outflow(MQTTMessage(topic: "a", payload: payload))
        #expect(results[0].message.body == payload)
    }

    @Test func rejectsBodyOverTheLimit() throws {
        let mappings = table([try rule("r", "a/#")], limits: MessageLimits(maxBodyBytes: 4))
        #expect(try mappings.outflow(MQTTMessage(topic: "a", payload: [1, 2, 3, 4])).count == 1)
        let error = try #require(throws: TranslationError.self) {
            try mappings.outflow(MQTTMessage(topic: "a", payload: [1, 2, 3, 4, 5]))
        }
        #expect(error.reason == .bodyTooLarge)
    }

    @Test func rejectsUserPropertiesOverTheLimit() throws {
        let mappings = table([try rule("r", "a/#")], limits: MessageLimits(maxUserPropertyBytes: 40))
        let big = MQTTMessage(topic: "a", userProperties: [UserProperty(key: "k", value: String(repeating: "v", count: 40))])
        let error = try #require(throws: TranslationError.self) { try mappings.outflow(big) }
        #expect(error.reason == .userPropertiesTooLarge)
    }

    @Test func rejectsInvalidTopics() throws {
        let mappings = table([try rule("r", "a/#")])
        let error = try #require(throws: TranslationError.self) { try mappings.outflow(MQTTMessage(topic: "a/+")) }
        #expect(error.reason == .invalidTopic)
    }
}
