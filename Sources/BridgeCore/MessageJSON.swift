/// The one-line JSON forms printed by `translate` and `consume`.
public enum MessageJSON {
    /// `{"topic","tag"?,"keys","properties","body"|"bodyBase64"}` plus `msgId` and `bornTimestamp` when set.
    public static func render(_ message: QueueMessage) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.queueMessageHeader(message, sortProperties: true)
        writeBytes(message.body, textKey: "body", binaryKey: "bodyBase64", into: &writer)
        writer.queueMessageIdentity(message)
        writer.endObject()
        return writer.text
    }

    /// `{"topic","qos","retain","userProperties":[{"key","value"}],"payload"|"payloadBase64"}`, plus
    /// `contentType` and `messageExpiryInterval` when the message has them.
    public static func render(_ message: MQTTMessage) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("topic", message.topic)
        writer.key("qos")
        writer.number(Int64(message.qos.rawValue))
        writer.key("retain")
        writer.bool(message.retain)
        writer.key("userProperties")
        writer.userProperties(message.userProperties)
        writeBytes(message.payload, textKey: "payload", binaryKey: "payloadBase64", into: &writer)
        if let contentType = message.contentType { writer.field("contentType", contentType) }
        if let expiry = message.messageExpiryInterval {
            writer.key("messageExpiryInterval")
            writer.number(Int64(expiry))
        }
        writer.endObject()
        return writer.text
    }

    /// Text when the bytes are valid UTF-8, base64 under the other key when they are not.
    private static func writeBytes(_ bytes: [UInt8], textKey: String, binaryKey: String, into writer: inout JSONWriter) {
        if let text = String(validating: bytes, as: UTF8.self) {
            writer.field(textKey, text)
        } else {
            writer.field(binaryKey, Base64.encode(bytes))
        }
    }
}
