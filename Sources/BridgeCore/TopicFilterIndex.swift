/// Finds every filter that matches a topic without scanning the filters one by one.
///
/// A trie over topic levels: literal children, one child for `+`, and at each node the values of filters
/// that end there or end there with `/#`. A lookup visits at most two children per level (the literal and
/// `+`), so its cost depends on the topic's depth, not on how many filters there are.
///
/// Literal children are kept twice: in a dictionary per node, compared as Swift strings (so canonically
/// equivalent spellings match, as they always have), and, for ASCII literals, in one open-addressing table
/// keyed by the parent node and the level's bytes. An ASCII topic level is looked up in the byte table,
/// with no string made or hashed, unless its node has a non-ASCII literal (which might be canonically
/// equivalent to it); anything else goes through the dictionary.
public struct TopicFilterIndex: Sendable {
    /// A trie node: four numbers and a flag, so that nodes sit densely in one array. The values of the
    /// filters that end at a node are stored inline when there is one (the usual case) and in `valueLists`
    /// when there are more.
    private struct Node: Sendable {
        /// Literal children (ASCII or not); 0 lets a lookup skip the literal tables.
        var literalCount: Int32 = 0
        var singleLevel: Int32 = -1
        /// Filters that end exactly at this node: see `Values`.
        var exact = Values.none
        /// Filters `…/#` whose `#` follows this node: they match this node and everything below it.
        var multiLevel = Values.none
        /// The child of a node whose only literal child is ASCII and at most 16 bytes (a filter's fixed level
        /// after a `+`, say), kept here with its level's bytes instead of in `asciiChildren`, so that the
        /// lookup reads no table; else -1.
        var onlyChild: Int32 = -1
        var onlyChildLength: UInt8 = 0
        var hasNonASCIILiteral = false
        var onlyChildWords: (UInt64, UInt64) = (0, 0)
    }

    /// The filter values stored at a node: none (-1), one value (>= 0), or list `-2 - n` of `valueLists`.
    private struct Values: Sendable {
        var code: Int32
        static let none = Values(code: -1)
        var isEmpty: Bool { code == -1 }
    }

    private var nodes: [Node] = [Node()]
    /// Literal children per node, compared as Swift strings (the string path and non-ASCII literals).
    private var literals: [[Substring: Int32]] = [[:]]
    private var valueLists: [[Int]] = []
    /// ASCII literal children keyed by (parent node, level bytes).
    private var asciiChildren = ByteKeyTable()

    public init() {}

    /// Adds a filter; `value` comes back from `matches` for every topic it matches.
    public mutating func insert(_ filter: TopicFilter, value: Int) {
        var current = 0
        for level in filter.levels {
            switch level {
            case .multiLevel:
                Self.add(value, to: &nodes[current].multiLevel, lists: &valueLists)
                return
            case .singleLevel:
                if nodes[current].singleLevel < 0 {
                    nodes[current].singleLevel = Int32(nodes.count)
                    appendNode()
                }
                current = Int(nodes[current].singleLevel)
            case .literal(let text):
                if let next = literals[current][text] {
                    current = Int(next)
                    continue
                }
                let next = Int32(nodes.count)
                literals[current][text] = next
                nodes[current].literalCount += 1
                appendNode()
                let bytes = Array(text.utf8)
                let isASCII = bytes.allSatisfy { $0 < 0x80 }
                if !isASCII {
                    nodes[current].hasNonASCIILiteral = true
                }
                if nodes[current].literalCount == 1, isASCII, bytes.count <= ByteKeyTable.inlineBytes {
                    // The only child stays out of the table (which it would only make bigger) while it is the only one.
                    nodes[current].onlyChild = next
                    nodes[current].onlyChildLength = UInt8(bytes.count)
                    nodes[current].onlyChildWords = bytes.withUnsafeBufferPointer { ByteKeyTable.words($0) }
                } else {
                    let only = nodes[current]
                    if only.onlyChild >= 0 {
                        let key = ByteKeyTable.bytes(of: only.onlyChildWords, count: Int(only.onlyChildLength))
                        asciiChildren.insert(scope: Int32(current), key: key, value: only.onlyChild)
                        nodes[current].onlyChild = -1
                    }
                    if isASCII {
                        asciiChildren.insert(scope: Int32(current), key: bytes, value: next)
                    }
                }
                current = Int(next)
            }
        }
        Self.add(value, to: &nodes[current].exact, lists: &valueLists)
    }

    private mutating func appendNode() {
        nodes.append(Node())
        literals.append([:])
    }

    private static func add(_ value: Int, to values: inout Values, lists valueLists: inout [[Int]]) {
        if values.isEmpty, let inline = Int32(exactly: value), inline >= 0 {
            values.code = inline
            return
        }
        if values.code >= 0 {
            valueLists.append([Int(values.code)])
            values.code = -2 - Int32(valueLists.count - 1)
        } else if values.isEmpty {
            valueLists.append([])
            values.code = -2 - Int32(valueLists.count - 1)
        }
        valueLists[Int(-2 - values.code)].append(value)
    }

    @inline(__always)
    private func append(_ values: Values, to found: inout MatchList) {
        if values.code >= 0 {
            found.append(Int(values.code))
        } else if values.code <= -2 {
            for value in valueLists[Int(-2 - values.code)] { found.append(value) }
        }
    }

    /// The values of all filters matching `topic`, in ascending order, each once.
    public func matches(_ topic: Topic) -> [Int] {
        let found = matchList(topic)
        return (0..<found.count).map { found[$0] }
    }

    /// `matches(_:)` without an array for the usual few matches.
    func matchList(_ topic: Topic) -> MatchList {
        var found = MatchList()
        let byBytes = topic.isASCII && topic.name.utf8.withContiguousStorageIfAvailable { bytes in
            nodes.withUnsafeBufferPointer { nodes in
                collect(node: 0, depth: 0, topic: topic, bytes: bytes, nodes: nodes, into: &found)
            }
            return true
        } == true
        if !byBytes {
            collect(node: 0, depth: 0, levels: topic.levels, into: &found)
        }
        found.sort()
        return found
    }

    /// The byte path: `topic` is ASCII and `bytes` are its name's.
    private func collect(
        node index: Int, depth: Int, topic: Topic, bytes: UnsafeBufferPointer<UInt8>, nodes: UnsafeBufferPointer<Node>,
        into found: inout MatchList
    ) {
        let node = nodes[index]
        // `a/#` matches `a` itself and everything below; the parent is never a wildcard, so depth > 0 here.
        if depth > 0, !node.multiLevel.isEmpty {
            append(node.multiLevel, to: &found)
        }
        if depth == topic.levelCount {
            append(node.exact, to: &found)
            return
        }
        if node.literalCount > 0 {
            let literal: Int32?
            if node.hasNonASCIILiteral {
                literal = literals[index][topic.level(depth + 1)!]
            } else if node.onlyChild >= 0 {
                let level = UnsafeBufferPointer(rebasing: bytes[topic.levelRange(depth)])
                let words = ByteKeyTable.words(level)
                literal = level.count == Int(node.onlyChildLength) && words == node.onlyChildWords ? node.onlyChild : nil
            } else {
                literal = asciiChildren.find(scope: Int32(index), key: UnsafeBufferPointer(rebasing: bytes[topic.levelRange(depth)]))
            }
            if let next = literal {
                collect(node: Int(next), depth: depth + 1, topic: topic, bytes: bytes, nodes: nodes, into: &found)
            }
        }
        if node.singleLevel >= 0 {
            collect(node: Int(node.singleLevel), depth: depth + 1, topic: topic, bytes: bytes, nodes: nodes, into: &found)
        }
    }

    /// The string path, for topics that are not ASCII.
    private func collect(node index: Int, depth: Int, levels: [Substring], into found: inout MatchList) {
        let node = nodes[index]
        if depth > 0 {
            append(node.multiLevel, to: &found)
        }
        if depth == levels.count {
            append(node.exact, to: &found)
            return
        }
        if node.literalCount > 0, let next = literals[index][levels[depth]] {
            collect(node: Int(next), depth: depth + 1, levels: levels, into: &found)
        }
        if node.singleLevel >= 0 {
            collect(node: Int(node.singleLevel), depth: depth + 1, levels: levels, into: &found)
        }
    }
}

/// The values of the filters matching one topic: up to four inline, more in an array.
struct MatchList: Sendable {
    static let inlineCount = 4

    private var inline = SIMD4<Int>()
    /// Every value, once there are more than `inlineCount`.
    private var spilled: [Int] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func append(_ value: Int) {
        if count < Self.inlineCount {
            inline[count] = value
        } else {
            if count == Self.inlineCount {
                for index in 0..<count { spilled.append(inline[index]) }
            }
            spilled.append(value)
        }
        count += 1
    }

    subscript(index: Int) -> Int {
        precondition(index >= 0 && index < count, "match index out of range")
        return count <= Self.inlineCount ? inline[index] : spilled[index]
    }

    /// Puts the values in ascending order.
    mutating func sort() {
        if count > Self.inlineCount {
            spilled.sort()
            return
        }
        // Insertion sort of the few inline values.
        var index = 1
        while index < count {
            let value = inline[index]
            var position = index
            while position > 0 && inline[position - 1] > value {
                inline[position] = inline[position - 1]
                position -= 1
            }
            inline[position] = value
            index += 1
        }
    }
}
