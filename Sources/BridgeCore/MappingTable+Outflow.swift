extension MappingTable {
    /// Translates one MQTT message into a queue-side message for every outflow rule that matches it.
    ///
    /// - Parameter publisherClientId: the publisher's client ID when the transport knows it; otherwise it is
    ///   taken from the MQTT 5 user property `clientId`, then from the rule's `clientId` template.
    /// - Returns: one message per matching rule, in rule order; empty when no rule matches.
    public func outflow(_ message: MQTTMessage, publisherClientId: String? = nil) throws(TranslationError)
        -> [RoutedQueueMessage]
    {
        let topic: Topic
        do {
            topic = try Topic(message.topic)
        } catch {
            throw TranslationError(.invalidTopic, "MQTT topic '\(message.topic)': \(error)")
        }
        let matches = outflowIndex.matchList(topic)
        if matches.isEmpty { return [] }
        if message.payload.count > limits.maxBodyBytes {
            throw TranslationError(
                .bodyTooLarge,
                "payload of \(message.payload.count) bytes on '\(message.topic)' exceeds limits.maxBodyBytes (\(limits.maxBodyBytes))"
            )
        }

        var userPropertyJSON: String?
        if !message.userProperties.isEmpty {
            let json = UserPropertyCoding.encode(message.userProperties)
            if json.utf8.count > limits.maxUserPropertyBytes {
                throw TranslationError(
                    .userPropertiesTooLarge,
                    "MQTT 5 user properties on '\(message.topic)' take \(json.utf8.count) bytes as \(PropertyName.mqtt5UserProperty); at most \(limits.maxUserPropertyBytes) are allowed"
                )
            }
            userPropertyJSON = json
        }

        let knownClientId = publisherClientId ?? message.userProperties.first(named: PropertyName.clientId)
        let subTopic = topic.subTopicString
        let qosText = message.qos.text
        var results: [RoutedQueueMessage] = []
        results.reserveCapacity(matches.count)
        outflowPlan.rules.withUnsafeBufferPointer { plans in
            for position in 0..<matches.count {
                let index = matches[position]
                // The rule's plan is read in place; the full rule only for what the plan leaves to it.
                let plan = plans[index]
                var clientId = knownClientId
                if clientId == nil, plan.clientId.shape != .absent {
                    let values = TemplateValues(topic: topic, clientId: nil, qos: message.qos, userProperties: message.userProperties)
                    let rendered = plan.clientId.render(values, template: outflowRules[index].clientId)
                    clientId = rendered?.isEmpty == false ? rendered : nil
                }
                let values = TemplateValues(topic: topic, clientId: clientId, qos: message.qos, userProperties: message.userProperties)
                var properties = outflowPlan.prototype(hasSubTopic: !subTopic.isEmpty, hasClientId: clientId != nil)
                    .make(qosLevel: qosText, topic: topic.name, subTopic: subTopic, clientId: clientId)
                if message.retain { properties[PropertyName.mqttRetain] = "true" }
                if let userPropertyJSON { properties[PropertyName.mqtt5UserProperty] = userPropertyJSON }
                if let contentType = message.contentType { properties[PropertyName.mqtt5ContentType] = contentType }
                if let expiry = message.messageExpiryInterval { properties[PropertyName.mqtt5MsgExpireInterval] = String(expiry) }
                if plan.hasProperties {
                    for extra in outflowRules[index].properties {
                        let value = extra.value.render(values)
                        if !value.isEmpty { properties[extra.name] = value }
                    }
                }
                var tag = plan.tag.render(values, template: outflowRules[index].tag)
                if tag?.isEmpty == true { tag = nil }
                var keys: [String] = []
                if plan.hasSeveralKeys {
                    let keyTemplates = outflowRules[index].keys
                    keys.reserveCapacity(keyTemplates.count)
                    for key in keyTemplates {
                        let rendered = key.render(values)
                        if !rendered.isEmpty { keys.append(rendered) }
                    }
                } else if let key = plan.key.render(values, template: outflowRules[index].keys.first), !key.isEmpty {
                    keys = [key]
                }
                let queueMessage = QueueMessage(topic: plan.queueTopic, tag: tag, keys: keys, properties: properties, body: message.payload)
                results.append(RoutedQueueMessage(ruleId: plan.id, message: queueMessage))
            }
        }
        return results
    }
}
