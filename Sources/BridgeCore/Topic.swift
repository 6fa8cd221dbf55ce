/// An MQTT topic name that has been checked for publishing, split into levels.
///
/// The parent topic is the first level; the sub-topic is the rest with its leading `/`
/// (empty when the topic has one level).
public struct Topic: Sendable, Equatable {
    /// Longest topic MQTT can carry, in UTF-8 bytes.
    public static let maxBytes = 65_535

    public let name: String
    /// The levels, in order; a topic `a//b` has an empty second level.
    public let levels: [Substring]

    /// Checks the rules of MQTT topic names that are published to: 1...65535 UTF-8 bytes, no NUL, no `+` or `#`.
    public init(_ name: String) throws(TopicError) {
        if let problem = Topic.problem(inName: name) {
            throw problem
        }
        self.name = name
        self.levels = name.split(separator: "/", omittingEmptySubsequences: false)
    }

    /// The first level.
    public var parent: Substring { levels[0] }

    /// The rest of the topic after the parent, with its leading `/`; empty when there is no rest.
    public var subTopic: Substring {
        let start = name.index(name.startIndex, offsetBy: levels[0].count)
        return name[start...]
    }

    /// The N-th level, 1-based, or nil past the last level.
    public func level(_ number: Int) -> Substring? {
        number >= 1 && number <= levels.count ? levels[number - 1] : nil
    }

    /// Why `name` cannot be published to, or nil when it can.
    public static func problem(inName name: String) -> TopicError? {
        let bytes = name.utf8.count
        if bytes == 0 { return .empty }
        if bytes > maxBytes { return .tooLong(bytes) }
        for byte in name.utf8 {
            switch byte {
            case 0: return .containsNUL
            case UInt8(ascii: "+"), UInt8(ascii: "#"): return .containsWildcard
            default: continue
            }
        }
        return nil
    }
}

/// Why a topic name or filter is invalid.
public enum TopicError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case tooLong(Int)
    case containsNUL
    case containsWildcard
    case misplacedWildcard
    case wildcardParent
    case emptyParent
    case sharedSubscription

    public var description: String {
        switch self {
        case .empty: "topic is empty"
        case .tooLong(let bytes): "topic is \(bytes) bytes long; MQTT allows at most \(Topic.maxBytes)"
        case .containsNUL: "topic contains a NUL character"
        case .containsWildcard: "a topic that is published to cannot contain '+' or '#'"
        case .misplacedWildcard:
            "'+' must stand alone in its level and '#' alone in the last level"
        case .wildcardParent: "the first level (the parent topic) cannot be a wildcard"
        case .emptyParent: "the first level (the parent topic) cannot be empty"
        case .sharedSubscription: "use mqtt.sharedGroup instead of a '$share/' prefix in a rule"
        }
    }
}
