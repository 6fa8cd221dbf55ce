import BridgeCore
import Yams

extension ConfigLoader {
    static func readOutflowRules(_ node: Node, _ reader: NodeReader, _ ids: inout RuleIDs) -> [OutflowRule] {
        guard let elements = reader.sequence(node, "'outflow'") else { return [] }
        let known = ["id", "mqtt", "queueTopic", "tag", "keys", "properties", "clientId"]
        var rules: [OutflowRule] = []
        for element in elements {
            guard let fields = reader.mapping(element, "an outflow rule", known: known) else { continue }
            let id = ruleId(fields, reader, &ids, kind: "outflow")
            var filter: TopicFilter?
            if let filterNode = required(fields, "mqtt", "an outflow rule", "the MQTT topic filter, e.g. sensors/#", reader),
                let text = reader.string(filterNode, "mqtt")
            {
                do {
                    filter = try TopicFilter(text)
                } catch {
                    reader.report(filterNode, "MQTT topic filter '\(text)': \(error)")
                }
            }
            let queueTopic = self.queueTopic(fields, reader)
            let tag = fields["tag"].flatMap { template($0, "tag", reader) }
            var keys: [Template] = []
            if let keysNode = fields["keys"], let keyNodes = reader.sequence(keysNode, "keys") {
                keys = keyNodes.compactMap { template($0, "a key", reader) }
            }
            var properties: [OutflowRule.PropertyTemplate] = []
            if let propertiesNode = fields["properties"] {
                properties = readPropertyTemplates(propertiesNode, reader)
            }
            var clientId: Template?
            if let clientIdNode = fields["clientId"], let compiled = template(clientIdNode, "clientId", reader) {
                if compiled.variables.contains(where: { $0 == .clientId || $0 == .groupId }) {
                    reader.report(clientIdNode, "clientId cannot use ${clientId} or ${groupId}: it is what defines them")
                } else {
                    clientId = compiled
                }
            }
            guard let id, let filter, let queueTopic else { continue }
            rules.append(
                OutflowRule(
                    id: id, filter: filter, queueTopic: queueTopic, tag: tag, keys: keys,
                    properties: properties, clientId: clientId))
        }
        return rules
    }

    static func readInflowRules(_ node: Node, _ reader: NodeReader, _ ids: inout RuleIDs) -> [InflowRule] {
        guard let elements = reader.sequence(node, "'inflow'") else { return [] }
        let known = ["id", "queueTopic", "tags", "mqttParent", "qos"]
        var rules: [InflowRule] = []
        for element in elements {
            guard let fields = reader.mapping(element, "an inflow rule", known: known) else { continue }
            let id = ruleId(fields, reader, &ids, kind: "inflow")
            let queueTopic = self.queueTopic(fields, reader)
            var tags = TagExpression.all
            if let tagsNode = fields["tags"], let text = reader.string(tagsNode, "tags") {
                do {
                    tags = try TagExpression(text)
                } catch {
                    reader.report(tagsNode, error.message)
                }
            }
            var parent: String?
            if let parentNode = required(fields, "mqttParent", "an inflow rule", "the MQTT parent topic, e.g. devices", reader),
                let text = reader.nonEmptyString(parentNode, "mqttParent")
            {
                if text.contains(where: { $0 == "/" || $0 == "+" || $0 == "#" || $0 == "\u{0}" }) || text.hasPrefix("$") {
                    reader.report(parentNode, "mqttParent '\(text)' must be one topic level: no '/', '+', '#' or leading '$'")
                } else {
                    parent = text
                }
            }
            let qos = fields["qos"].flatMap { reader.integer($0, "qos", in: 0...2) }.flatMap { QoS(rawValue: UInt8($0)) }
            guard let id, let queueTopic, let parent else { continue }
            let rule = InflowRule(id: id, queueTopic: queueTopic, tags: tags, mqttParent: parent, qos: qos)
            if let other = rules.first(where: { $0.queueTopic == queueTopic && $0.tags.overlaps(tags) }) {
                reader.report(
                    fields["tags"] ?? fields["queueTopic"] ?? element,
                    "inflow rules '\(other.id)' and '\(id)' both take queue topic '\(queueTopic)' with tags that overlap; give them disjoint tags"
                )
                continue
            }
            rules.append(rule)
        }
        return rules
    }

    static func readStatusRules(_ node: Node, _ reader: NodeReader, _ ids: inout RuleIDs) -> [StatusRule] {
        guard let elements = reader.sequence(node, "'statusRules'") else { return [] }
        var rules: [StatusRule] = []
        for element in elements {
            guard let fields = reader.mapping(element, "a status rule", known: ["id", "groupId", "queueTopic"]) else { continue }
            let id = ruleId(fields, reader, &ids, kind: "status")
            var groupId: String?
            if let groupNode = required(fields, "groupId", "a status rule", "the client group, e.g. GID_sensors", reader),
                let text = reader.nonEmptyString(groupNode, "groupId")
            {
                if text.contains(ClientID.separator) {
                    reader.report(groupNode, "groupId '\(text)' must not contain '\(ClientID.separator)'; it is the part before it")
                } else {
                    groupId = text
                }
            }
            let queueTopic = self.queueTopic(fields, reader)
            guard let id, let groupId, let queueTopic else { continue }
            rules.append(StatusRule(id: id, groupId: groupId, queueTopic: queueTopic))
        }
        return rules
    }

    // MARK: - Pieces shared by the rule kinds

    private static func required(_ fields: Fields, _ key: String, _ what: String, _ hint: String, _ reader: NodeReader) -> Node? {
        if let node = fields[key] { return node }
        reader.report(fields.node, "missing required key '\(key)' in \(what) (\(hint))")
        return nil
    }

    private static func ruleId(_ fields: Fields, _ reader: NodeReader, _ ids: inout RuleIDs, kind: String) -> String? {
        guard let idNode = required(fields, "id", "\(kind == "status" ? "a" : "an") \(kind) rule", "a unique name", reader),
            let id = reader.nonEmptyString(idNode, "id")
        else { return nil }
        if !id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) {
            reader.report(idNode, "rule id '\(id)' may contain only letters, digits, '-', '_' and '.'")
            return nil
        }
        ids.claim(id, at: idNode, kind: kind, reader)
        return id
    }

    /// Queue topics follow RocketMQ's rule: letters, digits, `%`, `|`, `_` and `-`, at most 127 characters.
    private static func queueTopic(_ fields: Fields, _ reader: NodeReader) -> String? {
        guard let node = required(fields, "queueTopic", "a rule", "the queue-side topic, e.g. SENSOR_DATA", reader),
            let text = reader.nonEmptyString(node, "queueTopic")
        else { return nil }
        guard isValidQueueTopic(text) else {
            reader.report(node, "queueTopic '\(text)' may contain only letters, digits, '%', '|', '_' and '-' (at most 127)")
            return nil
        }
        return text
    }

    static func isValidQueueTopic(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 127 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "%|_-".contains($0)) }
    }

    private static func template(_ node: Node, _ what: String, _ reader: NodeReader) -> Template? {
        guard let text = reader.string(node, what) else { return nil }
        do {
            return try Template(text)
        } catch {
            reader.report(node, "\(what): \(error.message)", columnOffset: reader.contentOffset(node) + error.offset)
            return nil
        }
    }

    private static func readPropertyTemplates(_ node: Node, _ reader: NodeReader) -> [OutflowRule.PropertyTemplate] {
        guard case .mapping(let mapping) = node else {
            reader.report(node, "properties must be a mapping of property names to templates, found \(reader.describe(node))")
            return []
        }
        var result: [OutflowRule.PropertyTemplate] = []
        for (keyNode, valueNode) in mapping {
            guard let name = reader.nonEmptyString(keyNode, "a property name") else { continue }
            if PropertyName.reservedOnOutflow.contains(name) {
                reader.report(keyNode, "property '\(name)' is set by the bridge and cannot be set by a rule")
                continue
            }
            if result.contains(where: { $0.name == name }) {
                reader.report(keyNode, "duplicate property '\(name)'")
                continue
            }
            if let value = template(valueNode, "property '\(name)'", reader) {
                result.append(OutflowRule.PropertyTemplate(name: name, value: value))
            }
        }
        return result
    }
}
