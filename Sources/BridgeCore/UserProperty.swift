/// One MQTT 5 user property. A message keeps them in order, duplicates included.
public struct UserProperty: Sendable, Hashable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

extension Array where Element == UserProperty {
    /// The value of the first property named `key`, as MQTT 5 leaves the choice among duplicates to the reader.
    public func first(named key: String) -> String? {
        first(where: { $0.key == key })?.value
    }
}
