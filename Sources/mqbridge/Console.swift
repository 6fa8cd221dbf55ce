import Foundation

/// Output helpers: results on standard output, problems on standard error.
enum Console {
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Writes a line to standard output at once (unbuffered), so a reading pipe sees it immediately.
    static func output(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func readFile(_ path: String, what: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationErrorText("cannot read \(what) '\(path)'")
        }
        return Array(data)
    }
}

/// A failure whose message is printed as is.
struct ValidationErrorText: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Splits `KEY=VALUE` at the first `=`.
func splitKeyValue(_ text: String, option: String) throws -> (String, String) {
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
        throw ValidationErrorText("\(option) '\(text)' must be KEY=VALUE")
    }
    return (String(text[..<equals]), String(text[text.index(after: equals)...]))
}
