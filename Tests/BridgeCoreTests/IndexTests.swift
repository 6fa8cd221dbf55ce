import TestSupport
import Testing

@testable import BridgeCore

@Suite struct ByteKeyTableTests {
    /// The table must agree with a dictionary on random keys of every length around the inline limit,
    /// in several scopes, including keys that are absent and keys that differ only in length or scope.
    @Test func agreesWithADictionary() {
        var generator = SplitMix64(seed: 7)
        let alphabet = Array("ab/+\u{0}xyz09".utf8)
        func randomKey() -> [UInt8] {
            let length = Int(generator.next() % 40)
            return (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
        }
        struct Key: Hashable { var scope: Int32; var bytes: [UInt8] }
        var reference: [Key: Int32] = [:]
        var table = ByteKeyTable()
        for value in 0..<5_000 {
            let key = Key(scope: Int32(generator.next() % 50), bytes: randomKey())
            if reference[key] != nil { continue }
            reference[key] = Int32(value)
            table.insert(scope: key.scope, key: key.bytes, value: Int32(value))
        }
        #expect(table.count == reference.count)
        for (key, value) in reference {
            #expect(key.bytes.withUnsafeBufferPointer { table.find(scope: key.scope, key: $0) } == value)
        }
        for _ in 0..<20_000 {
            let key = Key(scope: Int32(generator.next() % 60), bytes: randomKey())
            #expect(key.bytes.withUnsafeBufferPointer { table.find(scope: key.scope, key: $0) } == reference[key])
        }
        // Zero bytes are part of a key: "a" and "a\0" are different keys.
        var small = ByteKeyTable()
        small.insert(scope: 0, key: [0x61], value: 1)
        #expect([0x61, 0].withUnsafeBufferPointer { small.find(scope: 0, key: $0) } == nil)
        #expect(small.find(scope: 0, key: "a") == 1)
        #expect(small.find(scope: 1, key: "a") == nil)
        #expect(ByteKeyTable().find(scope: 0, key: "a") == nil)
    }
}

@Suite struct InflowIndexTests {
    /// The first rule, in file order, whose queue topic equals `topic` as a string and whose tags accept `tag`.
    static func reference(_ rules: [InflowRule], topic: String, tag: String?) -> (any: Bool, rule: Int?) {
        let onTopic = rules.indices.filter { rules[$0].queueTopic == topic }
        return (!onTopic.isEmpty, onTopic.first { rules[$0].tags.accepts(tag) })
    }

    static func check(_ rules: [InflowRule], topics: [String], tags: [String?]) {
        let index = InflowIndex(rules)
        for topic in topics {
            for tag in tags {
                let expected = reference(rules, topic: topic, tag: tag)
                let range = index.candidates(forQueueTopic: topic)
                #expect((range != nil) == expected.any, "topic \(topic)")
                let found = range.flatMap { index.first(inRunAt: $0, accepting: tag) }
                #expect(found.map { Int($0.rule) } == expected.rule, "topic \(topic) tag \(tag ?? "nil")")
                if let found, let rule = expected.rule {
                    #expect(found.id == rules[rule].id && found.mqttParent == rules[rule].mqttParent && found.qos == rules[rule].qos)
                }
            }
        }
    }

    @Test func agreesWithALinearScanOnRandomRules() throws {
        var generator = SplitMix64(seed: 11)
        let topics = (0..<40).map { "Q_\($0)" } + ["A_QUEUE_TOPIC_LONGER_THAN_SIXTEEN_BYTES", ""]
        let tagWords = ["a", "b", "c", "d", "e", "f", "g"]
        var rules: [InflowRule] = []
        for number in 0..<300 {
            let tags: TagExpression
            if generator.next() % 5 == 0 {
                tags = .all
            } else {
                let count = 1 + Int(generator.next() % 5)
                tags = try TagExpression((0..<count).map { _ in tagWords[Int(generator.next() % 6)] }.joined(separator: "||"))
            }
            let qos: QoS? = generator.next() % 2 == 0 ? nil : .exactlyOnce
            rules.append(InflowRule(
                id: "r\(number)", queueTopic: topics[Int(generator.next() % UInt64(topics.count - 2))], tags: tags,
                mqttParent: "p\(number % 7)", qos: qos))
        }
        Self.check(rules, topics: topics + ["Q_", "Q_1000", "q_1"], tags: tagWords + ["h", nil])
    }

    /// Topics compare as Swift strings: canonically equivalent spellings (the Kelvin sign and `K`, é
    /// precomposed and decomposed) take the same rules, whether or not the rules' topics are all ASCII.
    @Test func agreesWithStringComparisonOnNonASCIITopics() throws {
        let asciiRules = [InflowRule(id: "k", queueTopic: "K", mqttParent: "p"), InflowRule(id: "c", queueTopic: "cafe", mqttParent: "p")]
        let mixedRules = asciiRules + [
            InflowRule(id: "e", queueTopic: "caf\u{E9}", tags: try TagExpression("x||caf\u{E9}"), mqttParent: "p"),
            InflowRule(id: "kelvin", queueTopic: "\u{212A}2", mqttParent: "p"),
        ]
        let topics = ["K", "\u{212A}", "cafe", "caf\u{E9}", "cafe\u{301}", "K2", "\u{212A}2", "k"]
        let tags: [String?] = ["x", "caf\u{E9}", "cafe\u{301}", nil]
        Self.check(asciiRules, topics: topics, tags: tags)
        Self.check(mixedRules, topics: topics, tags: tags)
    }
}

@Suite struct SmallListTests {
    /// A match list holds and sorts any number of values as an array does, across the inline limit.
    @Test func matchListAgreesWithAnArray() {
        var generator = SplitMix64(seed: 3)
        for length in 0..<12 {
            for _ in 0..<50 {
                let values = (0..<length).map { _ in Int(generator.next() % 1_000) }
                var list = MatchList()
                for value in values { list.append(value) }
                #expect(list.count == values.count && list.isEmpty == values.isEmpty)
                #expect((0..<list.count).map { list[$0] } == values)
                list.sort()
                #expect((0..<list.count).map { list[$0] } == values.sorted())
            }
        }
    }

    /// Level ends come back as they were appended, inline and past the inline limit; topics of every depth
    /// split as `split(separator:)` splits them.
    @Test func levelEndsAgreeWithAnArray() throws {
        for depth in 1...20 {
            var ends = LevelEnds()
            let values = (0..<depth).map { $0 * 3 + 1 }
            for value in values { ends.append(value) }
            #expect(ends.count == depth)
            #expect((0..<ends.count).map { ends[$0] } == values)
            let name = (0..<depth).map { "l\($0)" }.joined(separator: "/") + (depth % 2 == 0 ? "/\u{E9}" : "")
            let topic = try Topic(name)
            #expect(topic.levels == name.split(separator: "/", omittingEmptySubsequences: false))
            #expect(topic.level(depth) == "l\(depth - 1)")
        }
    }
}

@Suite struct InflowTextTests {
    /// The byte shortcuts of inflow agree with the character-based checks they stand for, on ASCII and
    /// non-ASCII sub-topics (a `/` followed by a combining mark is one character).
    @Test func shortcutsAgreeWithCharacterChecks() {
        var generator = SplitMix64(seed: 5)
        let pieces = ["/", "p2p", "/p2p/", "a", "+", "#", "\u{0}", "\u{301}", "\u{E9}", "\r\n", "\r", "x/y"]
        for _ in 0..<5_000 {
            let text = (0..<Int(generator.next() % 5)).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }.joined()
            var expected: String?
            if !text.isEmpty {
                if !text.hasPrefix("/") {
                    expected = "must start with '/'"
                } else if text.utf8.contains(0) || text.utf8.contains(UInt8(ascii: "+")) || text.utf8.contains(UInt8(ascii: "#")) {
                    let firstBad = text.utf8.first { $0 == 0 || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }!
                    expected = firstBad == 0 ? "contains a NUL character" : "cannot contain '+' or '#'"
                }
            }
            #expect(MappingTable.subTopicProblem(text) == expected, "\(Array(text.unicodeScalars))")
            #expect(MappingTable.startsWithP2PPrefix(text) == text.hasPrefix(MappingTable.p2pPrefix))
            #expect(MappingTable.joined("parent", text) == "parent" + text)
            #expect(Array(MappingTable.joined("parent", text).utf8) == Array(("parent" + text).utf8))
        }
    }
}
