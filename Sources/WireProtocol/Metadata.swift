import BridgeCore

/// Typed reads of a metadata object; every missing or mistyped member is a `malformed_message` error
/// that names the member.
struct Metadata {
    let value: JSONValue
    let kind: WireMessage.Kind

    private func malformed(_ detail: String) -> WireErrorReport {
        WireErrorReport(code: kind == .hello ? WireErrorCode.badHello : WireErrorCode.malformedMessage,
                        message: "\(kind.rawValue): \(detail)")
    }

    func requiredString(_ name: String) throws(WireErrorReport) -> String {
        guard let member = value[name] else { throw malformed("member '\(name)' is missing") }
        guard let text = member.stringValue else { throw malformed("member '\(name)' must be a string") }
        return text
    }

    func optionalString(_ name: String) throws(WireErrorReport) -> String? {
        guard let member = value[name], member != .null else { return nil }
        guard let text = member.stringValue else { throw malformed("member '\(name)' must be a string") }
        return text
    }

    func optionalInteger(_ name: String, in range: ClosedRange<Int64>) throws(WireErrorReport) -> Int64? {
        guard let member = value[name], member != .null else { return nil }
        guard let number = member.numberValue, number.rounded() == number, number >= Double(range.lowerBound),
            number <= Double(range.upperBound)
        else { throw malformed("member '\(name)' must be a whole number from \(range.lowerBound) to \(range.upperBound)") }
        return Int64(number)
    }

    func seq() throws(WireErrorReport) -> UInt64 {
        guard let seq = try optionalSeq() else { throw malformed("member 'seq' is missing") }
        return seq
    }

    func optionalSeq() throws(WireErrorReport) -> UInt64? {
        try optionalInteger("seq", in: 0...(1 << 53)).map { UInt64($0) }
    }

    func optionalBool(_ name: String) throws(WireErrorReport) -> Bool? {
        guard let member = value[name], member != .null else { return nil }
        guard case .bool(let flag) = member else { throw malformed("member '\(name)' must be true or false") }
        return flag
    }

    /// An `ACK`: `seq` (the single form, with an optional `msgId`) or `seqs` (the batched form, a non-empty
    /// list); with both, every seq named is settled, `seqs` first.
    func ack() throws(WireErrorReport) -> WireMessage {
        guard let member = value["seqs"], member != .null else {
            return .ack(seq: try seq(), msgId: try optionalString("msgId"))
        }
        let bad = "member 'seqs' must be a non-empty list of whole numbers from 0 to \(Int64(1) << 53)"
        guard case .array(let elements) = member, !elements.isEmpty else { throw malformed(bad) }
        var seqs: [UInt64] = []
        seqs.reserveCapacity(elements.count + 1)
        for element in elements {
            guard let number = element.numberValue, number.rounded() == number, number >= 0, number <= Double(Int64(1) << 53)
            else { throw malformed(bad) }
            seqs.append(UInt64(number))
        }
        if let single = try optionalSeq() { seqs.append(single) }
        return .acks(seqs: seqs)
    }

    /// `window`: 1...100000 in `HELLO`; a `CREDIT` may also say 0 (`allowingZero`): take nothing for now.
    func window(required: Bool, allowingZero: Bool = false) throws(WireErrorReport) -> Int {
        guard let window = try optionalInteger("window", in: (allowingZero ? 0 : 1)...Int64(Hello.maxWindow)) else {
            if required { throw malformed("member 'window' is missing") }
            return Hello.defaultWindow
        }
        return Int(window)
    }

    func stringList(_ name: String) throws(WireErrorReport) -> [String]? {
        guard let member = value[name], member != .null else { return nil }
        guard case .array(let elements) = member else { throw malformed("member '\(name)' must be a list of strings") }
        var result: [String] = []
        for element in elements {
            guard let text = element.stringValue else { throw malformed("member '\(name)' must be a list of strings") }
            result.append(text)
        }
        return result
    }

    func hello() throws(WireErrorReport) -> Hello {
        let roleText = try requiredString("role")
        guard let role = Hello.Role(rawValue: roleText) else {
            throw malformed("role '\(roleText)' is not one of consumer, producer, mqtt-worker, engine-worker")
        }
        let hello = Hello(
            role: role, name: try optionalString("name") ?? "", topic: try optionalString("topic"),
            tags: try optionalString("tags"), group: try optionalString("group"), window: try window(required: false),
            batchAck: try optionalBool("batchAck") ?? false, journal: try optionalString("journal"), batchBytes: try batchBytes())
        if let journal = hello.journal, !Self.isJournalID(journal) {
            throw malformed("member 'journal' must be 16 lowercase hex characters")
        }
        if role == .consumer, hello.topic?.isEmpty ?? true {
            throw malformed("a consumer must name a queue 'topic'")
        }
        return hello
    }

    static func isJournalID(_ text: String) -> Bool {
        text.utf8.count == 16 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    func welcome() throws(WireErrorReport) -> Welcome {
        Welcome(
            session: try requiredString("session"),
            heartbeatMs: Int(try optionalInteger("heartbeatMs", in: 1...3_600_000) ?? 1_000),
            subscriptions: try stringList("subscriptions"),
            parents: try stringList("parents"),
            statusSubscriptions: try stringList("statusSubscriptions"),
            batchAck: try optionalBool("batchAck") ?? false, batchBytes: try batchBytes())
    }

    /// `batchBytes` in `HELLO` or `WELCOME`: the largest `BATCH` records frame the sender reads; 0 or absent: none.
    func batchBytes() throws(WireErrorReport) -> Int? {
        guard let bytes = try optionalInteger("batchBytes", in: 0...Int64(BatchWriter.maxBatchBytes)), bytes > 0 else { return nil }
        return Int(bytes)
    }

    func queueData(body: [UInt8]) throws(WireErrorReport) -> WireMessage {
        let seq = try seq()
        var properties: [String: String] = [:]
        if let member = value["properties"], member != .null {
            guard case .object(let members) = member else { throw malformed("member 'properties' must be an object of strings") }
            for (name, propertyValue) in members {
                guard let text = propertyValue.stringValue else {
                    throw malformed("property '\(name)' must be a string")
                }
                properties[name] = text
            }
        }
        let message = QueueMessage(
            topic: try requiredString("topic"), tag: try optionalString("tag"), keys: try stringList("keys") ?? [],
            properties: properties, body: body, msgId: try optionalString("msgId"),
            bornTimestamp: try optionalInteger("bornTimestamp", in: 0...(1 << 53)))
        return .queueData(seq: seq, message)
    }

    func mqttData(body: [UInt8]) throws(WireErrorReport) -> WireMessage {
        let seq = try seq()
        let qosNumber = try optionalInteger("qos", in: 0...2) ?? 0
        var userProperties: [UserProperty] = []
        if let member = value["userProperties"], member != .null {
            guard case .array(let elements) = member else { throw malformed("member 'userProperties' must be a list") }
            for element in elements {
                guard let key = element["key"]?.stringValue, let propertyValue = element["value"]?.stringValue else {
                    throw malformed("each user property must be {\"key\":string,\"value\":string}")
                }
                userProperties.append(UserProperty(key: key, value: propertyValue))
            }
        }
        var retain = false
        if let member = value["retain"], member != .null {
            guard case .bool(let flag) = member else { throw malformed("member 'retain' must be true or false") }
            retain = flag
        }
        let message = MQTTMessage(
            topic: try requiredString("topic"), payload: body, qos: QoS(rawValue: UInt8(qosNumber))!, retain: retain,
            userProperties: userProperties, contentType: try optionalString("contentType"),
            messageExpiryInterval: try optionalInteger("expiry", in: 0...Int64(UInt32.max)).map { UInt32($0) })
        return .mqttData(seq: seq, message, clientId: try optionalString("clientId"))
    }
}
