/// Checks the text of CURVE keys: 40 characters of ZeroMQ's Z85 alphabet (RFC 32) that decode to 32 bytes.
/// Pure, so the configuration module needs no C library; libzmq applies the same rules when a key is used.
enum CurveKeyText {
    static let length = 40
    static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".unicodeScalars)
    private static let values: [Unicode.Scalar: UInt64] = Dictionary(
        uniqueKeysWithValues: alphabet.enumerated().map { ($0.element, UInt64($0.offset)) })

    /// What is wrong with a key, and where: `offset` counts Unicode scalars from the key's first character.
    struct Problem: Equatable {
        let offset: Int
        let message: String
    }

    /// Whether `scalar` may appear in Z85 text.
    static func isZ85(_ scalar: Unicode.Scalar) -> Bool { values[scalar] != nil }

    /// nil for a valid key. `showCharacters` is false for secret keys, whose characters are never echoed.
    static func problem(in text: String, showCharacters: Bool = true) -> Problem? {
        let scalars = Array(text.unicodeScalars)
        if let index = scalars.firstIndex(where: { !isZ85($0) }) {
            let shown = showCharacters && scalars[index].properties.isWhitespace == false
                ? "character '\(scalars[index])'" : "the character at position \(index + 1)"
            return Problem(offset: index, message: "\(shown) is not in the Z85 alphabet (0-9 a-z A-Z .-:+=^!/*?&<>()[]{}@%$#)")
        }
        guard scalars.count == length else {
            return Problem(offset: 0, message: "a CURVE key is \(length) Z85 characters, found \(scalars.count)")
        }
        for group in stride(from: 0, to: length, by: 5) {
            let value = scalars[group..<group + 5].reduce(UInt64(0)) { $0 * 85 + values[$1]! }
            if value > UInt64(UInt32.max) {
                return Problem(offset: group, message: "characters \(group + 1)-\(group + 5) are not valid Z85 (their value exceeds 32 bits)")
            }
        }
        return nil
    }
}

/// A file of CURVE public keys: one Z85 key per line; blank lines and comments (`#` to the end of the line)
/// are skipped. A Z85 key never starts with `#`: that digit's value is too large for a group's first place.
enum CurveKeyFile {
    struct Entry: Equatable {
        let key: String
        let line: Int
        let column: Int
    }

    struct Problem: Equatable {
        let line: Int
        let column: Int
        let message: String
    }

    static func parse(_ text: String) -> (keys: [Entry], problems: [Problem]) {
        var keys: [Entry] = []
        var problems: [Problem] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let scalars = Array(rawLine.unicodeScalars)
            guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }), scalars[start] != "#" else { continue }
            let end = scalars[start...].firstIndex(where: { $0.properties.isWhitespace }) ?? scalars.endIndex
            let word = String(String.UnicodeScalarView(scalars[start..<end]))
            let rest = scalars[end...].drop(while: { $0.properties.isWhitespace })
            if let problem = CurveKeyText.problem(in: word) {
                problems.append(Problem(line: index + 1, column: start + problem.offset + 1, message: "not a CURVE public key: \(problem.message)"))
                continue
            }
            if let first = rest.first, first != "#" {
                let column = scalars.distance(from: scalars.startIndex, to: rest.startIndex) + 1
                problems.append(Problem(line: index + 1, column: column, message: "one key per line; comments start with '#'"))
                continue
            }
            keys.append(Entry(key: word, line: index + 1, column: start + 1))
        }
        return (keys, problems)
    }
}

/// A path from a mapping file, resolved against the mapping file's directory unless it is absolute.
func resolvePath(_ path: String, relativeTo file: String) -> String {
    guard !path.hasPrefix("/"), let slash = file.lastIndex(of: "/") else { return path }
    return String(file[...slash]) + path
}
