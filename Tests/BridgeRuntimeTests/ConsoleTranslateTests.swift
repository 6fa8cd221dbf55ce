import BridgeCore
import BridgeRuntime
import Testing

/// The console's form as a pure function of the body and the rules.
@Suite struct ConsoleTranslateTests {
    static let mappings = MappingTable(
        outflow: [OutflowRule(id: "telemetry", filter: try! TopicFilter("sensors/#"), queueTopic: "SENSOR_DATA", tag: try! Template("${level.3}"))],
        inflow: [InflowRule(id: "commands", queueTopic: "DEVICE_CMD", mqttParent: "devices")],
        status: [], limits: MessageLimits(maxBodyBytes: 16))

    static func answer(_ body: String) throws -> (status: Int, json: JSONValue) {
        let (status, json) = ConsoleTranslate.answer(Array(body.utf8), mappings: mappings)
        return (status, try JSONValue.parse(json))
    }

    @Test func outflowGivesTheQueueSideMessagesOfTheCommand() throws {
        let (status, json) = try Self.answer(#"{"topic":"sensors/r1/temp","payload":"21","qos":2,"retain":true,"userProperties":[{"key":"k","value":"v"}]}"#)
        #expect(status == 200)
        #expect(json["result"]?.stringValue == "translated")
        guard case .array(let messages)? = json["messages"] else {
            Issue.record("no messages")
            return
        }
        let rendered = MessageJSON.render(try Self.mappings.outflow(
            MQTTMessage(topic: "sensors/r1/temp", payload: Array("21".utf8), qos: .exactlyOnce, retain: true,
                        userProperties: [UserProperty(key: "k", value: "v")]))[0].message)
        #expect(messages.first?["message"] == (try JSONValue.parse(rendered)), "the same JSON as `mqbridge translate`")
        #expect(messages.first?["rule"]?.stringValue == "telemetry")
    }

    @Test func inflowRejectedAndUnmatchedAreAnswersNotErrors() throws {
        let inflow = try Self.answer(#"{"direction":"inflow","topic":"DEVICE_CMD","properties":{"mqttSecondTopic":"/d/set"},"keys":["k"],"body":"x"}"#)
        #expect(inflow.json["result"]?.stringValue == "translated")
        if case .array(let messages)? = inflow.json["messages"] {
            #expect(messages.first?["message"]?["topic"]?.stringValue == "devices/d/set")
        }
        let tooLarge = try Self.answer(#"{"topic":"sensors/r1/temp","payload":"0123456789abcdefXYZ"}"#)
        #expect(tooLarge.status == 200)
        #expect(tooLarge.json["result"]?.stringValue == "rejected")
        #expect(tooLarge.json["reason"]?.stringValue == "body_too_large")
        let noRule = try Self.answer(#"{"direction":"inflow","topic":"NOPE","body":"x"}"#)
        #expect(noRule.json["reason"]?.stringValue == "no_inflow_rule")
        let unmatched = try Self.answer(#"{"topic":"elsewhere/x"}"#)
        #expect(unmatched.json["result"]?.stringValue == "unmatched")
        #expect(unmatched.json["message"]?.stringValue == "no outflow rule matches MQTT topic 'elsewhere/x'")
    }

    @Test(arguments: [
        ("", "not JSON"), ("[1]", "JSON object"), (#"{"topic":""}"#, "\"topic\" is required"),
        (#"{"topic":"a","qos":1.5}"#, "\"qos\""), (#"{"topic":"a","qos":-1}"#, "\"qos\""),
        (#"{"topic":"a","userProperties":[{"key":"k"}]}"#, "userProperties"),
        (#"{"topic":"a","direction":"inflow","properties":{"p":1}}"#, "strings"),
        (#"{"topic":"a","direction":"up"}"#, "\"direction\""),
    ])
    func badRequestsAre400WithWhatToFix(body: String, hint: String) throws {
        let (status, json) = try Self.answer(body)
        #expect(status == 400)
        #expect(json["result"]?.stringValue == "invalid")
        #expect(json["message"]?.stringValue?.contains(hint) == true, "\(json)")
    }
}
