extension MosquittoLogParser {
    private enum Ending {
        case disconnected
        case closed(MosquittoCloseReason)
        case takenOver
    }

    /// Fixed endings of `Client <id> …` lines (mosquitto 2.0 `src/loop.c`, `src/handle_connect.c`). The longer
    /// administrative form comes first so that `has` is not taken as part of the ID.
    private static let endings: [([UInt8], Ending)] = [
        ([UInt8](ascii: " disconnected."), .disconnected),
        ([UInt8](ascii: " closed its connection."), .closed(.closedByClient)),
        ([UInt8](ascii: " has exceeded timeout, disconnecting."), .closed(.keepAliveTimeout)),
        ([UInt8](ascii: " already connected, closing old connection."), .takenOver),
        ([UInt8](ascii: " disconnected, not authorised."), .closed(.notAuthorised)),
        ([UInt8](ascii: " has been disconnected by administrative action."), .closed(.administrative)),
        ([UInt8](ascii: " been disconnected by administrative action."), .closed(.administrative)),
    ]
    private static let dueTo = [UInt8](ascii: " disconnected due to ")
    private static let disconnectedColon = [UInt8](ascii: " disconnected: ")
    private static let disconnecting = [UInt8](ascii: ", disconnecting.")

    /// The part after `Client `.
    static func parseClientLine(_ text: ByteText, _ range: Range<Int>) throws(StatusProblem) -> MosquittoLogEvent {
        let start = range.lowerBound
        let end = range.upperBound
        for (needle, ending) in endings where text.hasSuffix(needle, end: end) && end - needle.count > start {
            let clientId = text.string(start..<end - needle.count)
            switch ending {
            case .disconnected: return .disconnected(clientId: clientId)
            case .closed(let reason): return .closed(clientId: clientId, reason: reason)
            case .takenOver: return .takenOver(clientId: clientId)
            }
        }
        if end > start, text.bytes[end - 1] == UInt8(ascii: ".") {
            for needle in [dueTo, disconnectedColon] {
                if let at = text.lastIndex(of: needle, in: start..<end - 1), at > start {
                    return .closed(
                        clientId: text.string(start..<at), reason: .error(text.string(at + needle.count..<end - 1)))
                }
            }
        }
        throw StatusProblem(.unrecognisedClientLine, "a 'Client …' line with an unknown ending")
    }

    /// `Bad socket read/write on client <id>: <reason>` (the default case of mosquitto's `do_disconnect`).
    static func parseBadSocket(_ text: ByteText, _ range: Range<Int>) throws(StatusProblem) -> MosquittoLogEvent {
        guard let at = text.lastIndex(of: colonSpace, in: range), at > range.lowerBound else {
            throw StatusProblem(.unrecognisedClientLine, "a 'Bad socket read/write' line without '<id>: <reason>'")
        }
        var reasonEnd = range.upperBound
        if reasonEnd > at + 2, text.bytes[reasonEnd - 1] == UInt8(ascii: ".") { reasonEnd -= 1 }
        return .closed(
            clientId: text.string(range.lowerBound..<at), reason: .error(text.string(at + 2..<reasonEnd)))
    }

    /// `Socket error on client <id>, disconnecting.`
    static func parseSocketError(_ text: ByteText, _ range: Range<Int>) throws(StatusProblem) -> MosquittoLogEvent {
        guard text.hasSuffix(disconnecting, end: range.upperBound),
            range.upperBound - disconnecting.count > range.lowerBound
        else {
            throw StatusProblem(.unrecognisedClientLine, "a 'Socket error on client' line with an unknown ending")
        }
        return .closed(
            clientId: text.string(range.lowerBound..<range.upperBound - disconnecting.count),
            reason: .error("socket error"))
    }
}
