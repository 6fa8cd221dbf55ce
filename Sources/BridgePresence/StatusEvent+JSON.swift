import BridgeCore

extension StatusEvent {
    /// Decodes the JSON body written by `jsonBody` (its inverse), e.g. a line of a persisted presence snapshot.
    /// Member order does not matter; unknown members are ignored.
    /// - Throws: `StatusProblem` of kind `malformed_status_event`.
    public init(json bytes: [UInt8]) throws(StatusProblem) {
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes: bytes)
        } catch {
            throw StatusProblem(.malformedStatusEvent, "status event is not JSON: \(error)")
        }
        guard case .object = document else {
            throw StatusProblem(.malformedStatusEvent, "status event is not a JSON object")
        }
        func string(_ name: String) throws(StatusProblem) -> String {
            guard let value = document[name]?.stringValue else {
                throw StatusProblem(.malformedStatusEvent, "status event without a string '\(name)'")
            }
            return value
        }
        guard let number = document["time"]?.numberValue, let time = JSONInteger.exact(number) else {
            throw StatusProblem(.malformedStatusEvent, "status event without an integer 'time'")
        }
        let typeName = try string("eventType")
        guard let eventType = EventType(rawValue: typeName) else {
            throw StatusProblem(.malformedStatusEvent, "status event with an unknown 'eventType'")
        }
        self.init(
            clientId: try string("clientId"), time: time, eventType: eventType, channelId: try string("channelId"),
            clientIp: try string("clientIp"))
    }

    /// Decodes the JSON body from text.
    public init(json text: String) throws(StatusProblem) {
        try self.init(json: Array(text.utf8))
    }
}
