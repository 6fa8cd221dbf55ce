extension MosquittoLogParser {
    private static let fromSeparator = [UInt8](ascii: " from ")
    private static let asSeparator = [UInt8](ascii: " as ")
    private static let parametersStart = [UInt8](ascii: " (p")
    private static let cleanMarker = [UInt8](ascii: ", c")
    private static let keepAliveMarker = [UInt8](ascii: ", k")
    private static let usernameMarker = [UInt8](ascii: ", u'")
    private static let closeWithDot = [UInt8](ascii: ").")
    private static let usernameEndWithDot = [UInt8](ascii: "').")
    private static let usernameEnd = [UInt8](ascii: "')")

    /// ` from <address> as <client id> (p<n>, c<n>, k<n>[, u'<username>']).` after `New client connected`.
    static func parseConnect(_ text: ByteText, _ fullRange: Range<Int>, isBridge: Bool) throws(StatusProblem)
        -> MosquittoConnection
    {
        guard text.matches(fromSeparator, at: fullRange.lowerBound) else {
            throw StatusProblem(.malformedConnectLine, "connect line without ' from '")
        }
        let range = fullRange.lowerBound + fromSeparator.count..<fullRange.upperBound
        let end = range.upperBound
        // Addresses hold no spaces (IPv6 is logged without brackets), so the address ends at the first one.
        guard let space = text.firstIndex(of: [0x20], in: range), space > range.lowerBound else {
            throw StatusProblem(.malformedConnectLine, "connect line without an address")
        }
        guard text.matches(asSeparator, at: space) else {
            throw StatusProblem(.malformedConnectLine, "connect line without ' as ' after the address")
        }
        let idStart = space + asSeparator.count
        var candidate = text.lastIndex(of: parametersStart, in: idStart..<end)
        while let at = candidate {
            if let parameters = parseParameters(text, at + 1..<end) {
                guard at > idStart else {
                    throw StatusProblem(.malformedConnectLine, "connect line with an empty client ID")
                }
                return MosquittoConnection(
                    clientId: text.string(idStart..<at), address: text.string(range.lowerBound..<space),
                    username: parameters.username, protocolVersion: parameters.protocolVersion,
                    cleanStart: parameters.cleanStart, keepAlive: parameters.keepAlive, isBridge: isBridge)
            }
            candidate = text.lastIndex(of: parametersStart, in: idStart..<at + parametersStart.count - 1)
        }
        throw StatusProblem(.malformedConnectLine, "connect line without a '(p…, c…, k…)' parameter list at its end")
    }

    private struct Parameters {
        var protocolVersion: Int
        var cleanStart: Bool
        var keepAlive: Int
        var username: String?
    }

    /// `(p<n>, c<n>, k<n>).` or `(p<n>, c<n>, k<n>, u'<username>').` spanning exactly `range`.
    private static func parseParameters(_ text: ByteText, _ range: Range<Int>) -> Parameters? {
        let end = range.upperBound
        var index = range.lowerBound + 2  // past "(p"
        let proto = text.digits(at: index)
        guard let protocolValue = proto.value, let protocolVersion = Int(exactly: protocolValue) else { return nil }
        index = proto.end
        guard text.matches(cleanMarker, at: index) else { return nil }
        let clean = text.digits(at: index + cleanMarker.count)
        guard let cleanValue = clean.value else { return nil }
        index = clean.end
        guard text.matches(keepAliveMarker, at: index) else { return nil }
        let keep = text.digits(at: index + keepAliveMarker.count)
        guard let keepValue = keep.value, let keepAlive = Int(exactly: keepValue) else { return nil }
        index = keep.end
        var parameters = Parameters(
            protocolVersion: protocolVersion, cleanStart: cleanValue != 0, keepAlive: keepAlive, username: nil)
        if index + closeWithDot.count == end, text.matches(closeWithDot, at: index) { return parameters }
        if index + 1 == end, text.bytes[index] == UInt8(ascii: ")") { return parameters }
        guard text.matches(usernameMarker, at: index) else { return nil }
        let usernameStart = index + usernameMarker.count
        let usernameStop: Int
        if text.hasSuffix(usernameEndWithDot, end: end) {
            usernameStop = end - usernameEndWithDot.count
        } else if text.hasSuffix(usernameEnd, end: end) {
            usernameStop = end - usernameEnd.count
        } else {
            return nil
        }
        guard usernameStart <= usernameStop else { return nil }
        parameters.username = text.string(usernameStart..<usernameStop)
        return parameters
    }
}
