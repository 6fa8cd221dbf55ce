/// The outflow rules compiled for per-message translation.
///
/// A rule's templates are kept in `TemplatePlan`s, inline in one array of fixed-size records, so that a
/// translation reads a rule's few adjacent records instead of each template's heap objects. The queue-side
/// properties every message gets are copied from a prebuilt dictionary and set through saved indexes,
/// so they are neither hashed nor inserted per message.
struct OutflowPlan: Sendable {
    /// What a translation reads from one outflow rule.
    struct Rule: Sendable {
        var id: String
        var queueTopic: String
        var tag: TemplatePlan
        var clientId: TemplatePlan
        /// The rule's only key; `.absent` when it has none or several (`hasSeveralKeys`).
        var key: TemplatePlan
        var hasSeveralKeys: Bool
        var hasProperties: Bool
    }

    let rules: [Rule]
    /// Prototypes of the properties, by `PropertyShape.number`.
    let prototypes: [PropertyPrototype]

    init(_ outflow: [OutflowRule]) {
        rules = outflow.map { rule in
            Rule(
                id: rule.id, queueTopic: rule.queueTopic, tag: TemplatePlan(rule.tag), clientId: TemplatePlan(rule.clientId),
                key: rule.keys.count == 1 ? TemplatePlan(rule.keys[0]) : .absent,
                hasSeveralKeys: rule.keys.count > 1, hasProperties: !rule.properties.isEmpty)
        }
        // Room for the properties a message may add (retain, user properties, content type, expiry) and a
        // rule's extra ones, so that adding them never rehashes.
        let capacity = 8 + (outflow.map(\.properties.count).max() ?? 0)
        prototypes = (0..<4).map { PropertyPrototype(hasSubTopic: $0 & 1 != 0, hasClientId: $0 & 2 != 0, capacity: capacity) }
    }

    /// The properties of a message with or without a sub-topic and client ID, made from their prototype
    /// (read in place, not copied out of the array first).
    func properties(qosLevel: String, topic: String, subTopic: String, clientId: String?) -> [String: String] {
        prototypes[(subTopic.isEmpty ? 0 : 1) | (clientId == nil ? 0 : 2)]
            .make(qosLevel: qosLevel, topic: topic, subTopic: subTopic, clientId: clientId)
    }
}

/// A properties dictionary holding the keys every outflow message of one shape has (`qoslevel`, `topic`,
/// and `mqttSecondTopic` and `clientId` when the message has them), each with an empty value, and where
/// each key sits. A copy of the dictionary keeps its layout, so the values are set through these indexes.
struct PropertyPrototype: Sendable {
    let dictionary: [String: String]
    let qosLevel: Dictionary<String, String>.Index
    let topic: Dictionary<String, String>.Index
    let subTopic: Dictionary<String, String>.Index?
    let clientId: Dictionary<String, String>.Index?

    init(hasSubTopic: Bool, hasClientId: Bool, capacity: Int) {
        var dictionary = [String: String](minimumCapacity: capacity)
        dictionary[PropertyName.qosLevel] = ""
        dictionary[PropertyName.topic] = ""
        if hasSubTopic { dictionary[PropertyName.mqttSecondTopic] = "" }
        if hasClientId { dictionary[PropertyName.clientId] = "" }
        self.dictionary = dictionary
        qosLevel = dictionary.index(forKey: PropertyName.qosLevel)!
        topic = dictionary.index(forKey: PropertyName.topic)!
        subTopic = hasSubTopic ? dictionary.index(forKey: PropertyName.mqttSecondTopic)! : nil
        clientId = hasClientId ? dictionary.index(forKey: PropertyName.clientId)! : nil
    }

    /// A dictionary of this shape with its values set.
    func make(qosLevel qos: String, topic name: String, subTopic second: String, clientId client: String?) -> [String: String] {
        var properties = dictionary
        properties.values[qosLevel] = qos
        properties.values[topic] = name
        if let subTopic { properties.values[subTopic] = second }
        if let clientId, let client { properties.values[clientId] = client }
        return properties
    }
}

/// A template in one of the shapes rules mostly use, kept inline: nothing, a constant, one variable, or a
/// constant followed by one variable (`GID_x@@@${level.2}`). Any other template is `.general` and renders
/// through `Template.render`. Rendering a plan gives exactly what rendering its template gives.
struct TemplatePlan: Sendable {
    enum Shape: UInt8, Sendable {
        /// No template (an optional template that is nil).
        case absent
        case constant, variable, prefixed, general
    }

    /// A variable other than `${userProperty.NAME}` (those make a template `.general`).
    enum Variable: UInt8, Sendable {
        case topic, parent, subTopic, clientId, groupId, qos, level
    }

    var shape: Shape
    var variable: Variable = .topic
    /// The level number of `.level`.
    var level: Int32 = 0
    /// The constant, or the text before the variable.
    var literal: String = ""

    static let absent = TemplatePlan(shape: .absent)

    init(shape: Shape) {
        self.shape = shape
    }

    init(_ template: Template?) {
        guard let template else {
            shape = .absent
            return
        }
        shape = .general
        switch template.segments.count {
        case 0:
            shape = .constant
        case 1:
            switch template.segments[0] {
            case .literal(let text):
                shape = .constant
                literal = text
            case .variable(let variable):
                if set(variable) { shape = .variable }
            }
        case 2:
            if case .literal(let text) = template.segments[0], case .variable(let variable) = template.segments[1], set(variable) {
                shape = .prefixed
                literal = text
            }
        default:
            break
        }
    }

    private mutating func set(_ variable: Template.Variable) -> Bool {
        switch variable {
        case .topic: self.variable = .topic
        case .parent: self.variable = .parent
        case .subTopic: self.variable = .subTopic
        case .clientId: self.variable = .clientId
        case .groupId: self.variable = .groupId
        case .qos: self.variable = .qos
        case .level(let number):
            guard let number = Int32(exactly: number) else { return false }
            self.variable = .level
            level = number
        case .userProperty:
            return false
        }
        return true
    }

    /// Whether the plan renders from the topic, client ID and QoS alone (every shape but `.general`).
    var isInline: Bool { shape != .general }

    /// Renders a plan that ``isInline`` from the message's topic, client ID and QoS, without gathering them
    /// into a `TemplateValues` first. An absent plan renders as nil.
    @inline(__always)
    func renderInline(topic: borrowing Topic, clientId: String?, qos: QoS) -> String? {
        switch shape {
        case .absent: return nil
        case .constant: return literal
        case .variable: return Self.value(of: variable, level: level, topic: topic, clientId: clientId, qos: qos)
        case .prefixed:
            if variable == .level, let joined = topic.joining(literal, level: Int(level)) { return joined }
            return literal + Self.value(of: variable, level: level, topic: topic, clientId: clientId, qos: qos)
        case .general: preconditionFailure("a general template renders through Template.render")
        }
    }

    /// What ``TemplateValues/value(of:)`` gives for `variable`.
    @inline(__always)
    private static func value(of variable: Variable, level: Int32, topic: borrowing Topic, clientId: String?, qos: QoS) -> String {
        switch variable {
        case .topic: topic.name
        case .parent: String(topic.parent)
        case .subTopic: String(topic.subTopic)
        case .level: topic.levelString(Int(level)) ?? ""
        case .clientId: clientId ?? ""
        case .groupId: clientId.flatMap(ClientID.groupId(of:)) ?? ""
        case .qos: qos.text
        }
    }
}
