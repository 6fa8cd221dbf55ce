/// A string with `${…}` variables, compiled once from a mapping file and rendered per message.
///
/// Variables: `${topic}` `${parent}` `${subTopic}` `${level.N}` (1-based) `${clientId}` `${groupId}`
/// `${qos}` `${userProperty.NAME}`. `$$` stands for a literal `$`. A variable with no value for a message
/// (no client ID, a level past the end, an absent user property) renders as the empty string.
public struct Template: Sendable, Equatable, CustomStringConvertible {
    public enum Variable: Sendable, Hashable {
        case topic, parent, subTopic, clientId, groupId, qos
        case level(Int)
        case userProperty(String)
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case variable(Variable)
    }

    public let text: String
    let segments: [Segment]
    /// UTF-8 bytes of the literal segments, to size a rendering at once.
    let literalBytes: Int

    /// Compiles `text`; the error carries the character offset of the problem within `text`.
    public init(_ text: String) throws(TemplateError) {
        var segments: [Segment] = []
        var literal = ""
        var index = text.startIndex
        var offset = 0
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "$", next < text.endIndex, text[next] == "$" {
                literal.append("$")
                index = text.index(after: next)
                offset += 2
                continue
            }
            guard character == "$", next < text.endIndex, text[next] == "{" else {
                literal.append(character)
                index = next
                offset += 1
                continue
            }
            let nameStart = text.index(after: next)
            guard let close = text[nameStart...].firstIndex(of: "}") else {
                throw TemplateError(offset: offset, message: "'${' has no closing '}'")
            }
            let name = text[nameStart..<close]
            guard let variable = Template.variable(named: name) else {
                throw TemplateError(offset: offset, message: Template.unknownVariableMessage(name))
            }
            if !literal.isEmpty {
                segments.append(.literal(literal))
                literal = ""
            }
            segments.append(.variable(variable))
            offset += text.distance(from: index, to: close) + 1
            index = text.index(after: close)
        }
        if !literal.isEmpty {
            segments.append(.literal(literal))
        }
        self.text = text
        self.segments = segments
        self.literalBytes = segments.reduce(0) { total, segment in
            if case .literal(let literal) = segment { return total + literal.utf8.count }
            return total
        }
    }

    /// The variables this template uses.
    public var variables: [Variable] {
        segments.compactMap { segment in
            if case .variable(let variable) = segment { return variable }
            return nil
        }
    }

    /// Renders the template with the values of one message.
    public func render(_ values: TemplateValues) -> String {
        if segments.count == 1 {
            switch segments[0] {
            case .literal(let constant): return constant
            case .variable(let variable): return values.value(of: variable)
            }
        }
        var result = ""
        result.reserveCapacity(literalBytes + 32)
        for segment in segments {
            switch segment {
            case .literal(let text): result += text
            case .variable(let variable): result += values.value(of: variable)
            }
        }
        return result
    }

    public var description: String { text }

    static func variable(named name: Substring) -> Variable? {
        switch name {
        case "topic": return .topic
        case "parent": return .parent
        case "subTopic": return .subTopic
        case "clientId": return .clientId
        case "groupId": return .groupId
        case "qos": return .qos
        default: break
        }
        if name.hasPrefix("level.") {
            let digits = name.dropFirst("level.".count)
            guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), let number = Int(digits), number >= 1 else {
                return nil
            }
            return .level(number)
        }
        if name.hasPrefix("userProperty.") {
            let property = name.dropFirst("userProperty.".count)
            return property.isEmpty ? nil : .userProperty(String(property))
        }
        return nil
    }

    static func unknownVariableMessage(_ name: Substring) -> String {
        if name.hasPrefix("level.") {
            return "'${\(name)}': a level number is a whole number from 1, as in '${level.2}'"
        }
        if name == "userProperty." {
            return "'${userProperty.}' needs a property name, as in '${userProperty.unit}'"
        }
        return "unknown template variable '${\(name)}'; known: ${topic} ${parent} ${subTopic} "
            + "${level.N} ${clientId} ${groupId} ${qos} ${userProperty.NAME}"
    }
}

/// A template that cannot be compiled; `offset` counts characters from the start of the template.
public struct TemplateError: Error, Sendable, Equatable {
    public let offset: Int
    public let message: String
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
