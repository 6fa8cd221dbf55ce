/// A client status event (SPEC §6): the tag is the event type and the body is its JSON.
public struct StatusEvent: Sendable, Equatable {
    public enum EventType: String, Sendable, CaseIterable {
        /// The broker accepted the connection.
        case connect
        /// The client sent an MQTT DISCONNECT; a `tcpclean` for the same channel always follows.
        case disconnect
        /// The TCP connection is gone, for any reason. Consumers decide "offline" on this one.
        case tcpclean
    }

    public var clientId: String
    /// Milliseconds since the epoch.
    public var time: Int64
    public var eventType: EventType
    /// 32 lowercase hex characters, unique per TCP connection.
    public var channelId: String
    /// `ip:port` of the client.
    public var clientIp: String

    public init(clientId: String, time: Int64, eventType: EventType, channelId: String, clientIp: String) {
        self.clientId = clientId
        self.time = time
        self.eventType = eventType
        self.channelId = channelId
        self.clientIp = clientIp
    }

    /// The JSON body, members in the order of SPEC §6.
    public var jsonBody: String {
        var writer = JSONWriter()
        write(to: &writer)
        return writer.text
    }

    /// Writes the JSON object of ``jsonBody`` where a value is expected.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("clientId", clientId)
        writer.key("time")
        writer.number(time)
        writer.field("eventType", eventType.rawValue)
        writer.field("channelId", channelId)
        writer.field("clientIp", clientIp)
        writer.endObject()
    }
}

extension MappingTable {
    /// One queue-side message per status rule of the client's group; none when the group has no rule.
    /// The client ID is the message key, so one client's events keep their order.
    public func status(_ event: StatusEvent) -> [RoutedQueueMessage] {
        guard let groupId = ClientID.groupId(of: event.clientId), let rules = statusByGroupId[groupId] else {
            return []
        }
        let body = Array(event.jsonBody.utf8)
        return rules.map { index in
            let rule = statusRules[index]
            let message = QueueMessage(
                topic: rule.queueTopic,
                tag: event.eventType.rawValue,
                keys: [event.clientId],
                properties: [PropertyName.clientId: event.clientId],
                body: body
            )
            return RoutedQueueMessage(ruleId: rule.id, message: message)
        }
    }
}
