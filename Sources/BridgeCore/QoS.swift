/// MQTT quality of service of a publish.
public enum QoS: UInt8, Sendable, Hashable, Comparable, CaseIterable {
    case atMostOnce = 0
    case atLeastOnce = 1
    case exactlyOnce = 2

    /// Parses the `qoslevel` wire spelling: exactly `0`, `1` or `2`.
    public init?(text: some StringProtocol) {
        switch text {
        case "0": self = .atMostOnce
        case "1": self = .atLeastOnce
        case "2": self = .exactlyOnce
        default: return nil
        }
    }

    /// `0`, `1` or `2`, as carried in `qoslevel` and rendered by `${qos}`.
    public var text: String {
        switch self {
        case .atMostOnce: "0"
        case .atLeastOnce: "1"
        case .exactlyOnce: "2"
        }
    }

    public static func < (lhs: QoS, rhs: QoS) -> Bool { lhs.rawValue < rhs.rawValue }
}
