/// The values a template can use, taken from one MQTT message.
public struct TemplateValues: Sendable {
    public let topic: Topic
    public let clientId: String?
    public let qos: QoS
    public let userProperties: [UserProperty]

    public init(topic: Topic, clientId: String?, qos: QoS, userProperties: [UserProperty]) {
        self.topic = topic
        self.clientId = clientId
        self.qos = qos
        self.userProperties = userProperties
    }

    /// The value of a variable; the empty string when the message has none.
    public func value(of variable: Template.Variable) -> String {
        switch variable {
        case .topic: topic.name
        case .parent: String(topic.parent)
        case .subTopic: String(topic.subTopic)
        case .level(let number): topic.levelString(number) ?? ""
        case .clientId: clientId ?? ""
        case .groupId: clientId.flatMap(ClientID.groupId(of:)) ?? ""
        case .qos: qos.text
        case .userProperty(let name): userProperties.first(named: name) ?? ""
        }
    }
}
