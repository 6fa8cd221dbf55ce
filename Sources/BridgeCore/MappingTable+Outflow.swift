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
        let rules = outflowRules(matching: topic)
        if rules.isEmpty { return [] }
        if message.payload.count > limits.maxBodyBytes {
            throw TranslationError(
                .bodyTooLarge,
                "payload of \(message.payload.count) bytes on '\(message.topic)' exceeds limits.maxBodyBytes (\(limits.maxBodyBytes))"
            )
        }

        var common: [String: String] = [
            PropertyName.qosLevel: message.qos.text,
            PropertyName.topic: topic.name,
        ]
        let subTopic = topic.subTopic
        if !subTopic.isEmpty { common[PropertyName.mqttSecondTopic] = String(subTopic) }
        if message.retain { common[PropertyName.mqttRetain] = "true" }
        if !message.userProperties.isEmpty {
            let json = UserPropertyCoding.encode(message.userProperties)
            if json.utf8.count > limits.maxUserPropertyBytes {
                throw TranslationError(
                    .userPropertiesTooLarge,
                    "MQTT 5 user properties on '\(message.topic)' take \(json.utf8.count) bytes as \(PropertyName.mqtt5UserProperty); at most \(limits.maxUserPropertyBytes) are allowed"
                )
            }
            common[PropertyName.mqtt5UserProperty] = json
        }
        if let contentType = message.contentType { common[PropertyName.mqtt5ContentType] = contentType }
        if let expiry = message.messageExpiryInterval { common[PropertyName.mqtt5MsgExpireInterval] = String(expiry) }

        let knownClientId = publisherClientId ?? message.userProperties.first(named: PropertyName.clientId)
        var results: [RoutedQueueMessage] = []
        results.reserveCapacity(rules.count)
        for rule in rules {
            var clientId = knownClientId
            if clientId == nil, let template = rule.clientId {
                let values = TemplateValues(topic: topic, clientId: nil, qos: message.qos, userProperties: message.userProperties)
                let rendered = template.render(values)
                clientId = rendered.isEmpty ? nil : rendered
            }
            let values = TemplateValues(topic: topic, clientId: clientId, qos: message.qos, userProperties: message.userProperties)
            var properties = common
            if let clientId { properties[PropertyName.clientId] = clientId }
            for extra in rule.properties {
                let value = extra.value.render(values)
                if !value.isEmpty { properties[extra.name] = value }
            }
            let tag = rule.tag.map { $0.render(values) }
            let keys = rule.keys.map { $0.render(values) }.filter { !$0.isEmpty }
            let queueMessage = QueueMessage(
                topic: rule.queueTopic,
                tag: tag?.isEmpty == false ? tag : nil,
                keys: keys,
                properties: properties,
                body: message.payload
            )
            results.append(RoutedQueueMessage(ruleId: rule.id, message: queueMessage))
        }
        return results
    }
}
