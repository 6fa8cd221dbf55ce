import Yams

// With a jetstream section, what the rules name must fit JetStream's subjects, stream names and headers.
extension ConfigLoader {
    /// Checks every rule's queue topic and every outflow rule's extra property names against JetStream, each
    /// reported at its own line and column. Topics that break the general queue-topic rule are reported once,
    /// by that rule.
    static func checkRulesForJetStream(_ fields: Fields, prefix: String, _ reader: NodeReader) {
        for section in ["outflow", "inflow", "statusRules"] {
            guard let list = fields[section], case .sequence(let rules) = list else { continue }
            for rule in rules {
                guard case .mapping = rule else { continue }
                if let topicNode = rule["queueTopic"], case .scalar(let scalar) = topicNode, isValidQueueTopic(scalar.string),
                    let problem = jetStreamTopicProblem(scalar.string, prefix: prefix)
                {
                    reader.report(topicNode, problem)
                }
                if section == "outflow", let properties = rule["properties"], case .mapping(let mapping) = properties {
                    for (keyNode, _) in mapping {
                        guard case .scalar(let name) = keyNode, let problem = jetStreamPropertyProblem(name.string) else { continue }
                        reader.report(keyNode, problem)
                    }
                }
            }
        }
    }

    /// Why a queue topic cannot be used on JetStream, or nil. It becomes one token of the subject
    /// `<prefix>.<topic>.<tag>` and part of the stream name `<prefix>_<topic>`.
    static func jetStreamTopicProblem(_ topic: String, prefix: String) -> String? {
        let streamName = prefix.replacingDots + "_" + topic
        if topic.contains(where: { $0 == "." || $0 == "*" || $0 == ">" || $0 == "/" || $0 == "\\" || $0.isWhitespace }) {
            return "queueTopic '\(topic)' cannot be used with jetstream: it becomes the subject \(prefix).\(topic).<tag> "
                + "and the stream name \(streamName), which cannot hold '.', '*', '>', whitespace, '/' or '\\'"
        }
        if topic == "DLQ" {
            return "queueTopic 'DLQ' cannot be used with jetstream: \(prefix).DLQ.> and the stream \(streamName) "
                + "hold the dead letters of every topic; choose another name"
        }
        return nil
    }

    /// Why an extra property name cannot be a NATS header, or nil.
    static func jetStreamPropertyProblem(_ name: String) -> String? {
        let lowercased = name.lowercased()
        if lowercased.hasPrefix("nats-") || lowercased.hasPrefix("mq-") {
            return "property '\(name)' cannot be used with jetstream: header names starting with Nats- or Mq- belong to NATS and the bridge"
        }
        if name.unicodeScalars.contains(where: { $0 == ":" || $0 == "," || $0.properties.isWhitespace || $0.properties.generalCategory == .control }) {
            return "property '\(name)' cannot be used with jetstream: a header name holds no ':', ',', whitespace or control characters"
        }
        return nil
    }
}

extension String {
    fileprivate var replacingDots: String { String(map { $0 == "." ? "_" : $0 }) }
}
