import BridgeCore

/// The console's "try a message" form: one message through the rules in use, as `mqbridge translate` does,
/// answered in JSON (README "Console"). A pure function of the request body and the rules.
public enum ConsoleTranslate {
    /// Most bytes of a request body the form may send.
    public static let maxRequestBytes = 1 << 20

    /// The answer to a `POST /console/translate` body: status and JSON text. 200 with `"result"` of
    /// `translated` (with `messages`, the queue-side messages or the MQTT publish in the CLI's JSON),
    /// `rejected` (with `reason` and `message`) or `unmatched`; 400 for a body that is not a request.
    public static func answer(_ body: [UInt8], mappings: MappingTable) -> (status: Int, json: String) {
        let request: JSONValue
        do {
            request = try JSONValue.parse(bytes: body)
        } catch {
            return invalid("the body is not JSON: \(error)")
        }
        guard case .object = request else { return invalid("the body must be a JSON object") }
        guard let topic = request["topic"]?.stringValue, !topic.isEmpty else {
            return invalid("\"topic\" is required: the MQTT topic (outflow) or queue topic (inflow)")
        }
        let direction = request["direction"]?.stringValue ?? "outflow"
        do {
            switch direction {
            case "outflow":
                let qos = request["qos"]?.numberValue ?? 0
                guard let level = QoS(rawValue: UInt8(exactly: qos) ?? 3) else { return invalid("\"qos\" must be 0, 1 or 2") }
                var properties: [UserProperty] = []
                if case .array(let items)? = request["userProperties"] {
                    for item in items {
                        guard let key = item["key"]?.stringValue, let value = item["value"]?.stringValue else {
                            return invalid("each of \"userProperties\" is {\"key\": …, \"value\": …}")
                        }
                        properties.append(UserProperty(key: key, value: value))
                    }
                }
                let message = MQTTMessage(
                    topic: topic, payload: Array((request["payload"]?.stringValue ?? "").utf8), qos: level,
                    retain: request["retain"] == .bool(true), userProperties: properties)
                let clientId = request["clientId"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
                let routed = try mappings.outflow(message, publisherClientId: clientId)
                if routed.isEmpty {
                    return (200, outcome("unmatched", message: "no outflow rule matches MQTT topic '\(topic)'"))
                }
                return (200, translated(routed.map { ($0.ruleId, MessageJSON.render($0.message)) }))
            case "inflow":
                var keys: [String] = []
                if case .array(let items)? = request["keys"] { keys = items.compactMap(\.stringValue) }
                var properties: [String: String] = [:]
                if case .object(let members)? = request["properties"] {
                    for (name, value) in members {
                        guard let text = value.stringValue else { return invalid("\"properties\" values must be strings") }
                        properties[name] = text
                    }
                }
                let tag = request["tag"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
                let message = QueueMessage(
                    topic: topic, tag: tag, keys: keys, properties: properties, body: Array((request["body"]?.stringValue ?? "").utf8))
                let routed = try mappings.inflow(message)
                return (200, translated([(routed.ruleId, MessageJSON.render(routed.message))]))
            default:
                return invalid("\"direction\" must be \"outflow\" (MQTT to queue) or \"inflow\" (queue to MQTT)")
            }
        } catch {
            var writer = JSONWriter()
            writer.beginObject()
            writer.field("result", "rejected")
            writer.field("reason", error.reason.rawValue)
            writer.field("message", error.message)
            writer.endObject()
            return (200, writer.text)
        }
    }

    private static func translated(_ messages: [(ruleId: String, json: String)]) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("result", "translated")
        writer.key("messages")
        writer.beginArray()
        for message in messages {
            writer.beginObject()
            writer.field("rule", message.ruleId)
            writer.key("message")
            writer.raw(message.json)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.text
    }

    private static func outcome(_ result: String, message: String) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("result", result)
        writer.field("message", message)
        writer.endObject()
        return writer.text
    }

    private static func invalid(_ message: String) -> (status: Int, json: String) {
        (400, outcome("invalid", message: message))
    }
}
