/// Random identifiers for the hub's session and message ids and for private endpoints.
enum RandomHex {
    /// 16 random lowercase hex characters.
    static func sixteen() -> String {
        let value = UInt64.random(in: 0...UInt64.max)
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
