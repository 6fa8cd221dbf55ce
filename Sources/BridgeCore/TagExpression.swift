/// A consumer-side tag filter: `*` (every message, tagged or not) or tags joined by `||`, as in `connect||tcpclean`.
public struct TagExpression: Sendable, Equatable, CustomStringConvertible {
    /// Accepts every message.
    public static let all = TagExpression(tags: nil)

    /// nil for `*`.
    public let tags: Set<String>?

    private init(tags: Set<String>?) {
        self.tags = tags
    }

    /// Parses an expression; spaces around each tag are ignored.
    public init(_ text: String) throws(TagExpressionError) {
        let trimmed = text.trimmingSpaces
        if trimmed.isEmpty {
            throw TagExpressionError(message: "tag expression is empty; use '*' for every tag")
        }
        if trimmed == "*" {
            self.tags = nil
            return
        }
        var tags = Set<String>()
        for part in trimmed.split(separator: "||", omittingEmptySubsequences: false) {
            let tag = part.trimmingSpaces
            if tag.isEmpty {
                throw TagExpressionError(message: "tag expression '\(text)' has an empty tag between '||'")
            }
            if tag == "*" {
                throw TagExpressionError(message: "'*' must stand alone in a tag expression")
            }
            if tag.contains("|") {
                throw TagExpressionError(message: "tag expression '\(text)': separate tags with '||', not '|'")
            }
            tags.insert(tag)
        }
        self.tags = tags
    }

    /// Whether a message with `tag` passes. An untagged message passes only `*`.
    public func accepts(_ tag: String?) -> Bool {
        guard let tags else { return true }
        guard let tag else { return false }
        return tags.contains(tag)
    }

    /// Whether some message could pass both expressions.
    public func overlaps(_ other: TagExpression) -> Bool {
        guard let tags, let otherTags = other.tags else { return true }
        return !tags.isDisjoint(with: otherTags)
    }

    public var description: String {
        guard let tags else { return "*" }
        return tags.sorted().joined(separator: "||")
    }
}

public struct TagExpressionError: Error, Sendable, Equatable {
    public let message: String
}

extension StringProtocol {
    var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
