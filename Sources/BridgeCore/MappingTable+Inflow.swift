#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An MQTT publish produced from a queue-side message, with the rule that took it.
public struct RoutedMQTTMessage: Sendable, Equatable {
    public var ruleId: String
    public var message: MQTTMessage
    /// The target client when the message is point-to-point (`<parent>/p2p/<clientId>`).
    public var p2pClientId: String?

    public init(ruleId: String, message: MQTTMessage, p2pClientId: String? = nil) {
        self.ruleId = ruleId
        self.message = message
        self.p2pClientId = p2pClientId
    }
}

extension MappingTable {
    /// The sub-topic prefix of point-to-point messages.
    public static let p2pPrefix = "/p2p/"

    /// Translates a queue-side message into the MQTT publish of the inflow rule that takes it.
    ///
    /// Every problem is an error for the producer, never a silent drop or a coerced value: no rule for the
    /// queue topic or tag, a body over the limit, a bad sub-topic, real topic, QoS, retain flag,
    /// user-property JSON or expiry interval.
    public func inflow(_ message: QueueMessage) throws(TranslationError) -> RoutedMQTTMessage {
        guard let candidates = inflowIndex.candidates(forQueueTopic: message.topic) else {
            throw TranslationError(.noInflowRule, "no inflow rule takes queue topic '\(message.topic)'")
        }
        guard let rule = inflowIndex.first(inRunAt: candidates, accepting: message.tag) else {
            let tag = message.tag.map { "tag '\($0)'" } ?? "an untagged message"
            throw TranslationError(.tagNotAccepted, "no inflow rule for queue topic '\(message.topic)' accepts \(tag)")
        }
        if message.body.count > limits.maxBodyBytes {
            throw TranslationError(
                .bodyTooLarge,
                "body of \(message.body.count) bytes exceeds limits.maxBodyBytes (\(limits.maxBodyBytes))"
            )
        }
        // One pass over the properties (a message carries a few) instead of a lookup for every known name.
        var known = InflowProperties()
        for (name, value) in message.properties {
            known.take(name, value)
        }
        var subTopic = known.secondTopic ?? ""
        if let problem = Self.subTopicProblem(subTopic) {
            throw TranslationError(.invalidSubTopic, "\(PropertyName.mqttSecondTopic) '\(subTopic)' \(problem)")
        }
        var p2pClientId: String?
        if Self.startsWithP2PPrefix(subTopic) {
            let target = subTopic.dropFirst(Self.p2pPrefix.count)
            if target.isEmpty {
                throw TranslationError(.invalidSubTopic, "\(PropertyName.mqttSecondTopic) '\(subTopic)' names no P2P client ID")
            }
            p2pClientId = String(target)
        }

        var userProperties: [UserProperty] = []
        if let json = known.userProperties {
            if json.utf8.count > limits.maxUserPropertyBytes {
                throw TranslationError(
                    .userPropertiesTooLarge,
                    "\(PropertyName.mqtt5UserProperty) is \(json.utf8.count) bytes; at most \(limits.maxUserPropertyBytes) are allowed"
                )
            }
            userProperties = try UserPropertyCoding.decode(json)
        }
        if let realTopic = known.realTopic {
            if let problem = Self.subTopicProblem(realTopic) {
                throw TranslationError(.invalidRealTopic, "\(PropertyName.mqttRealTopic) '\(realTopic)' \(problem)")
            }
            if p2pClientId == nil {
                subTopic = realTopic
            } else {
                userProperties.append(UserProperty(key: PropertyName.mqttRealTopic, value: realTopic))
            }
        }
        if p2pClientId != nil, let cleanSession = known.cleanSession {
            userProperties.append(UserProperty(key: PropertyName.cleanSessionFlag, value: cleanSession))
        }

        let qos: QoS
        if let text = known.qosLevel {
            guard let parsed = QoS(text: text) else {
                throw TranslationError(.invalidQoS, "\(PropertyName.qosLevel) '\(text)' must be 0, 1 or 2")
            }
            qos = parsed
        } else {
            qos = rule.qos ?? .atLeastOnce
        }
        let retain: Bool
        switch known.retain {
        case nil, "false": retain = false
        case "true": retain = true
        case let other?:
            throw TranslationError(.invalidRetain, "\(PropertyName.mqttRetain) '\(other)' must be 'true' or 'false'")
        }
        var expiry: UInt32?
        if let text = known.expiry {
            guard let seconds = UInt32(text) else {
                throw TranslationError(
                    .invalidExpiryInterval,
                    "\(PropertyName.mqtt5MsgExpireInterval) '\(text)' must be a whole number of seconds (0...4294967295)"
                )
            }
            expiry = seconds
        }

        let topicName = Self.joined(rule.mqttParent, subTopic)
        // The sub-topic has been checked; a clean parent leaves only the length to check.
        let problem = rule.parentIsClean ? Topic.lengthProblem(topicName.utf8.count) : Topic.problem(inName: topicName)
        if let problem {
            throw TranslationError(.invalidTopic, "MQTT topic '\(topicName)': \(problem)")
        }
        let publish = MQTTMessage(
            topic: topicName,
            payload: message.body,
            qos: qos,
            retain: retain,
            userProperties: userProperties,
            contentType: known.contentType,
            messageExpiryInterval: expiry
        )
        return RoutedMQTTMessage(ruleId: rule.id, message: publish, p2pClientId: p2pClientId)
    }

    /// Why a sub-topic cannot be appended to a parent topic, or nil. The empty sub-topic is the parent itself.
    static func subTopicProblem(_ subTopic: String) -> String? {
        if subTopic.isEmpty { return nil }
        let scan = subTopic.utf8.withContiguousStorageIfAvailable { bytes -> (problem: String?, isASCII: Bool) in
            var isASCII = true
            for byte in bytes {
                switch byte {
                case 0: return ("contains a NUL character", isASCII)
                case UInt8(ascii: "+"), UInt8(ascii: "#"): return ("cannot contain '+' or '#'", isASCII)
                case 0x80...: isASCII = false
                default: continue
                }
            }
            return (nil, isASCII)
        }
        // `hasPrefix` compares characters; in ASCII text the first character is the first byte.
        let startsWithSlash = scan?.isASCII == true ? subTopic.utf8.first == UInt8(ascii: "/") : subTopic.hasPrefix("/")
        if !startsWithSlash { return "must start with '/'" }
        if let scan { return scan.problem }
        for byte in subTopic.utf8 {
            switch byte {
            case 0: return "contains a NUL character"
            case UInt8(ascii: "+"), UInt8(ascii: "#"): return "cannot contain '+' or '#'"
            default: continue
            }
        }
        return nil
    }

    /// `subTopic.hasPrefix(p2pPrefix)`, compared as bytes when the sub-topic is ASCII: an ASCII character is
    /// one byte, and the only ASCII pair that forms one character (CR LF) cannot straddle `/p2p/`'s end.
    static func startsWithP2PPrefix(_ subTopic: String) -> Bool {
        let byBytes = p2pPrefix.utf8.withContiguousStorageIfAvailable { prefix in
            subTopic.utf8.withContiguousStorageIfAvailable { bytes -> Bool? in
                for byte in bytes where byte >= 0x80 { return nil }
                return bytes.count >= prefix.count && memcmp(bytes.baseAddress!, prefix.baseAddress!, prefix.count) == 0
            }
        }
        if case .some(.some(.some(let answer))) = byBytes { return answer }
        return subTopic.hasPrefix(p2pPrefix)
    }

    /// `parent + subTopic`, made in one allocation.
    static func joined(_ parent: String, _ subTopic: String) -> String {
        var parent = parent
        var subTopic = subTopic
        return parent.withUTF8 { parent in
            subTopic.withUTF8 { subTopic in
                String(unsafeUninitializedCapacity: parent.count + subTopic.count) { buffer in
                    let target = UnsafeMutableRawBufferPointer(buffer)
                    target.copyMemory(from: UnsafeRawBufferPointer(parent))
                    UnsafeMutableRawBufferPointer(rebasing: target[parent.count...]).copyMemory(from: UnsafeRawBufferPointer(subTopic))
                    return parent.count + subTopic.count
                }
            }
        }
    }
}

/// The properties inflow reads, picked out of a message's properties in one pass.
private struct InflowProperties {
    var secondTopic: String?
    var userProperties: String?
    var realTopic: String?
    var cleanSession: String?
    var qosLevel: String?
    var retain: String?
    var expiry: String?
    var contentType: String?

    mutating func take(_ name: String, _ value: String) {
        switch name {
        case PropertyName.mqttSecondTopic: secondTopic = value
        case PropertyName.qosLevel: qosLevel = value
        case PropertyName.mqtt5UserProperty: userProperties = value
        case PropertyName.mqttRealTopic: realTopic = value
        case PropertyName.cleanSessionFlag: cleanSession = value
        case PropertyName.mqttRetain: retain = value
        case PropertyName.mqtt5MsgExpireInterval: expiry = value
        case PropertyName.mqtt5ContentType: contentType = value
        default: break
        }
    }
}
