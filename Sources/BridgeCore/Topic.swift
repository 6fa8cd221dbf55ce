/// An MQTT topic name that has been checked for publishing, split into levels.
///
/// The parent topic is the first level; the sub-topic is the rest with its leading `/`
/// (empty when the topic has one level).
public struct Topic: Sendable, Equatable {
    /// Longest topic MQTT can carry, in UTF-8 bytes.
    public static let maxBytes = 65_535

    public let name: String
    /// Where each level ends, as a UTF-8 offset into `name` (the last is the name's length). Levels are kept
    /// as offsets rather than substrings: the trie reads them as bytes, and most messages never ask for one.
    let levelEnds: LevelEnds
    /// Whether `name` is all ASCII (then a level is exactly its bytes).
    let isASCII: Bool

    /// Checks the rules of MQTT topic names that are published to: 1...65535 UTF-8 bytes, no NUL, no `+` or `#`.
    public init(_ name: String) throws(TopicError) {
        // One pass over the bytes checks the name and finds the levels of an ASCII name.
        let scan = name.utf8.withContiguousStorageIfAvailable { Topic.scan($0) } ?? Topic.scan(Array(name.utf8))
        if let problem = scan.problem { throw problem }
        self.name = name
        self.isASCII = scan.isASCII
        if scan.isASCII {
            levelEnds = scan.levelEnds
        } else {
            // Any other name is split on characters, as it always was: a `/` followed by a combining mark is
            // one character there, not a separator.
            let utf8 = name.utf8
            var ends = LevelEnds()
            for level in name.split(separator: "/", omittingEmptySubsequences: false) {
                ends.append(utf8.distance(from: utf8.startIndex, to: level.endIndex))
            }
            levelEnds = ends
        }
    }

    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> (problem: TopicError?, isASCII: Bool, levelEnds: LevelEnds) {
        if bytes.isEmpty { return (.empty, true, LevelEnds()) }
        if bytes.count > maxBytes { return (.tooLong(bytes.count), true, LevelEnds()) }
        var ascii = true
        var ends = LevelEnds()
        // Eight bytes at a time while none of them is NUL, `+` or `#`: the separators are found from a mask,
        // without a branch per byte. A word with a forbidden byte, and the tail, go byte by byte below, which
        // also names the first problem.
        var start = 0
        let base = UnsafeRawPointer(bytes.baseAddress!)
        while start + 8 <= bytes.count {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: start, as: UInt64.self))
            if zeroBytes(word) | zeroBytes(word ^ Self.plusBytes) | zeroBytes(word ^ Self.hashBytes) != 0 { break }
            if word & Self.highBits != 0 { ascii = false }
            var slashes = zeroBytes(word ^ Self.slashBytes)
            while slashes != 0 {
                ends.append(start + slashes.trailingZeroBitCount / 8)
                slashes &= slashes &- 1
            }
            start += 8
        }
        for index in start..<bytes.count {
            switch bytes[index] {
            case 0: return (.containsNUL, ascii, LevelEnds())
            case UInt8(ascii: "+"), UInt8(ascii: "#"): return (.containsWildcard, ascii, LevelEnds())
            case UInt8(ascii: "/"): ends.append(index)
            case 0x80...: ascii = false
            default: continue
            }
        }
        ends.append(bytes.count)
        return (nil, ascii, ends)
    }

    private static let highBits: UInt64 = 0x8080_8080_8080_8080
    private static let lowBits: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
    private static let plusBytes = UInt64(UInt8(ascii: "+")) &* 0x0101_0101_0101_0101
    private static let hashBytes = UInt64(UInt8(ascii: "#")) &* 0x0101_0101_0101_0101
    private static let slashBytes = UInt64(UInt8(ascii: "/")) &* 0x0101_0101_0101_0101

    /// The high bit of each byte of `word` that is zero, and no other bit.
    @inline(__always)
    private static func zeroBytes(_ word: UInt64) -> UInt64 {
        ~(((word & lowBits) &+ lowBits) | word) & highBits
    }

    private static func scan(_ bytes: [UInt8]) -> (problem: TopicError?, isASCII: Bool, levelEnds: LevelEnds) {
        bytes.withUnsafeBufferPointer { scan($0) }
    }

    /// The levels, in order; a topic `a//b` has an empty second level.
    public var levels: [Substring] {
        (0..<levelEnds.count).map { levelSlice($0) }
    }

    /// The number of levels.
    public var levelCount: Int { levelEnds.count }

    /// The UTF-8 offsets of level `index` (0-based) in `name`.
    @inline(__always)
    func levelRange(_ index: Int) -> Range<Int> {
        (index == 0 ? 0 : levelEnds[index - 1] + 1)..<levelEnds[index]
    }

    private func levelSlice(_ index: Int) -> Substring {
        let range = levelRange(index)
        let utf8 = name.utf8
        return name[utf8.index(utf8.startIndex, offsetBy: range.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: range.upperBound)]
    }

    /// The first level.
    public var parent: Substring { levelSlice(0) }

    /// The rest of the topic after the parent, with its leading `/`; empty when there is no rest.
    public var subTopic: Substring {
        let utf8 = name.utf8
        return name[utf8.index(utf8.startIndex, offsetBy: levelEnds[0])...]
    }

    /// The N-th level, 1-based, or nil past the last level.
    public func level(_ number: Int) -> Substring? {
        number >= 1 && number <= levelEnds.count ? levelSlice(number - 1) : nil
    }

    /// The sub-topic as a string of its own (what outflow sets as `mqttSecondTopic`); empty when there is none.
    var subTopicString: String {
        if levelEnds.count == 1 { return "" }
        if isASCII, let text = name.utf8.withContiguousStorageIfAvailable({
            String(decoding: UnsafeBufferPointer(rebasing: $0[levelEnds[0]...]), as: UTF8.self)
        }) {
            return text
        }
        return String(subTopic)
    }

    /// The N-th level as a string of its own (what templates render), or nil past the last level.
    func levelString(_ number: Int) -> String? {
        guard number >= 1 && number <= levelEnds.count else { return nil }
        if isASCII, let text = name.utf8.withContiguousStorageIfAvailable({
            String(decoding: UnsafeBufferPointer(rebasing: $0[levelRange(number - 1)]), as: UTF8.self)
        }) {
            return text
        }
        return String(levelSlice(number - 1))
    }

    /// `prefix` followed by level `number` (1-based), made as one string with no intermediate one; nil when
    /// the topic is not ASCII or has no such level.
    func joining(_ prefix: String, level number: Int) -> String? {
        guard isASCII, number >= 1, number <= levelEnds.count else { return nil }
        let range = levelRange(number - 1)
        var prefix = prefix
        return prefix.withUTF8 { prefix in
            name.utf8.withContiguousStorageIfAvailable { name in
                String(unsafeUninitializedCapacity: prefix.count + range.count) { buffer in
                    let target = UnsafeMutableRawBufferPointer(buffer)
                    target.copyMemory(from: UnsafeRawBufferPointer(prefix))
                    UnsafeMutableRawBufferPointer(rebasing: target[prefix.count...])
                        .copyMemory(from: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: name[range])))
                    return prefix.count + range.count
                }
            }
        }
    }

    public static func == (lhs: Topic, rhs: Topic) -> Bool { lhs.name == rhs.name }

    /// Why a name of `byteCount` UTF-8 bytes is too short or too long to be published to, or nil.
    static func lengthProblem(_ byteCount: Int) -> TopicError? {
        if byteCount == 0 { return .empty }
        return byteCount > maxBytes ? .tooLong(byteCount) : nil
    }

    /// Why `name` cannot be published to, or nil when it can.
    public static func problem(inName name: String) -> TopicError? {
        let check = { (bytes: UnsafeBufferPointer<UInt8>) -> TopicError? in
            if bytes.isEmpty { return .empty }
            if bytes.count > maxBytes { return .tooLong(bytes.count) }
            for byte in bytes {
                switch byte {
                case 0: return .containsNUL
                case UInt8(ascii: "+"), UInt8(ascii: "#"): return .containsWildcard
                default: continue
                }
            }
            return nil
        }
        if let result = name.utf8.withContiguousStorageIfAvailable(check) { return result }
        return Array(name.utf8).withUnsafeBufferPointer(check)
    }
}

/// Where each level of a topic ends, as UTF-8 offsets. Up to eight are kept inline (an offset fits 16 bits, as
/// a topic has at most 65,535 bytes), so splitting a usual topic allocates nothing; deeper topics use an array.
struct LevelEnds: Sendable {
    static let inlineCount = 8

    private var inline = SIMD8<UInt16>()
    /// Every end, once there are more than `inlineCount`.
    private var spilled: [Int] = []
    private(set) var count = 0

    init() {}

    mutating func append(_ end: Int) {
        if count < Self.inlineCount {
            inline[count] = UInt16(truncatingIfNeeded: end)
        } else {
            if count == Self.inlineCount {
                spilled.reserveCapacity(2 * Self.inlineCount)
                for index in 0..<count { spilled.append(Int(inline[index])) }
            }
            spilled.append(end)
        }
        count += 1
    }

    subscript(index: Int) -> Int {
        precondition(index >= 0 && index < count, "level index out of range")
        return count <= Self.inlineCount ? Int(inline[index]) : spilled[index]
    }
}

/// Why a topic name or filter is invalid.
public enum TopicError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case tooLong(Int)
    case containsNUL
    case containsWildcard
    case misplacedWildcard
    case wildcardParent
    case emptyParent
    case sharedSubscription

    public var description: String {
        switch self {
        case .empty: "topic is empty"
        case .tooLong(let bytes): "topic is \(bytes) bytes long; MQTT allows at most \(Topic.maxBytes)"
        case .containsNUL: "topic contains a NUL character"
        case .containsWildcard: "a topic that is published to cannot contain '+' or '#'"
        case .misplacedWildcard:
            "'+' must stand alone in its level and '#' alone in the last level"
        case .wildcardParent: "the first level (the parent topic) cannot be a wildcard"
        case .emptyParent: "the first level (the parent topic) cannot be empty"
        case .sharedSubscription: "use mqtt.sharedGroup instead of a '$share/' prefix in a rule"
        }
    }
}
