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
        let matches = outflowIndex.matches(topic)
        if matches.isEmpty { return [] }
        if message.payload.count > limits.maxBodyBytes {
            throw TranslationError(
                .bodyTooLarge,
                "payload of \(message.payload.count) bytes on '\(message.topic)' exceeds limits.maxBodyBytes (\(limits.maxBodyBytes))"
            )
        }

        // Sized for every property the first rule adds, so that adding them never rehashes.
        var common = [String: String](minimumCapacity: 4 + (message.userProperties.isEmpty ? 0 : 1)
            + (message.contentType == nil ? 0 : 1) + (message.messageExpiryInterval == nil ? 0 : 1)
            + outflowRules[matches[0]].properties.count)
        common[PropertyName.qosLevel] = message.qos.text
        common[PropertyName.topic] = topic.name
        let subTopic = topic.subTopicString
        if !subTopic.isEmpty { common[PropertyName.mqttSecondTopic] = subTopic }
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
        results.reserveCapacity(matches.count)
        for (position, index) in matches.enumerated() {
            // Fields are read one by one: a copy of the whole rule would retain every one of them.
            var clientId = knownClientId
            if clientId == nil, let template = outflowRules[index].clientId {
                let values = TemplateValues(topic: topic, clientId: nil, qos: message.qos, userProperties: message.userProperties)
                let rendered = template.render(values)
                clientId = rendered.isEmpty ? nil : rendered
            }
            let values = TemplateValues(topic: topic, clientId: clientId, qos: message.qos, userProperties: message.userProperties)
            // The last rule takes the common properties over; earlier ones take a copy.
            var properties = common
            if position == matches.count - 1 { common = [:] }
            if let clientId { properties[PropertyName.clientId] = clientId }
            for extra in outflowRules[index].properties {
                let value = extra.value.render(values)
                if !value.isEmpty { properties[extra.name] = value }
            }
            var tag = outflowRules[index].tag?.render(values)
            if tag?.isEmpty == true { tag = nil }
            var keys: [String] = []
            let keyTemplates = outflowRules[index].keys
            if !keyTemplates.isEmpty {
                keys.reserveCapacity(keyTemplates.count)
                for key in keyTemplates {
                    let rendered = key.render(values)
                    if !rendered.isEmpty { keys.append(rendered) }
                }
            }
            let queueMessage = QueueMessage(
                topic: outflowRules[index].queueTopic, tag: tag, keys: keys, properties: properties, body: message.payload)
            results.append(RoutedQueueMessage(ruleId: outflowRules[index].id, message: queueMessage))
        }
        return results
    }
}
