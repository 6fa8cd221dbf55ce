import BridgeCore

/// Encodes and decodes protocol messages to and from ZeroMQ frames.
public enum WireCodec {
    /// Frame 0 of every message: protocol mqbridge, version 1.
    public static let protocolTag: [UInt8] = Array("MQB1".utf8)

    /// Which form a `DATA` takes on a link: queue-side messages or MQTT messages.
    public enum DataForm: Sendable {
        case queue
        case mqtt
    }

    /// The frames of `message`.
    public static func encode(_ message: WireMessage) -> [[UInt8]] {
        var writer = JSONWriter()
        writer.beginObject()
        var body: [UInt8]?
        switch message {
        case .hello(let hello): writeHello(hello, &writer)
        case .welcome(let welcome): writeWelcome(welcome, &writer)
        case .queueData(let seq, let queueMessage):
            writeQueueData(seq: seq, queueMessage, &writer)
            body = queueMessage.body
        case .mqttData(let seq, let mqttMessage, let clientId):
            writeMQTTData(seq: seq, mqttMessage, clientId: clientId, &writer)
            body = mqttMessage.payload
        case .ack(let seq, let msgId):
            writeSeq(seq, &writer)
            if let msgId { writer.field("msgId", msgId) }
        case .acks(let seqs):
            writer.key("seqs")
            writer.beginArray()
            for seq in seqs { writer.number(Int64(seq)) }
            writer.endArray()
        case .error(let report):
            if let seq = report.seq { writeSeq(seq, &writer) }
            writer.field("code", report.code)
            writer.field("message", report.message)
        case .credit(let window):
            writer.key("window")
            writer.number(Int64(window))
        case .ping, .pong, .bye:
            break
        }
        writer.endObject()
        var frames: [[UInt8]] = [protocolTag, kindFrames[message.kind]!, writer.bytes]
        if let body { frames.append(body) }
        return frames
    }

    /// Frame 1 of a kind.
    public static func kindFrame(_ kind: WireMessage.Kind) -> [UInt8] { kindFrames[kind]! }

    /// Frame 1 of each kind, and the kind of each frame 1, made once rather than per message.
    private static let kindFrames = Dictionary(uniqueKeysWithValues: WireMessage.Kind.allCases.map { ($0, Array($0.rawValue.utf8)) })
    private static let kindsByFrame = Dictionary(uniqueKeysWithValues: kindFrames.map { ($0.value, $0.key) })

    /// Decodes frames; `form` says how to read a `DATA` on this link. Errors carry the code to answer with.
    ///
    /// The checks run in the protocol document's order: the protocol tag (`unsupported_version`), the kind
    /// (`unknown_kind`), the number of frames and the metadata (`malformed_frame`), then the members. A missing
    /// frame 0 or 1 reads as empty for the first two, so a short message gets the code of the first check it
    /// fails: no frame at all is `unsupported_version`, `MQB1` alone `unknown_kind`.
    public static func decode(_ frames: [[UInt8]], form: DataForm) throws(WireErrorReport) -> WireMessage {
        guard let tag = frames.first, tag == protocolTag else {
            throw WireErrorReport(
                code: WireErrorCode.unsupportedVersion,
                message: frames.isEmpty
                    ? "the message has no frames; frame 0 must be 'MQB1'"
                    : "frame 0 must be 'MQB1', got '\(String(decoding: frames[0].prefix(16), as: UTF8.self))'")
        }
        guard frames.count >= 2 else {
            throw WireErrorReport(code: WireErrorCode.unknownKind, message: "the message has no kind (frame 1)")
        }
        guard let kind = kindsByFrame[frames[1]] else {
            throw WireErrorReport(
                code: WireErrorCode.unknownKind, message: "unknown kind '\(String(decoding: frames[1].prefix(32), as: UTF8.self))'")
        }
        if kind == .batch {
            throw WireErrorReport(code: WireErrorCode.malformedMessage, message: "BATCH carries several messages (read it with decodeAll)")
        }
        let expectedFrames = kind == .data ? 4 : 3
        guard frames.count == expectedFrames else {
            throw WireErrorReport(
                code: WireErrorCode.malformedFrame, message: "\(kind.rawValue) has \(expectedFrames) frames, got \(frames.count)")
        }
        if kind == .data { return try decodeData(metadata: frames[2], body: frames[3], form: form) }
        let meta = Metadata(value: try object(frames[2]), kind: kind)
        switch kind {
        case .hello: return .hello(try meta.hello())
        case .welcome: return .welcome(try meta.welcome())
        case .data, .batch:
            preconditionFailure("handled above")
        case .ack: return try meta.ack()
        case .error:
            return .error(
                WireErrorReport(
                    seq: try meta.optionalSeq(), code: try meta.requiredString("code"),
                    message: try meta.optionalString("message") ?? ""))
        case .credit: return .credit(window: try meta.window(required: true, allowingZero: true))
        case .ping: return .ping
        case .pong: return .pong
        case .bye: return .bye
        }
    }

    /// Frame 2, which must be a JSON object.
    static func object(_ bytes: [UInt8]) throws(WireErrorReport) -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes: bytes)
        } catch {
            throw WireErrorReport(code: WireErrorCode.malformedFrame, message: "metadata is not valid JSON (\(error))")
        }
        guard case .object = value else {
            throw WireErrorReport(code: WireErrorCode.malformedFrame, message: "metadata is not a JSON object")
        }
        return value
    }

    /// One `DATA` from its metadata and body, alone or as a record of a `BATCH`.
    static func decodeData(metadata: [UInt8], body: [UInt8], form: DataForm) throws(WireErrorReport) -> WireMessage {
        // The common shape in one pass; anything else through the JSON tree, which also words the errors.
        if let message = DataMetadataScanner.decode(metadata: metadata, body: body, form: form) { return message }
        return try decodeDataFully(metadata: metadata, body: body, form: form)
    }

    /// `decodeData` without the one-pass reader (its reference in tests).
    static func decodeDataFully(metadata: [UInt8], body: [UInt8], form: DataForm) throws(WireErrorReport) -> WireMessage {
        let meta = Metadata(value: try object(metadata), kind: .data)
        do {
            switch form {
            case .queue: return try meta.queueData(body: body)
            case .mqtt: return try meta.mqttData(body: body)
            }
        } catch {
            // The ERROR settles the DATA when its seq can be read, so the sender knows which message was
            // refused (and a worker gets its window unit back) instead of waiting for it forever.
            var report = error
            report.seq = try? meta.optionalSeq()
            throw report
        }
    }

    /// The kind of a message whose tag and kind word can be read, even when the rest cannot be decoded;
    /// nil otherwise. A receiver uses it not to answer a broken `ERROR` with an `ERROR`.
    public static func kind(of frames: [[UInt8]]) -> WireMessage.Kind? {
        guard frames.count >= 2, frames[0] == protocolTag else { return nil }
        return WireMessage.Kind(rawValue: String(decoding: frames[1], as: UTF8.self))
    }

    // MARK: - Writing

    private static func writeSeq(_ seq: UInt64, _ writer: inout JSONWriter) {
        writer.key("seq")
        writer.number(Int64(seq))
    }

    private static func writeHello(_ hello: Hello, _ writer: inout JSONWriter) {
        writer.field("role", hello.role.rawValue)
        writer.field("name", hello.name)
        if let topic = hello.topic { writer.field("topic", topic) }
        if let tags = hello.tags { writer.field("tags", tags) }
        if let group = hello.group { writer.field("group", group) }
        writer.key("window")
        writer.number(Int64(hello.window))
        if hello.batchAck {
            writer.key("batchAck")
            writer.bool(true)
        }
        if let journal = hello.journal { writer.field("journal", journal) }
        if let batchBytes = hello.batchBytes {
            writer.key("batchBytes")
            writer.number(Int64(batchBytes))
        }
        if hello.paused {
            writer.key("paused")
            writer.bool(true)
        }
    }

    private static func writeWelcome(_ welcome: Welcome, _ writer: inout JSONWriter) {
        writer.field("session", welcome.session)
        writer.key("heartbeatMs")
        writer.number(Int64(welcome.heartbeatMs))
        let lists = [
            ("subscriptions", welcome.subscriptions), ("parents", welcome.parents),
            ("statusSubscriptions", welcome.statusSubscriptions),
        ]
        for (name, list) in lists {
            guard let list else { continue }
            writer.key(name)
            writer.beginArray()
            for item in list { writer.string(item) }
            writer.endArray()
        }
        if welcome.batchAck {
            writer.key("batchAck")
            writer.bool(true)
        }
        if let batchBytes = welcome.batchBytes {
            writer.key("batchBytes")
            writer.number(Int64(batchBytes))
        }
    }

    static func writeQueueData(seq: UInt64, _ message: QueueMessage, _ writer: inout JSONWriter) {
        writeSeq(seq, &writer)
        writer.queueMessageHeader(message, sortProperties: false)
        writer.queueMessageIdentity(message)
    }

    static func writeMQTTData(seq: UInt64, _ message: MQTTMessage, clientId: String?, _ writer: inout JSONWriter) {
        writeSeq(seq, &writer)
        writer.field("topic", message.topic)
        writer.key("qos")
        writer.number(Int64(message.qos.rawValue))
        writer.key("retain")
        writer.bool(message.retain)
        if !message.userProperties.isEmpty {
            writer.key("userProperties")
            writer.userProperties(message.userProperties)
        }
        if let contentType = message.contentType { writer.field("contentType", contentType) }
        if let expiry = message.messageExpiryInterval {
            writer.key("expiry")
            writer.number(Int64(expiry))
        }
        if let clientId { writer.field("clientId", clientId) }
    }
}
