import Yams

/// Yams rejects a mapping with a duplicate key but only marks where the mapping starts. For block mappings
/// the keys stand at the mapping's column, so the second line with the key there is the duplicate.
enum DuplicateKeyLocator {
    static func secondOccurrence(of key: String, in yaml: String, mappingAt mark: Mark) -> (Int, Int)? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        var seen = 0
        for number in mark.line...max(mark.line, lines.count) where number <= lines.count {
            let line = Array(lines[number - 1].unicodeScalars)
            let start = mark.column - 1
            guard start < line.count else { continue }
            let indentation = line[..<start]
            let isKeyColumn = indentation.allSatisfy { $0 == " " || $0 == "-" }
            if !isKeyColumn {
                continue
            }
            if number > mark.line, !indentation.allSatisfy({ $0 == " " }) || line.count > start && line[start] == " " {
                // A less indented line ends the block mapping; a list item at this column starts another one.
                if indentation.contains(where: { $0 != " " }) { break }
            }
            let rest = String(String.UnicodeScalarView(line[start...]))
            let candidates = [key + ":", "\"\(key)\":", "'\(key)':"]
            if candidates.contains(where: { rest.hasPrefix($0) }) {
                seen += 1
                if seen == 2 { return (number, mark.column) }
            }
        }
        return nil
    }
}
