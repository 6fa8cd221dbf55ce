import Yams

/// Reads a Yams node tree and collects every problem with its position, so that one `check` run reports
/// them all at once.
final class NodeReader {
    let file: String
    /// Reads the files a mapping file names (key files, CA files), relative paths already resolved.
    let readFile: FileReader
    private(set) var diagnostics: [ConfigDiagnostic] = []
    /// Settings that are valid but probably not what the operator wants (printed by `check`, logged at start).
    private(set) var warnings: [ConfigDiagnostic] = []

    init(file: String, readFile: @escaping FileReader = ConfigFiles.read) {
        self.file = file
        self.readFile = readFile
    }

    /// Records a problem in another file (a key file the mapping file names).
    func report(file: String, line: Int, column: Int, _ message: String) {
        diagnostics.append(ConfigDiagnostic(file: file, line: line, column: column, message: message))
    }

    /// Records a warning at `node`.
    func warn(_ node: Node?, _ message: String) {
        let mark = node?.mark
        warnings.append(ConfigDiagnostic(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: "warning: " + message))
    }

    /// Records a problem at `node`, `columnOffset` characters into the node's text.
    func report(_ node: Node?, _ message: String, columnOffset: Int = 0) {
        let mark = node?.mark
        diagnostics.append(
            ConfigDiagnostic(
                file: file,
                line: mark?.line ?? 1,
                column: (mark?.column ?? 1) + columnOffset,
                message: message
            )
        )
    }

    /// The key/value pairs of a mapping node. Reports a node that is not a mapping, duplicate keys and keys
    /// outside `known`; returns only the known, first-seen pairs.
    func mapping(_ node: Node, _ what: String, known: [String]) -> Fields? {
        guard case .mapping(let mapping) = node else {
            report(node, "\(what) must be a mapping, found \(describe(node))")
            return nil
        }
        var fields = Fields(node: node)
        for (keyNode, value) in mapping {
            guard case .scalar(let key) = keyNode else {
                report(keyNode, "keys of \(what) must be plain names, found \(describe(keyNode))")
                continue
            }
            let name = key.string
            if fields.has(name) {
                report(keyNode, "duplicate key '\(name)' in \(what)")
                continue
            }
            guard known.contains(name) else {
                report(keyNode, unknownKeyMessage(name, in: what, known: known))
                continue
            }
            fields.add(name, key: keyNode, value: value)
        }
        return fields
    }

    /// A scalar as text. Numbers and booleans are taken as written; null, mappings and sequences are reported.
    func string(_ node: Node, _ what: String) -> String? {
        guard case .scalar(let scalar) = node, !node.hasTag(.null) else {
            report(node, "\(what) must be a string, found \(describe(node))")
            return nil
        }
        return scalar.string
    }

    /// A non-empty string.
    func nonEmptyString(_ node: Node, _ what: String) -> String? {
        guard let text = string(node, what) else { return nil }
        if text.isEmpty {
            report(node, "\(what) must not be empty")
            return nil
        }
        return text
    }

    /// A whole number within `range`.
    func integer(_ node: Node, _ what: String, in range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let scalar) = node, node.hasTag(.int), let value = Int(scalar.string.replacingUnderscores) else {
            report(node, "\(what) must be a whole number, found \(describe(node))")
            return nil
        }
        guard range.contains(value) else {
            report(node, "\(what) must be from \(range.lowerBound) to \(range.upperBound), found \(value)")
            return nil
        }
        return value
    }

    /// The elements of a sequence node.
    func sequence(_ node: Node, _ what: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            report(node, "\(what) must be a list, found \(describe(node))")
            return nil
        }
        return Array(sequence)
    }

    /// Columns to add to a scalar's mark to reach its first character of content (past an opening quote).
    func contentOffset(_ node: Node) -> Int {
        guard case .scalar(let scalar) = node else { return 0 }
        switch scalar.style {
        case .singleQuoted, .doubleQuoted: return 1
        default: return 0
        }
    }

    func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return "nothing (null)"
            case Tag.Name.int.rawValue: return "the number \(scalar.string)"
            case Tag.Name.float.rawValue: return "the number \(scalar.string)"
            case Tag.Name.bool.rawValue: return "the boolean \(scalar.string)"
            default: return "the string '\(scalar.string)'"
            }
        }
    }

    private func unknownKeyMessage(_ name: String, in what: String, known: [String]) -> String {
        var message = "unknown key '\(name)' in \(what)"
        if let suggestion = known.min(by: { editDistance($0, name) < editDistance($1, name) }),
            editDistance(suggestion, name) <= max(2, name.count / 3)
        {
            message += "; did you mean '\(suggestion)'?"
        } else {
            message += "; known keys: \(known.joined(separator: ", "))"
        }
        return message
    }
}

/// The known keys of one mapping node, with their key and value nodes.
struct Fields {
    let node: Node
    private var entries: [String: (key: Node, value: Node)] = [:]

    init(node: Node) {
        self.node = node
    }

    func has(_ name: String) -> Bool { entries[name] != nil }
    subscript(name: String) -> Node? { entries[name]?.value }
    func keyNode(_ name: String) -> Node? { entries[name]?.key }

    fileprivate mutating func add(_ name: String, key: Node, value: Node) {
        entries[name] = (key, value)
    }
}

extension String {
    fileprivate var replacingUnderscores: String { String(filter { $0 != "_" }) }
}

/// Levenshtein distance, for "did you mean" hints on misspelt keys.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased())
    let b = Array(b.lowercased())
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

extension Node {
    /// Whether the node's resolved tag is `name` (Yams keeps `Tag.name` internal).
    func hasTag(_ name: Tag.Name) -> Bool { tag.rawValue == name.rawValue }
}
