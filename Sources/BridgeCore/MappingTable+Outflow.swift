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
                // The rule's plan is read in place; the full rule only for what the plan leaves to it. Templates
                // of the usual shapes render from the topic, client ID and QoS directly; `TemplateValues` are
                // gathered only for a rule that has some other template.
                let plan = plans[index]
                var clientId = knownClientId
                if clientId == nil, plan.clientId.shape != .absent {
                    let rendered = plan.clientId.isInline
                        ? plan.clientId.renderInline(topic: topic, clientId: nil, qos: message.qos)
                        : outflowRules[index].clientId?.render(
                            TemplateValues(topic: topic, clientId: nil, qos: message.qos, userProperties: message.userProperties))
                    clientId = rendered?.isEmpty == false ? rendered : nil
                }
                let needsValues = !plan.tag.isInline || !plan.key.isInline || plan.hasSeveralKeys || plan.hasProperties
                let values = needsValues
                    ? TemplateValues(topic: topic, clientId: clientId, qos: message.qos, userProperties: message.userProperties) : nil
                var properties = outflowPlan.properties(qosLevel: qosText, topic: topic.name, subTopic: subTopic, clientId: clientId)
                if message.retain { properties[PropertyName.mqttRetain] = "true" }
                if let userPropertyJSON { properties[PropertyName.mqtt5UserProperty] = userPropertyJSON }
                if let contentType = message.contentType { properties[PropertyName.mqtt5ContentType] = contentType }
                if let expiry = message.messageExpiryInterval { properties[PropertyName.mqtt5MsgExpireInterval] = String(expiry) }
                if plan.hasProperties, let values {
                    for extra in outflowRules[index].properties {
                        let value = extra.value.render(values)
                        if !value.isEmpty { properties[extra.name] = value }
                    }
                }
                var tag = plan.tag.isInline
                    ? plan.tag.renderInline(topic: topic, clientId: clientId, qos: message.qos)
                    : values.flatMap { outflowRules[index].tag?.render($0) }
                if tag?.isEmpty == true { tag = nil }
                var keys: [String] = []
                if plan.hasSeveralKeys, let values {
                    let keyTemplates = outflowRules[index].keys
                    keys.reserveCapacity(keyTemplates.count)
                    for key in keyTemplates {
                        let rendered = key.render(values)
                        if !rendered.isEmpty { keys.append(rendered) }
                    }
                } else if let key = plan.key.isInline
                    ? plan.key.renderInline(topic: topic, clientId: clientId, qos: message.qos)
                    : values.flatMap({ outflowRules[index].keys.first?.render($0) }), !key.isEmpty
                {
                    keys = [key]
                }
                results.append(RoutedQueueMessage(
                    ruleId: plan.id,
                    message: QueueMessage(topic: plan.queueTopic, tag: tag, keys: keys, properties: properties, body: message.payload)))
            }
        }
        return results
    }
}
