/// Finds every filter that matches a topic without scanning the filters one by one.
///
/// A trie over topic levels: literal children in a dictionary keyed by the level text, one child for `+`,
/// and at each node the values of filters that end there or end there with `/#`. A lookup visits at most
/// two children per level (the literal and `+`), so its cost depends on the topic's depth, not on how many
/// filters there are.
public struct TopicFilterIndex: Sendable {
    private struct Node: Sendable {
        var literals: [Substring: Int32] = [:]
        var singleLevel: Int32 = -1
        /// Filters that end exactly at this node.
        var exact: [Int] = []
        /// Filters `…/#` whose `#` follows this node: they match this node and everything below it.
        var multiLevel: [Int] = []
    }

    private var nodes: [Node] = [Node()]

    public init() {}

    /// Adds a filter; `value` comes back from `matches` for every topic it matches.
    public mutating func insert(_ filter: TopicFilter, value: Int) {
        var current = 0
        for level in filter.levels {
            switch level {
            case .multiLevel:
                nodes[current].multiLevel.append(value)
                return
            case .singleLevel:
                if nodes[current].singleLevel < 0 {
                    nodes[current].singleLevel = Int32(nodes.count)
                    nodes.append(Node())
                }
                current = Int(nodes[current].singleLevel)
            case .literal(let text):
                if let next = nodes[current].literals[text] {
                    current = Int(next)
                } else {
                    let next = Int32(nodes.count)
                    nodes[current].literals[text] = next
                    nodes.append(Node())
                    current = Int(next)
                }
            }
        }
        nodes[current].exact.append(value)
    }

    /// The values of all filters matching `topic`, in ascending order, each once.
    public func matches(_ topic: Topic) -> [Int] {
        var found: [Int] = []
        collect(node: 0, depth: 0, levels: topic.levels, into: &found)
        if found.count > 1 {
            found.sort()
        }
        return found
    }

    private func collect(node index: Int, depth: Int, levels: [Substring], into found: inout [Int]) {
        let node = nodes[index]
        // `a/#` matches `a` itself and everything below; the parent is never a wildcard, so depth > 0 here.
        if depth > 0 {
            found.append(contentsOf: node.multiLevel)
        }
        if depth == levels.count {
            found.append(contentsOf: node.exact)
            return
        }
        if let next = node.literals[levels[depth]] {
            collect(node: Int(next), depth: depth + 1, levels: levels, into: &found)
        }
        if node.singleLevel >= 0 {
            collect(node: Int(node.singleLevel), depth: depth + 1, levels: levels, into: &found)
        }
    }
}
