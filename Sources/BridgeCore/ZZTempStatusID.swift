public enum StatusMessageID {
    public static func make(clientId: String, channelId: String, eventType: String) -> String {
        var a: UInt64 = 0xcbf29ce484222325, b: UInt64 = 0x84222325cbf29ce4
        for byte in Array(clientId.utf8) + [0] + Array(channelId.utf8) + [0] + Array(eventType.utf8) {
            a = (a ^ UInt64(byte)) &* 0x100000001b3; b = (b ^ UInt64(byte)) &* 0x100000001b3 &+ 7
        }
        return String(a, radix: 16).leftPad + String(b, radix: 16).leftPad
    }
}
extension String { var leftPad: String { String(repeating: "0", count: 16 - count) + self } }
