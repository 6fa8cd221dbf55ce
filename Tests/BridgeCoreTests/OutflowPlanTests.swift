import TestSupport
import Testing

@testable import BridgeCore

@Suite struct OutflowPlanTests {
    static let templateTexts = [
        "", "plain", "$$", "${topic}", "${parent}", "${subTopic}", "${clientId}", "${groupId}", "${qos}", "${level.1}",
        "${level.2}", "${level.3}", "${level.9}", "${userProperty.unit}", "GID_x@@@${level.2}", "GID_x@@@${level.7}",
        "p-${clientId}", "p-${groupId}", "p-${topic}", "p-${subTopic}", "p-${parent}", "p-${qos}", "p-${userProperty.unit}",
        "${level.2}-s", "a${level.1}b${level.2}", "${clientId}${qos}", "caf\u{E9}-${level.2}",
    ]
    static let topicNames = [
        "a", "a/b", "a/b/c", "a//c", "a/b/", "sensors/site12/dev-5/temp", "caf\u{E9}/b\u{E9}/c", "s/\u{301}x/y",
        "long-parent-topic-name/with-a-long-level-name/x",
    ]

    /// A plan of an inline shape renders exactly what its template renders, for every shape and topic; the
    /// other templates (`${userProperty.…}`, several variables) are left to `Template.render`.
    @Test func planRendersWhatTheTemplateRenders() throws {
        var inline = 0
        for text in Self.templateTexts {
            let template = try Template(text)
            let plan = TemplatePlan(template)
            let general = text.contains("userProperty") || text == "a${level.1}b${level.2}" || text == "${clientId}${qos}"
                || text == "${level.2}-s"
            #expect(plan.isInline == !general, "\(text)")
            guard plan.isInline else { continue }
            inline += 1
            for name in Self.topicNames {
                for clientId in [nil, "GID_g@@@dev", "no-group"] {
                    let topic = try Topic(name)
                    let values = TemplateValues(
                        topic: topic, clientId: clientId, qos: .exactlyOnce, userProperties: [UserProperty(key: "unit", value: "C")])
                    #expect(plan.renderInline(topic: topic, clientId: clientId, qos: .exactlyOnce) == template.render(values),
                            "\(text) on \(name)")
                }
            }
        }
        #expect(inline == 22)
        #expect(TemplatePlan(nil).renderInline(topic: try Topic("a"), clientId: nil, qos: .atMostOnce) == nil)
    }

    /// What `outflow` did before rules were compiled into plans, written plainly: the reference the
    /// compiled path must agree with.
    static func reference(_ table: MappingTable, _ message: MQTTMessage, publisherClientId: String?) throws -> [RoutedQueueMessage] {
        let topic = try Topic(message.topic)
        var results: [RoutedQueueMessage] = []
        for rule in table.outflowRules where rule.filter.matches(topic) {
            var properties = ["qoslevel": message.qos.text, "topic": topic.name]
            if !topic.subTopic.isEmpty { properties["mqttSecondTopic"] = String(topic.subTopic) }
            if message.retain { properties["mqttRetain"] = "true" }
            if !message.userProperties.isEmpty { properties["mqtt5UserProperty"] = UserPropertyCoding.encode(message.userProperties) }
            if let contentType = message.contentType { properties["mqtt5ContentType"] = contentType }
            if let expiry = message.messageExpiryInterval { properties["mqtt5MsgExpireInterval"] = String(expiry) }
            var clientId = publisherClientId ?? message.userProperties.first(named: "clientId")
            if clientId == nil, let template = rule.clientId {
                let rendered = template.render(TemplateValues(topic: topic, clientId: nil, qos: message.qos, userProperties: message.userProperties))
                clientId = rendered.isEmpty ? nil : rendered
            }
            if let clientId { properties["clientId"] = clientId }
            let values = TemplateValues(topic: topic, clientId: clientId, qos: message.qos, userProperties: message.userProperties)
            for extra in rule.properties {
                let value = extra.value.render(values)
                if !value.isEmpty { properties[extra.name] = value }
            }
            let tag = rule.tag.map { $0.render(values) }.flatMap { $0.isEmpty ? nil : $0 }
            let keys = rule.keys.map { $0.render(values) }.filter { !$0.isEmpty }
            results.append(RoutedQueueMessage(
                ruleId: rule.id,
                message: QueueMessage(topic: rule.queueTopic, tag: tag, keys: keys, properties: properties, body: message.payload)))
        }
        return results
    }

    /// Random rules (templates of every shape, several keys, extra properties, overlapping filters) and random
    /// messages translate exactly as the plain reference translates them.
    @Test func agreesWithThePlainTranslationOnRandomRulesAndMessages() throws {
        var generator = SplitMix64(seed: 2024)
        func pick<T>(_ items: [T]) -> T { items[Int(generator.next() % UInt64(items.count))] }
        func maybe<T>(_ make: () throws -> T) rethrows -> T? { generator.next() % 3 == 0 ? nil : try make() }
        let filters = ["a/#", "a/+", "a/b/+", "a/b/c", "a/+/+", "sensors/+/+/temp", "sensors/#", "caf\u{E9}/#", "s/#", "a/b/#"]
        var rules: [OutflowRule] = []
        for number in 0..<60 {
            let keyCount = Int(generator.next() % 3)
            let extras = generator.next() % 4 == 0
                ? [OutflowRule.PropertyTemplate(name: "x-\(number)", value: try Template(pick(Self.templateTexts))),
                   OutflowRule.PropertyTemplate(name: "clientId", value: try Template(pick(Self.templateTexts)))]
                : []
            rules.append(OutflowRule(
                id: "rule-\(number)-with-a-longer-id", filter: try TopicFilter(pick(filters)), queueTopic: "Q\(number % 5)",
                tag: try maybe { try Template(pick(Self.templateTexts)) },
                keys: try (0..<keyCount).map { _ in try Template(pick(Self.templateTexts)) }, properties: extras,
                clientId: try maybe { try Template(pick(Self.templateTexts)) }))
        }
        let table = MappingTable(outflow: rules)
        var compared = 0
        for _ in 0..<2_000 {
            let userProperties = generator.next() % 3 == 0
                ? [UserProperty(key: "unit", value: "C"), UserProperty(key: "clientId", value: "GID_u@@@9")].prefix(Int(generator.next() % 3))
                : []
            let message = MQTTMessage(
                topic: pick(Self.topicNames + ["sensors/x/y/temp", "a/b/c/d", "s", "none/such"]), payload: [1, 2, 3],
                qos: pick(QoS.allCases), retain: generator.next() % 2 == 0, userProperties: Array(userProperties),
                contentType: maybe { "text/plain" }, messageExpiryInterval: maybe { UInt32(generator.next() % 100) })
            let publisher = generator.next() % 4 == 0 ? "GID_p@@@1" : nil
            let expected = try Self.reference(table, message, publisherClientId: publisher)
            #expect(try table.outflow(message, publisherClientId: publisher) == expected, "\(message.topic)")
            compared += expected.count
        }
        #expect(compared > 1_000)
    }
}
