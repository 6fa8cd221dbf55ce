/// Reads Mosquitto 2.0 log lines (`connection_messages true`, `log_dest topic`) as connection events.
///
/// Log lines carry client IDs verbatim, and a client ID may hold spaces, `:`, `" as "` or `" (p"`. The parser
/// therefore anchors on the fixed parts around the ID: for `New client connected` the ID runs from the first
/// `" as "` after the address to the last `" (p"` that starts a well-formed parameter list; for `Client …`
/// lines the ID runs up to a known ending (the last occurrence for `disconnected due to` and
/// `disconnected: `). Any input is classified; none makes it trap.
public enum MosquittoLogParser {
    /// Parses one payload of `$SYS/broker/log/<level>`.
    /// - Throws: `StatusProblem` (`empty`, `invalid_utf8`, `malformed_connect_line`, `unrecognised_client_line`).
    public static func parse(_ payload: [UInt8]) throws(StatusProblem) -> MosquittoLogLine {
        guard String(validating: payload, as: UTF8.self) != nil else {
            throw StatusProblem(.invalidUTF8, "log payload is not valid UTF-8")
        }
        var end = payload.count
        while end > 0, payload[end - 1] == 0x0A || payload[end - 1] == 0x0D {
            end -= 1
        }
        guard end > 0 else { throw StatusProblem(.empty, "empty log payload") }
        let text = ByteText(bytes: payload)
        let (timestamp, start) = splitTimestamp(text, end: end)
        return MosquittoLogLine(timestamp: timestamp, event: try parseLine(text, start..<end))
    }

    /// Parses a payload given as text.
    public static func parse(_ payload: String) throws(StatusProblem) -> MosquittoLogLine {
        try parse(Array(payload.utf8))
    }

    static let newClient = [UInt8](ascii: "New client connected")
    static let newBridge = [UInt8](ascii: "New bridge connected")
    static let client = [UInt8](ascii: "Client ")
    static let badSocket = [UInt8](ascii: "Bad socket read/write on client ")
    static let socketError = [UInt8](ascii: "Socket error on client ")
    static let markers = [newClient, newBridge, client, badSocket, socketError]
    static let colonSpace = [UInt8](ascii: ": ")

    /// `<epoch>: ` gives a timestamp. Any other prefix ending in `": "` right before a line this parser knows is
    /// a custom `log_timestamp_format` and gives none.
    static func splitTimestamp(_ text: ByteText, end: Int) -> (Int64?, Int) {
        let (digitsEnd, value) = text.digits(at: 0)
        if digitsEnd > 0, digitsEnd + 2 <= end, text.matches(colonSpace, at: digitsEnd) {
            return (value, digitsEnd + 2)
        }
        if startsWithMarker(text, at: 0) { return (nil, 0) }
        var search = 0
        while let colon = text.firstIndex(of: colonSpace, in: search..<end) {
            if startsWithMarker(text, at: colon + 2) { return (nil, colon + 2) }
            search = colon + 1
        }
        return (nil, 0)
    }

    private static func startsWithMarker(_ text: ByteText, at index: Int) -> Bool {
        markers.contains { text.matches($0, at: index) }
    }

    static func parseLine(_ text: ByteText, _ range: Range<Int>) throws(StatusProblem) -> MosquittoLogEvent {
        let start = range.lowerBound
        if text.matches(newClient, at: start) {
            return .connected(try parseConnect(text, start + newClient.count..<range.upperBound, isBridge: false))
        }
        if text.matches(newBridge, at: start) {
            return .connected(try parseConnect(text, start + newBridge.count..<range.upperBound, isBridge: true))
        }
        if text.matches(client, at: start) {
            return try parseClientLine(text, start + client.count..<range.upperBound)
        }
        if text.matches(badSocket, at: start) {
            return try parseBadSocket(text, start + badSocket.count..<range.upperBound)
        }
        if text.matches(socketError, at: start) {
            return try parseSocketError(text, start + socketError.count..<range.upperBound)
        }
        return .ignored
    }
}
