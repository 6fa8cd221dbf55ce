/// An MQTT topic filter whose first level names a parent topic, as outflow rules use them.
public struct TopicFilter: Sendable, Equatable, CustomStringConvertible {
    /// One level of a filter.
    public enum Level: Sendable, Equatable {
        case literal(Substring)
        /// `+`: exactly one level, which may be empty.
        case singleLevel
        /// `#`: the parent level itself and any number of levels below it.
        case multiLevel
    }

    public let text: String
    public let levels: [Level]

    /// Parses and checks a filter: wildcards alone in their level, `#` last, and a literal, non-empty first level.
    public init(_ text: String) throws(TopicError) {
        if text.isEmpty { throw .empty }
        if text.utf8.count > Topic.maxBytes { throw .tooLong(text.utf8.count) }
        if text.utf8.contains(0) { throw .containsNUL }
        if text.hasPrefix("$share/") { throw .sharedSubscription }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        var levels: [Level] = []
        levels.reserveCapacity(parts.count)
        for (index, part) in parts.enumerated() {
            if part == "+" {
                levels.append(.singleLevel)
            } else if part == "#" {
                guard index == parts.count - 1 else { throw .misplacedWildcard }
                levels.append(.multiLevel)
            } else if part.contains("+") || part.contains("#") {
                throw .misplacedWildcard
            } else {
                levels.append(.literal(part))
            }
        }
        guard case .literal(let parent) = levels[0] else { throw .wildcardParent }
        if parent.isEmpty { throw .emptyParent }
        self.text = text
        self.levels = levels
    }

    /// The first level, which every matching topic shares.
    public var parent: Substring {
        guard case .literal(let parent) = levels[0] else { preconditionFailure("checked in init") }
        return parent
    }

    /// Whether `topic` matches this filter. Used for single checks; many filters go through `TopicFilterIndex`.
    public func matches(_ topic: Topic) -> Bool {
        let names = topic.levels
        for (index, level) in levels.enumerated() {
            switch level {
            case .multiLevel:
                return true
            case .singleLevel:
                if index >= names.count { return false }
            case .literal(let literal):
                if index >= names.count || names[index] != literal { return false }
            }
        }
        return names.count == levels.count
    }

    public var description: String { text }
}
