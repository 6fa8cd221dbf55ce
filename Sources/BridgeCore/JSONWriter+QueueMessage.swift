extension JSONWriter {
    /// A queue-side message's header fields, as `translate`, `consume` and the wire protocol's `DATA` write
    /// them: `topic`, `tag` when set, `keys` and `properties` (in name order when `sortProperties`, which the
    /// printed forms want and the wire does not need).
    public mutating func queueMessageHeader(_ message: QueueMessage, sortProperties: Bool) {
        field("topic", message.topic)
        if let tag = message.tag { field("tag", tag) }
        key("keys")
        beginArray()
        for key in message.keys { string(key) }
        endArray()
        key("properties")
        beginObject()
        if sortProperties {
            for name in message.properties.keys.sorted() { field(name, message.properties[name]!) }
        } else {
            for (name, value) in message.properties { field(name, value) }
        }
        endObject()
    }

    /// `msgId` and `bornTimestamp`, each when the message has it.
    public mutating func queueMessageIdentity(_ message: QueueMessage) {
        if let msgId = message.msgId { field("msgId", msgId) }
        if let born = message.bornTimestamp {
            key("bornTimestamp")
            number(born)
        }
    }
}
