import BridgeCore

/// Reads EMQX `$SYS` client events: the topic gives the kind, the JSON payload everything else.
public enum EMQXEventParser {
    /// `connected` or `disconnected` for `$SYS/brokers/<node>/clients/<clientid>/<kind>`; nil for any other topic.
    public static func kind(ofTopic topic: String) -> EMQXClientEvent.Kind? {
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.count >= 6, levels[0] == "$SYS", levels[1] == "brokers", levels[3] == "clients",
            let last = levels.last
        else { return nil }
        return EMQXClientEvent.Kind(rawValue: String(last))
    }

    /// Parses one event; nil when the topic is not a client connected/disconnected topic.
    /// - Throws: `StatusProblem` `malformed_emqx_event` (not a JSON object) or `missing_emqx_field`
    ///   (no string `clientid`; no integer `connected_at` in a `connected` event; a member of the wrong type).
    public static func parse(topic: String, payload: [UInt8]) throws(StatusProblem) -> EMQXClientEvent? {
        guard let kind = kind(ofTopic: topic) else { return nil }
        return try parse(kind: kind, payload: payload)
    }

    /// Parses a payload whose kind is already known.
    public static func parse(kind: EMQXClientEvent.Kind, payload: [UInt8]) throws(StatusProblem) -> EMQXClientEvent {
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes: payload)
        } catch {
            throw StatusProblem(.malformedEMQXEvent, "EMQX \(kind.rawValue) event is not JSON: \(error)")
        }
        guard case .object = document else {
            throw StatusProblem(.malformedEMQXEvent, "EMQX \(kind.rawValue) event is not a JSON object")
        }
        guard let clientId = document["clientid"]?.stringValue else {
            throw StatusProblem(.missingEMQXField, "EMQX \(kind.rawValue) event without a string 'clientid'")
        }
        var event = EMQXClientEvent(kind: kind, clientId: clientId)
        event.username = try optionalString(document, "username", kind)
        event.ipAddress = try optionalString(document, "ipaddress", kind) ?? ""
        event.connectedAt = try optionalInteger(document, "connected_at", kind)
        event.disconnectedAt = try optionalInteger(document, "disconnected_at", kind)
        event.timestamp = try optionalInteger(document, "ts", kind)
        event.reason = try optionalString(document, "reason", kind)
        event.keepAlive = try optionalInteger(document, "keepalive", kind).flatMap { Int(exactly: $0) }
        event.protocolVersion = try optionalInteger(document, "proto_ver", kind).flatMap { Int(exactly: $0) }
        switch document["clean_start"] {
        case .bool(let value): event.cleanStart = value
        case nil, .null: break
        default: throw StatusProblem(.missingEMQXField, "EMQX \(kind.rawValue) event with a non-boolean 'clean_start'")
        }
        if kind == .connected, event.connectedAt == nil {
            throw StatusProblem(.missingEMQXField, "EMQX connected event without an integer 'connected_at'")
        }
        return event
    }

    private static func optionalString(_ document: JSONValue, _ name: String, _ kind: EMQXClientEvent.Kind)
        throws(StatusProblem) -> String?
    {
        switch document[name] {
        case nil, .null: return nil
        case .string(let value): return value
        default: throw StatusProblem(.missingEMQXField, "EMQX \(kind.rawValue) event with a non-string '\(name)'")
        }
    }

    /// Integers arrive as JSON numbers (doubles); only exact integers within ±2^53 are accepted.
    private static func optionalInteger(_ document: JSONValue, _ name: String, _ kind: EMQXClientEvent.Kind)
        throws(StatusProblem) -> Int64?
    {
        switch document[name] {
        case nil, .null: return nil
        case .number(let value):
            if let integer = JSONInteger.exact(value) { return integer }
        default: break
        }
        throw StatusProblem(.missingEMQXField, "EMQX \(kind.rawValue) event with a non-integer '\(name)'")
    }
}

/// Exact integers from JSON numbers, which `JSONValue` holds as doubles.
enum JSONInteger {
    static let limit: Double = 9_007_199_254_740_992  // 2^53: beyond it doubles skip integers

    static func exact(_ value: Double) -> Int64? {
        guard value.isFinite, value.rounded(.towardZero) == value, abs(value) <= limit else { return nil }
        return Int64(value)
    }
}
