/// A request target split into its decoded path, path segments and query (RFC 9112 §3.2).
struct APIRequestTarget: Sendable, Equatable {
    /// The path with every `%XX` decoded; `*` for the asterisk form.
    var path: String
    /// The path's segments between `/`s, each decoded on its own, empty ones left out.
    var pathSegments: [String]
    /// The query's `name=value` pairs in order, decoded, `+` read as a space.
    var query: [(name: String, value: String)]

    static func == (lhs: APIRequestTarget, rhs: APIRequestTarget) -> Bool {
        lhs.path == rhs.path && lhs.pathSegments == rhs.pathSegments
            && lhs.query.map(\.name) == rhs.query.map(\.name) && lhs.query.map(\.value) == rhs.query.map(\.value)
    }

    /// Parses the origin form (`/path?query`), the absolute form (`http://host/path?query`,
    /// whose authority is ignored) and the asterisk form (`*`). The authority form of CONNECT is
    /// refused, as is any byte outside visible ASCII.
    static func parse(_ target: ArraySlice<UInt8>) throws(APIRefusal) -> APIRequestTarget {
        if let bad = target.first(where: { !TargetSyntax.isTargetByte($0) }) {
            let shown = bad < 0x80 ? "control character 0x\(String(bad, radix: 16))" : "non-ASCII byte 0x\(String(bad, radix: 16))"
            throw APIRefusal(status: 400, detail: "the request target contains a \(shown)")
        }
        if target.elementsEqual("*".utf8) {
            return APIRequestTarget(path: "*", pathSegments: [], query: [])
        }
        guard let pathStart = pathStart(of: target) else {
            throw APIRefusal(status: 400, detail: "the request target must start with '/' (or be an absolute http URL)")
        }
        var rest = target[pathStart...]
        if let hash = rest.firstIndex(of: UInt8(ascii: "#")) {
            rest = rest[..<hash]
        }
        let queryStart = rest.firstIndex(of: UInt8(ascii: "?"))
        let rawPath = queryStart.map { rest[..<$0] } ?? rest
        let rawQuery = queryStart.map { rest[($0 + 1)...] } ?? []

        let path = rawPath.isEmpty ? "/" : try PercentDecoding.decode(rawPath, plusAsSpace: false)
        var segments: [String] = []
        for segment in rawPath.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            segments.append(try PercentDecoding.decode(segment, plusAsSpace: false))
        }
        var query: [(name: String, value: String)] = []
        for pair in rawQuery.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let name = equals.map { pair[..<$0] } ?? pair
            let value = equals.map { pair[($0 + 1)...] } ?? []
            query.append((name: try PercentDecoding.decode(name, plusAsSpace: true),
                          value: try PercentDecoding.decode(value, plusAsSpace: true)))
        }
        return APIRequestTarget(path: path, pathSegments: segments, query: query)
    }

    /// Where the path begins: at once in the origin form, after the authority in the absolute form.
    private static func pathStart(of target: ArraySlice<UInt8>) -> Int? {
        if target.first == UInt8(ascii: "/") { return target.startIndex }
        let lowered = target.prefix(8).map(TargetSyntax.lowercased)
        let schemeLength: Int
        if lowered.starts(with: "http://".utf8) {
            schemeLength = 7
        } else if lowered.starts(with: "https://".utf8) {
            schemeLength = 8
        } else {
            return nil
        }
        let authority = target.dropFirst(schemeLength)
        guard !authority.isEmpty else { return nil }
        return authority.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? target.endIndex
    }
}

/// The byte classes a request target is checked with.
enum TargetSyntax {
    /// Bytes allowed in a request target: visible ASCII only (no space, control, DEL or non-ASCII).
    static func isTargetByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 0x20 : byte
    }
}
