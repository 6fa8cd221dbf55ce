#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    private struct Node: Sendable {
        var literals: [Substring: Int32] = [:]
        var hasNonASCIILiteral = false
        var singleLevel: Int32 = -1
        /// Filters that end exactly at this node.
        var exact: [Int] = []
        /// Filters `…/#` whose `#` follows this node: they match this node and everything below it.
        var multiLevel: [Int] = []
    }

    private var nodes: [Node] = [Node()]
    private var asciiChildren = LevelTable()

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
                    continue
                }
                let next = Int32(nodes.count)
                nodes[current].literals[text] = next
                nodes.append(Node())
                if text.utf8.allSatisfy({ $0 < 0x80 }) {
                    asciiChildren.insert(parent: Int32(current), level: Array(text.utf8), child: next)
                } else {
                    nodes[current].hasNonASCIILiteral = true
                }
                current = Int(next)
            }
        }
        nodes[current].exact.append(value)
    }

    /// The values of all filters matching `topic`, in ascending order, each once.
    public func matches(_ topic: Topic) -> [Int] {
        var found: [Int] = []
        let byBytes = topic.isASCII && topic.name.utf8.withContiguousStorageIfAvailable { bytes in
            collect(node: 0, depth: 0, topic: topic, bytes: bytes, into: &found)
            return true
        } == true
        if !byBytes {
            collect(node: 0, depth: 0, levels: topic.levels, into: &found)
        }
        if found.count > 1 {
            found.sort()
        }
        return found
    }

    /// The byte path: `topic` is ASCII and `bytes` are its name's.
    private func collect(node index: Int, depth: Int, topic: Topic, bytes: UnsafeBufferPointer<UInt8>, into found: inout [Int]) {
        // `a/#` matches `a` itself and everything below; the parent is never a wildcard, so depth > 0 here.
        if depth > 0, !nodes[index].multiLevel.isEmpty {
            found.append(contentsOf: nodes[index].multiLevel)
        }
        if depth == topic.levelCount {
            found.append(contentsOf: nodes[index].exact)
            return
        }
        let level = UnsafeBufferPointer(rebasing: bytes[topic.levelRange(depth)])
        let literal: Int32?
        if nodes[index].hasNonASCIILiteral {
            literal = nodes[index].literals[topic.level(depth + 1)!]
        } else {
            literal = asciiChildren.find(parent: Int32(index), level: level)
        }
        if let next = literal {
            collect(node: Int(next), depth: depth + 1, topic: topic, bytes: bytes, into: &found)
        }
        let single = nodes[index].singleLevel
        if single >= 0 {
            collect(node: Int(single), depth: depth + 1, topic: topic, bytes: bytes, into: &found)
        }
    }

    /// The string path, for topics that are not ASCII.
    private func collect(node index: Int, depth: Int, levels: [Substring], into found: inout [Int]) {
        let node = nodes[index]
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

/// Open-addressing table from (parent node, level bytes) to child node, for the trie's ASCII literals. The
/// level bytes live in one arena; a slot holds the hash, the child and where its bytes are.
struct LevelTable: Sendable {
    private struct Slot: Sendable {
        var child: Int32 = -1
        var parent: Int32 = 0
        var hash: UInt32 = 0
        var offset: UInt32 = 0
        var length: UInt32 = 0
    }

    private var slots: [Slot] = []
    private var count = 0
    private var arena: [UInt8] = []

    /// FNV-1a over the parent's number and the level's bytes.
    @inline(__always)
    private static func hash(parent: Int32, level: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(UInt32(bitPattern: parent))
        hash = hash &* 0x0000_0100_0000_01b3
        for byte in level {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash ^ (hash >> 29)
    }

    func find(parent: Int32, level: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard !slots.isEmpty else { return nil }
        let hash = Self.hash(parent: parent, level: level)
        let mask = slots.count - 1
        var position = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            arena.withUnsafeBufferPointer { arena in
                while true {
                    let slot = slots[position]
                    if slot.child < 0 { return nil }
                    if slot.hash == UInt32(truncatingIfNeeded: hash), slot.parent == parent, Int(slot.length) == level.count,
                        level.isEmpty || memcmp(level.baseAddress!, arena.baseAddress! + Int(slot.offset), level.count) == 0
                    {
                        return slot.child
                    }
                    position = (position + 1) & mask
                }
            }
        }
    }

    /// Adds a child that is not in the table yet.
    mutating func insert(parent: Int32, level: [UInt8], child: Int32) {
        if (count + 1) * 2 > slots.count {
            grow()
        }
        let offset = UInt32(arena.count)
        arena.append(contentsOf: level)
        place(Slot(child: child, parent: parent, hash: 0, offset: offset, length: UInt32(level.count)))
        count += 1
    }

    private mutating func place(_ slot: Slot) {
        var slot = slot
        let hash = arena.withUnsafeBufferPointer { arena in
            Self.hash(parent: slot.parent, level: UnsafeBufferPointer(rebasing: arena[Int(slot.offset)..<Int(slot.offset + slot.length)]))
        }
        slot.hash = UInt32(truncatingIfNeeded: hash)
        let mask = slots.count - 1
        var position = Int(truncatingIfNeeded: hash) & mask
        while slots[position].child >= 0 {
            position = (position + 1) & mask
        }
        slots[position] = slot
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(), count: max(16, old.count * 2))
        for slot in old where slot.child >= 0 {
            place(slot)
        }
    }
}
