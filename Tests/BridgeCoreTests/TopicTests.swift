import TestSupport
import Testing

@testable import BridgeCore

@Suite struct TopicTests {
    @Test(arguments: [
        ("sensors/room1/temp", "sensors", "/room1/temp", 3),
        ("sensors", "sensors", "", 1),
        ("sensors/", "sensors", "/", 2),
        ("a//b", "a", "//b", 3),
        ("devices/p2p/GID_app@@@phone7", "devices", "/p2p/GID_app@@@phone7", 3),
        ("数据/温度", "数据", "/温度", 2),
        // Names that are not ASCII are split on characters: a `/` with a combining mark is no separator.
        ("a/\u{301}b/c", "a/\u{301}b", "/c", 2),
    ])
    func splitsParentAndSubTopic(name: String, parent: String, subTopic: String, levels: Int) throws {
        let topic = try Topic(name)
        #expect(topic.parent == parent)
        #expect(topic.subTopic == subTopic)
        #expect(topic.levels.count == levels)
    }

    @Test func levelsAreOneBased() throws {
        let topic = try Topic("a/b/c")
        #expect(topic.level(1) == "a")
        #expect(topic.level(3) == "c")
        #expect(topic.level(0) == nil)
        #expect(topic.level(4) == nil)
    }

    @Test func rejectsWhatCannotBePublishedTo() {
        #expect(throws: TopicError.empty) { try Topic("") }
        #expect(throws: TopicError.containsNUL) { try Topic("a/\u{0}b") }
        #expect(throws: TopicError.containsWildcard) { try Topic("a/+/b") }
        #expect(throws: TopicError.containsWildcard) { try Topic("a/#") }
        #expect(throws: TopicError.tooLong(65_536)) { try Topic(String(repeating: "x", count: 65_536)) }
        #expect((try? Topic(String(repeating: "x", count: 65_535))) != nil)
    }

    /// The name is scanned eight bytes at a time; random names with separators, wildcards and NULs at every
    /// offset (in and across words, and in the tail) give what a plain split and a byte-by-byte check give.
    @Test func scanAgreesWithAPlainSplitAtEveryOffset() {
        var random = SplitMix64(seed: 13)
        let pieces = ["a", "b", "c", "d", "/", "/", "+", "#", "\u{0}", "é", "数"]
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...40, using: &random)
            var name = ""
            let forbiddenChance = Int.random(in: 0...3, using: &random)
            for _ in 0..<length {
                var piece = pieces.randomElement(using: &random)!
                if ["+", "#", "\u{0}"].contains(piece), Int.random(in: 0...3, using: &random) >= forbiddenChance { piece = "x" }
                name += piece
            }
            var expectedError: TopicError?
            if name.utf8.isEmpty {
                expectedError = .empty
            } else if let first = name.utf8.first(where: { $0 == 0 || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }) {
                expectedError = first == 0 ? .containsNUL : .containsWildcard
            }
            do {
                let topic = try Topic(name)
                #expect(expectedError == nil, "\(name.debugDescription) was taken")
                #expect(topic.levels == name.split(separator: "/", omittingEmptySubsequences: false), "\(name.debugDescription)")
            } catch {
                #expect(error == expectedError, "\(name.debugDescription)")
            }
        }
    }
}

@Suite struct TopicFilterTests {
    @Test(arguments: [
        // '#' matches the parent itself and everything below it.
        ("sensors/#", "sensors", true),
        ("sensors/#", "sensors/a", true),
        ("sensors/#", "sensors/a/b/c", true),
        ("sensors/#", "sensorsX/a", false),
        ("sensors/a/#", "sensors/a", true),
        ("sensors/a/#", "sensors/b", false),
        // '+' is exactly one level, never more, and may be empty.
        ("sensors/+", "sensors/a", true),
        ("sensors/+", "sensors/a/b", false),
        ("sensors/+", "sensors", false),
        ("sensors/+", "sensors/", true),
        ("sensors/+/temp", "sensors/room1/temp", true),
        ("sensors/+/temp", "sensors/room1/x/temp", false),
        ("sensors/+/+", "sensors/a/b", true),
        ("sensors/+/#", "sensors/a", true),
        ("sensors/+/#", "sensors", false),
        // Literal filters match exactly.
        ("sensors/a", "sensors/a", true),
        ("sensors/a", "sensors/a/b", false),
        ("sensors/a", "sensors/A", false),
    ])
    func matches(filter: String, topic: String, expected: Bool) throws {
        let compiled = try TopicFilter(filter)
        #expect(compiled.matches(try Topic(topic)) == expected)
        var index = TopicFilterIndex()
        index.insert(compiled, value: 7)
        #expect(index.matches(try Topic(topic)) == (expected ? [7] : []))
    }

    @Test(arguments: [
        ("+/a", TopicError.wildcardParent),
        ("#", TopicError.wildcardParent),
        ("/a", TopicError.emptyParent),
        ("a/#/b", TopicError.misplacedWildcard),
        ("a/b#", TopicError.misplacedWildcard),
        ("a/b+/c", TopicError.misplacedWildcard),
        ("", TopicError.empty),
        ("$share/g/a/#", TopicError.sharedSubscription),
    ])
    func rejectsInvalidFilters(filter: String, error: TopicError) {
        #expect(throws: error) { try TopicFilter(filter) }
    }
}

@Suite struct TopicFilterIndexTests {
    @Test func returnsEveryMatchingFilterInOrder() throws {
        let filters = ["sensors/#", "sensors/+/temp", "sensors/room1/temp", "sensors/room1/+", "other/#", "sensors/+"]
        var index = TopicFilterIndex()
        for (position, filter) in filters.enumerated() {
            index.insert(try TopicFilter(filter), value: position)
        }
        #expect(index.matches(try Topic("sensors/room1/temp")) == [0, 1, 2, 3])
        #expect(index.matches(try Topic("sensors/room1")) == [0, 5])
        #expect(index.matches(try Topic("sensors")) == [0])
        #expect(index.matches(try Topic("nothing/here")) == [])
    }

    /// Levels compare as Swift strings, so canonically equivalent spellings match (é precomposed and
    /// decomposed; the Kelvin sign and `K`); the byte table that serves ASCII levels must agree.
    @Test func agreesWithStringComparisonOnNonASCIILevels() throws {
        let filters = [
            "s/caf\u{E9}/+", "s/K/x", "s/\u{212A}elvin/#", "s/ascii/+", "s/e\u{301}/#", "t/plain/+", "t/+/caf\u{E9}",
        ].map { try! TopicFilter($0) }
        var index = TopicFilterIndex()
        for (position, filter) in filters.enumerated() { index.insert(filter, value: position) }
        let topics = [
            "s/cafe\u{301}/t", "s/caf\u{E9}/t", "s/\u{212A}/x", "s/K/x", "s/Kelvin/a", "s/\u{212A}elvin/a", "s/ascii/b",
            "s/\u{E9}/z", "s/e\u{301}/z", "t/plain/x", "t/q/cafe\u{301}", "t/q/caf\u{E9}", "s/a/\u{301}b",
        ]
        for name in topics {
            let topic = try Topic(name)
            #expect(index.matches(topic) == filters.indices.filter { filters[$0].matches(topic) }, "topic \(name)")
        }
    }

    /// The index must agree with a linear scan of `TopicFilter.matches` on many random filters and topics.
    @Test func agreesWithLinearScanOnTenThousandFilters() throws {
        var generator = SplitMix64(seed: 42)
        let words = ["a", "b", "c", "d", "", "a-level-longer-than-sixteen-bytes", "sixteen-bytes-16"]
        func randomLevels(_ count: Int, wildcards: Bool) -> [String] {
            (0..<count).map { position in
                let roll = generator.next() % 10
                if wildcards && position > 0 && roll == 0 { return "+" }
                return words[Int(generator.next() % UInt64(position == 0 ? 2 : words.count))]
            }
        }
        var filters: [TopicFilter] = []
        while filters.count < 10_000 {
            var levels = randomLevels(1 + Int(generator.next() % 4), wildcards: true)
            if generator.next() % 4 == 0 { levels.append("#") }
            if let filter = try? TopicFilter(levels.joined(separator: "/")) { filters.append(filter) }
        }
        var index = TopicFilterIndex()
        for (position, filter) in filters.enumerated() { index.insert(filter, value: position) }
        var checked = 0
        for _ in 0..<600 {
            guard let topic = try? Topic(randomLevels(1 + Int(generator.next() % 5), wildcards: false).joined(separator: "/")) else {
                continue
            }
            let expected = filters.indices.filter { filters[$0].matches(topic) }
            #expect(index.matches(topic) == expected, "topic \(topic.name)")
            checked += 1
        }
        #expect(checked > 300)
    }
}

